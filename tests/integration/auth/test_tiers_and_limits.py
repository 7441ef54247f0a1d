"""Tiers from the claim or the subscriptions table; per-tier limits as 429 with Retry-After."""

from __future__ import annotations

import json

import pytest
from rq import Queue

from cl3_common.auth.cache import token_key

START, END = "2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def fetch(api, headers, interval="1h", symbol="BTCUSDT", start=START, end=END):
    body = {"symbol": symbol, "interval": interval, "start": start, "end": end}
    return api.http.post("/api/market-data/fetch", headers=headers, body=json.dumps(body))


def error(response) -> dict[str, str]:
    body = json.loads(response.body)
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    return body["error"]


def queue_untouched(redis_client) -> bool:
    return Queue("cl3-ingest", connection=redis_client).count == 0 and not any(
        k.startswith(b"rq:job:") for k in redis_client.scan_iter()
    )


def cached_tier(redis_client, token: str) -> str:
    return str(json.loads(redis_client.get(token_key(token)))["tier"])


# -- tiers -------------------------------------------------------------------------------------
def test_the_tier_comes_from_the_table_when_the_claim_is_absent(jwks_api, stub, redis_client):
    stub.set_subscriptions(
        "user-e",
        [{"tier": "pro", "status": "active"}, {"tier": "enterprise", "status": "trialing"}],
    )
    stub.set_subscriptions("user-p", [{"tier": "pro", "status": "active"}])
    enterprise, pro = stub.mint("user-e", None), stub.mint("user-p", None)
    assert fetch(jwks_api, bearer(enterprise), interval="1s").status_code == 202
    refused = fetch(jwks_api, bearer(pro), interval="1s")  # 1s candles: enterprise only
    assert refused.status_code == 403 and error(refused)["code"] == "forbidden"
    assert fetch(jwks_api, bearer(pro), interval="1h").status_code == 202
    assert (cached_tier(redis_client, enterprise), cached_tier(redis_client, pro)) == (
        "enterprise",
        "pro",
    )
    assert stub.calls["subscriptions"] == 2
    assert Queue("cl3-ingest", connection=redis_client).count == 2


def test_the_claim_wins_over_the_table(jwks_api, stub, redis_client):
    stub.set_subscriptions("user-1", [{"tier": "enterprise", "status": "active"}])
    token = stub.mint("user-1", "pro")
    assert fetch(jwks_api, bearer(token), interval="1s").status_code == 403
    assert cached_tier(redis_client, token) == "pro"
    assert stub.calls["subscriptions"] == 0


@pytest.mark.parametrize("status", ["canceled", "past_due", "incomplete", "unpaid"])
def test_rows_that_are_not_active_or_trialing_do_not_count(jwks_api, stub, redis_client, status):
    stub.set_subscriptions("user-1", [{"tier": "enterprise", "status": status}])
    response = fetch(jwks_api, bearer(stub.mint("user-1", None)))
    assert response.status_code == 403 and error(response)["code"] == "subscription_required"
    assert queue_untouched(redis_client)


@pytest.mark.parametrize("claim", [None, "free"])
def test_user_metadata_cannot_raise_a_tier(jwks_api, stub, redis_client, claim):
    # user_metadata is editable by the user (supabase.auth.updateUser); a real token carries it.
    token = stub.mint(
        "user-1",
        claim,
        user_metadata={
            "subscription_tier": "enterprise",
            "app_metadata": {"subscription_tier": "enterprise"},
        },
    )
    response = fetch(jwks_api, bearer(token))
    assert response.status_code == 403 and error(response)["code"] == "subscription_required"
    assert cached_tier(redis_client, token) == "free"
    assert queue_untouched(redis_client)


def test_a_free_users_fetch_leaves_the_queue_untouched(jwks_api, stub, redis_client):
    token = stub.mint("user-1", "free")
    for _ in range(3):
        response = fetch(jwks_api, bearer(token))
        assert response.status_code == 403
        assert error(response)["code"] == "subscription_required"
    assert queue_untouched(redis_client)
    assert jwks_api.http.get("/api/symbols", headers=bearer(token)).status_code == 200  # reads ok


# -- limits ------------------------------------------------------------------------------------
def test_requests_per_minute_give_429_with_retry_after(make_api, env, token, clock):
    api = make_api(env, TIER_LIMITS='{"pro": {"requests_per_minute": 5}}')
    headers = bearer(token("user-1", "pro"))
    for _ in range(5):
        assert api.http.get("/api/symbols", headers=headers).status_code == 200
    refused = api.http.get("/api/symbols", headers=headers)
    assert refused.status_code == 429
    assert error(refused)["code"] == "rate_limited"
    assert refused.headers["Retry-After"] == "60"

    assert api.http.get("/api/symbols", headers=bearer(token("user-2"))).status_code == 200
    clock.advance(10)
    assert api.http.get("/api/symbols", headers=headers).headers["Retry-After"] == "50"
    clock.advance(50)
    assert api.http.get("/api/symbols", headers=headers).status_code == 200


def test_the_rate_limit_holds_across_api_instances(make_api, env, token, redis_client):
    limits = '{"pro": {"requests_per_minute": 6}}'
    first, second = make_api(env, TIER_LIMITS=limits), make_api(env, TIER_LIMITS=limits)
    headers = bearer(token("user-1", "pro"))
    for i in range(6):
        api = first if i % 2 else second
        assert api.http.get("/api/symbols", headers=headers).status_code == 200
    for api in (first, second):
        assert api.http.get("/api/symbols", headers=headers).status_code == 429
    # A refused request is refused before its handler: nothing enqueued.
    assert fetch(first, headers).status_code == 429
    assert queue_untouched(redis_client)


def test_the_default_free_limit_is_60_a_minute(api, auth_headers):
    headers = auth_headers("user-1", "free")
    codes = [api.http.get("/api/symbols", headers=headers).status_code for _ in range(61)]
    assert codes == [200] * 60 + [429]


def test_concurrent_jobs_give_429_too_many_jobs_with_retry_after(api, auth_headers, redis_client):
    headers = auth_headers("user-1", "pro")  # pro: 2 jobs queued or running at once
    assert fetch(api, headers, symbol="BTCUSDT").status_code == 202
    assert fetch(api, headers, symbol="ETHUSDT").status_code == 202
    refused = fetch(api, headers, symbol="BNBUSDT")
    assert refused.status_code == 429
    assert error(refused)["code"] == "too_many_jobs"
    assert int(refused.headers["Retry-After"]) >= 1
    assert Queue("cl3-ingest", connection=redis_client).count == 2
    assert fetch(api, auth_headers("user-2", "pro"), symbol="BNBUSDT").status_code == 202
