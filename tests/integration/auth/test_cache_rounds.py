"""The Redis validation cache: a hit costs no Supabase call; a miss costs exactly one round."""

from __future__ import annotations

import hashlib
import json

from cl3_common.auth.cache import token_key


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_200_requests_make_one_round_of_supabase_calls_within_the_ttl(jwks_api, stub, clock):
    stub.set_subscriptions("user-1", [{"tier": "pro", "status": "active"}])
    headers = bearer(stub.mint("user-1", None))  # no tier claim: the table is asked too
    for _ in range(200):
        assert jwks_api.http.get("/api/symbols", headers=headers).status_code == 200
    assert stub.calls == {"jwks": 1, "user": 1, "subscriptions": 1}

    clock.advance(299)
    for _ in range(50):
        assert jwks_api.http.get("/api/symbols", headers=headers).status_code == 200
    assert stub.calls == {"jwks": 1, "user": 1, "subscriptions": 1}

    clock.advance(2)  # 301 s: the cached validation has expired; the JWKS (10 min) has not
    for _ in range(200):
        assert jwks_api.http.get("/api/symbols", headers=headers).status_code == 200
    assert stub.calls == {"jwks": 1, "user": 2, "subscriptions": 2}

    clock.advance(301)  # 602 s: both expired
    assert jwks_api.http.get("/api/symbols", headers=headers).status_code == 200
    assert stub.calls == {"jwks": 2, "user": 3, "subscriptions": 3}


def test_without_remote_check_and_with_the_claim_a_miss_only_needs_the_keys(
    make_api, supabase_env, stub
):
    api = make_api(supabase_env, SUPABASE_VERIFY_REMOTE="false")
    for sub in ("user-1", "user-2", "user-3"):
        headers = bearer(stub.mint(sub, "pro"))
        for _ in range(20):
            assert api.http.get("/api/symbols", headers=headers).status_code == 200
    assert stub.calls == {"jwks": 1, "user": 0, "subscriptions": 0}


def test_two_api_instances_share_the_cache(make_api, supabase_env, stub):
    first, second = make_api(supabase_env), make_api(supabase_env)
    headers = bearer(stub.mint("user-1", "pro"))
    assert first.http.get("/api/symbols", headers=headers).status_code == 200
    assert second.http.get("/api/symbols", headers=headers).status_code == 200
    assert stub.calls["user"] == 1  # the second instance found the first one's validation


def test_the_cache_holds_a_hash_and_expires_with_the_token(jwks_api, stub, redis_client):
    token = stub.mint("user-1", "pro")
    short = stub.mint("user-2", "enterprise", expires_in=100)
    for t in (token, short):
        assert jwks_api.http.get("/api/symbols", headers=bearer(t)).status_code == 200

    key = token_key(token)
    assert key.endswith(hashlib.sha256(token.encode()).hexdigest())
    cached = json.loads(redis_client.get(key))
    assert set(cached) == {"sub", "tier", "exp", "until"}
    assert (cached["sub"], cached["tier"]) == ("user-1", "pro")
    assert 295 <= redis_client.ttl(key) <= 300
    assert 95 <= redis_client.ttl(token_key(short)) <= 100  # min(300, exp - now)
    for k in redis_client.scan_iter():  # no token anywhere in Redis, key or value
        value = redis_client.get(k) if redis_client.type(k) == b"string" else b""
        for t in (token, short):
            assert t.encode() not in k and t.split(".")[2].encode() not in (value or b"")


def test_an_expired_token_is_not_served_from_the_cache(jwks_api, stub, clock):
    headers = bearer(stub.mint("user-1", "pro", expires_in=120))
    assert jwks_api.http.get("/api/symbols", headers=headers).status_code == 200
    clock.advance(121)
    response = jwks_api.http.get("/api/symbols", headers=headers)
    assert response.status_code == 401
    assert json.loads(response.body)["error"]["code"] == "unauthorized"
