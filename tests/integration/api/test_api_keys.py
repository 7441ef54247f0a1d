"""API keys through the API: created with a token, shown once, stored hashed, revoked at once."""

from __future__ import annotations

import json
import logging
import time

import pytest
from chalice.test import Client

from chalicelib.factory import create_app
from chalicelib.runtime import Runtime
from cl3_common.auth.api_keys import MAX_KEYS_PER_OWNER, key_hash
from cl3_common.settings import Settings


def body(response) -> dict:
    return json.loads(response.body)


def create(api, headers, name="grid bot"):
    return api.http.post("/api/keys", headers=headers, body=json.dumps({"name": name}))


@pytest.fixture
def owner(auth_headers):
    return auth_headers("alice", "pro")


@pytest.fixture
def made(api, owner) -> dict:
    response = create(api, owner)
    assert response.status_code == 201, response.body
    return body(response)


def test_a_key_is_shown_once_and_listed_by_its_prefix(api, owner, made, runtime):
    assert made["key"].startswith("cl3_") and len(made["key"]) == 44
    assert made["prefix"] == made["key"][:12] and made["tier"] == "pro"
    assert made["name"] == "grid bot" and made["id"].startswith("key_")
    listed = body(api.http.get("/api/keys", headers=owner))["keys"]
    assert listed == [{"id": made["id"], "name": "grid bot", "prefix": made["prefix"],
                       "created_at": made["created_at"], "last_used_at": None}]  # fmt: skip
    assert made["key"] not in json.dumps(listed)
    record = runtime.stores.api_keys.by_hash(key_hash(made["key"]))
    assert record is not None and record.key_hash == key_hash(made["key"])
    assert made["key"] not in json.dumps(record.to_json())


@pytest.mark.parametrize("header", ["X-API-Key", "X-MBX-APIKEY", "Authorization"])
def test_a_key_is_accepted_on_every_endpoint_in_each_header(api, made, header):
    value = f"Bearer {made['key']}" if header == "Authorization" else made["key"]
    assert api.http.get("/api/market-data/coverage", headers={header: value}).status_code == 200
    assert api.http.get("/api/symbols", headers={header: value}).status_code == 200


def test_last_use_is_recorded(api, owner, made):
    api.http.get("/api/market-data/coverage", headers={"X-API-Key": made["key"]})
    listed = body(api.http.get("/api/keys", headers=owner))["keys"]
    assert listed[0]["last_used_at"] is not None


def test_a_revoked_key_is_refused_on_the_next_request(api, owner, made, env, token):
    use = {"X-API-Key": made["key"]}
    assert api.http.get("/api/market-data/coverage", headers=use).status_code == 200  # cached
    # A second API process sharing Redis has the key cached too.
    other_rt = Runtime.from_settings(Settings.from_env(env))
    with Client(create_app(lambda: other_rt)) as other:
        assert other.http.get("/api/market-data/coverage", headers=use).status_code == 200
        revoked = api.http.delete(f"/api/keys/{made['id']}", headers=owner)
        assert revoked.status_code == 200 and body(revoked)["id"] == made["id"]
        for client in (api, other):
            refused = client.http.get("/api/market-data/coverage", headers=use)
            assert refused.status_code == 401
            assert body(refused)["error"]["code"] == "unauthorized"
    other_rt.stores.close()
    assert body(api.http.get("/api/keys", headers=owner))["keys"] == []
    again = api.http.delete(f"/api/keys/{made['id']}", headers=owner)
    assert again.status_code == 404


@pytest.fixture
def limited_api(env):
    limited = {**env, "TIER_LIMITS": '{"pro": {"requests_per_minute": 6}}'}
    rt = Runtime.from_settings(Settings.from_env(limited))
    with Client(create_app(lambda: rt)) as client:
        yield client
    rt.stores.close()


def test_rate_limits_count_per_owner_not_per_key(limited_api, token):
    api = limited_api
    owner = {"Authorization": f"Bearer {token('bob', 'pro')}", "Content-Type": "application/json"}
    first = body(create(api, owner, "one"))["key"]
    second = body(create(api, owner, "two"))["key"]  # 2 requests spent so far
    codes = [api.http.get("/api/symbols", headers={"X-API-Key": k}).status_code
             for k in (first, second, first, second)]  # fmt: skip
    assert codes == [200] * 4
    assert api.http.get("/api/symbols", headers={"X-API-Key": second}).status_code == 429
    assert api.http.get("/api/symbols", headers=owner).status_code == 429  # the token too


def test_job_caps_count_per_owner(api, owner, made, auth_headers):
    ten_days_ago = int(time.time() * 1000) - 10 * 86_400_000

    def fetch(headers, symbol):
        return api.http.post(
            "/api/market-data/fetch",
            headers={**headers, "Content-Type": "application/json"},
            body=json.dumps({"symbol": symbol, "interval": "1h", "start": ten_days_ago}),
        )

    assert fetch(owner, "BTCUSDT").status_code == 202
    assert fetch({"X-API-Key": made["key"]}, "ETHUSDT").status_code == 202
    refused = fetch({"X-API-Key": made["key"]}, "BNBUSDT")  # pro: 2 jobs per owner
    assert refused.status_code == 429 and body(refused)["error"]["code"] == "too_many_jobs"


def test_keys_cannot_manage_keys(api, made):
    use = {"X-API-Key": made["key"], "Content-Type": "application/json"}
    for response in (
        api.http.post("/api/keys", headers=use, body=json.dumps({"name": "x"})),
        api.http.get("/api/keys", headers=use),
        api.http.delete(f"/api/keys/{made['id']}", headers=use),
    ):
        assert response.status_code == 403
        assert body(response)["error"]["code"] == "forbidden"


def test_keys_are_per_owner(api, made, auth_headers):
    mallory = auth_headers("mallory", "pro")
    assert body(api.http.get("/api/keys", headers=mallory))["keys"] == []
    assert api.http.delete(f"/api/keys/{made['id']}", headers=mallory).status_code == 404


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ("", "invalid_request"),
        ("[]", "invalid_request"),
        ("{}", "invalid_request"),
        ('{"name": 5}', "invalid_request"),
        ('{"name": "   "}', "invalid_request"),
        ('{"name": "' + "x" * 101 + '"}', "invalid_request"),
        ('{"name": "bad\\u0000name"}', "invalid_request"),
        ('{"name": "ok", "tier": "enterprise"}', "invalid_request"),
    ],
)
def test_bad_creation_requests_are_400(api, owner, payload, code):
    response = api.http.post("/api/keys", headers=owner, body=payload)
    assert response.status_code == 400
    assert body(response)["error"]["code"] == code
    assert body(api.http.get("/api/keys", headers=owner))["keys"] == []


def test_there_is_a_cap_on_live_keys(api, owner):
    for i in range(MAX_KEYS_PER_OWNER):
        assert create(api, owner, f"k{i}").status_code == 201
    refused = create(api, owner, "one too many")
    assert refused.status_code == 403 and body(refused)["error"]["code"] == "forbidden"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-API-Key": "not-a-cl3-key"},
        {"X-API-Key": "cl3_tooshort"},
        {"X-API-Key": "cl3_" + "A" * 40},  # well-formed, unknown
        {"X-MBX-APIKEY": "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"},
        {"Authorization": "Bearer cl3_" + "B" * 40},
        {"Authorization": "Basic cl3_" + "C" * 40},
    ],
)
def test_missing_or_invalid_keys_are_401(api, headers):
    response = api.http.get("/api/market-data/coverage", headers=headers)
    assert response.status_code == 401
    assert body(response)["error"]["code"] == "unauthorized"
    for value in headers.values():
        assert value.split()[-1] not in response.body.decode()


def test_managing_keys_needs_a_token(api):
    assert api.http.get("/api/keys").status_code == 401
    assert api.http.post("/api/keys", body='{"name": "x"}').status_code == 401
    assert api.http.delete("/api/keys/key_0123456789abcdef").status_code == 401


def test_keys_never_appear_in_redis_or_logs(api, owner, redis_client, caplog):
    caplog.set_level(logging.DEBUG)
    made = body(create(api, owner))
    key = made["key"]
    use = {"X-API-Key": key}
    api.http.get("/api/market-data/coverage", headers=use)
    api.http.get("/api/symbols", headers={"Authorization": f"Bearer {key}"})
    api.http.delete(f"/api/keys/{made['id']}", headers=owner)
    api.http.get("/api/market-data/coverage", headers=use)  # refused, and logged nowhere
    names = list(redis_client.scan_iter("*"))
    assert any(key_hash(key).encode() in n for n in names)  # the cache is there, by hash
    for name in names:
        assert key.encode() not in name and key[4:].encode() not in name
        kind = redis_client.type(name)
        values: list[bytes] = []
        if kind == b"string":
            values = [redis_client.get(name) or b""]
        elif kind == b"hash":
            values = [v for kv in redis_client.hgetall(name).items() for v in kv]
        elif kind in (b"list",):
            values = redis_client.lrange(name, 0, -1)
        elif kind == b"zset":
            values = [m for m, _ in redis_client.zrange(name, 0, -1, withscores=True)]
        elif kind == b"set":
            values = list(redis_client.smembers(name))
        for value in values:
            assert key[4:].encode() not in value, name
    assert key[4:] not in caplog.text
