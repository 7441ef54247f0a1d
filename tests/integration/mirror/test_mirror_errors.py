"""Unhappy paths of the mirror: Binance's codes, bodies and statuses, never a 418."""

from __future__ import annotations

import json

import pytest

JAN_2024 = 1_704_067_200_000
BINANCE_STYLE_KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
REJECTED = {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."}


def answer(response) -> tuple[int, dict]:
    return response.status_code, json.loads(response.body)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"interval": "1m"},
        {"symbol": "BTCUSDT"},
        {"symbol": "btcusdt", "interval": "1m"},
        {"symbol": "BTC USDT", "interval": "1m"},
        {"symbol": "BTCUSDT", "interval": "1m", "startTime": "abc"},
        {"symbol": "BTCUSDT", "interval": "1m", "endTime": "-5"},
        {"symbol": "BTCUSDT", "interval": "1m", "limit": "1e3"},
        {"symbol": "BTCUSDT", "interval": "2m"},
        {"symbol": "BTCUSDT", "interval": "1H"},
        {"symbol": "NOPEUSDT", "interval": "1m"},
        {"symbol": "NOPEUSDT", "interval": "7m"},
        {"symbol": "BTCUSDT", "interval": "1m", "limit": "0"},
        {"symbol": "BTCUSDT", "interval": "1m", "limit": "1001"},
        {"symbol": "BTCUSDT", "interval": "1m", "timeZone": "15"},
        {"symbol": "BTCUSDT", "interval": "1m", "timeZone": "+8:99"},
        {"symbol": "BTCUSDT", "interval": "1m", "startTime": JAN_2024 + 1, "endTime": JAN_2024},
    ],
)
def test_bad_klines_parameters_get_the_exchanges_own_error(binance, direct, exchange, params):
    exchange.reset_stats()
    expected = direct("klines", params)
    assert expected.status_code == 400
    assert answer(binance("klines", params)) == (400, expected.json())
    assert answer(binance("uiKlines", params)) == (400, expected.json())
    assert exchange.stats()["klines_requests"] == 1  # only the direct one: refused here first


@pytest.mark.parametrize(
    "params",
    [
        {"symbol": "BTCUSDT", "symbols": '["ETHUSDT"]'},
        {"symbols": "[ETHUSDT]"},
        {"symbols": '["ETHUSDT","NOPE"]'},
        {"symbol": "NOPE"},
        {"symbol": "eth"},
        {"symbolStatus": "GONE"},
        {"symbol": "BTCUSDT", "symbolStatus": "TRADING"},
    ],
)
def test_bad_exchange_info_parameters_too(binance, direct, params):
    expected = direct("exchangeInfo", params)
    assert expected.status_code == 400
    assert answer(binance("exchangeInfo", params)) == (400, expected.json())


def test_exchange_info_is_the_exchanges_with_the_callers_limits(binance, direct, exchange):
    status, body = answer(binance("exchangeInfo"))
    straight = direct("exchangeInfo").json()
    assert status == 200
    assert body["symbols"] == straight["symbols"] and body["timezone"] == "UTC"
    assert body["rateLimits"] == [{"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE",
                                   "intervalNum": 1, "limit": 600}]  # pro  # fmt: skip
    one = answer(binance("exchangeInfo", {"symbol": "ETHBTC"}))[1]
    assert [s["symbol"] for s in one["symbols"]] == ["ETHBTC"]
    many = answer(binance("exchangeInfo", {"symbols": '["ETHBTC","BTCUSDT"]'}))[1]
    assert [s["symbol"] for s in many["symbols"]] == ["ETHBTC", "BTCUSDT"]
    exchange.reset_stats()
    for _ in range(5):
        assert binance("exchangeInfo").status_code == 200
    assert exchange.stats()["by_path"].get("/api/v3/exchangeInfo") is None  # weight 20, once


def test_ping_and_time(binance, runtime):
    first, second = binance("ping"), binance("ping")
    assert answer(first) == (200, {})
    # Requests used this minute by the key's owner (each weighs 1), as Binance reports weight.
    used = int(first.headers["X-MBX-USED-WEIGHT-1M"])
    assert int(second.headers["X-MBX-USED-WEIGHT-1M"]) == used + 1
    assert second.headers["X-MBX-USED-WEIGHT"] == second.headers["X-MBX-USED-WEIGHT-1M"]
    assert int(second.headers["X-RateLimit-Limit"]) == 600  # pro
    status, body = answer(binance("time"))
    assert status == 200 and abs(body["serverTime"] - runtime.clock() * 1000) < 5000


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({"X-MBX-APIKEY": ""}, -2014),
        (
            {"X-MBX-APIKEY": "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"},
            -2014,
        ),
        ({"X-MBX-APIKEY": "cl3_short"}, -2014),
        ({"X-MBX-APIKEY": "cl3_" + "Z" * 40}, -2015),
        ({"X-MBX-APIKEY": "", "Authorization": "Bearer not.a.jwt"}, -2015),
    ],
)
def test_missing_or_invalid_keys_are_401_in_binances_shape(api, headers, code):
    sent = {k: v for k, v in headers.items() if v}
    for path in ("ping", "time", "klines?symbol=BTCUSDT&interval=1m", "uiKlines", "exchangeInfo"):
        status, body = answer(api.http.get(f"/binance/api/v3/{path}", headers=sent))
        assert status == 401 and body["code"] == code and set(body) == {"code", "msg"}


def test_a_revoked_key_is_refused_on_the_next_request(api, binance, api_key, auth_headers):
    assert binance("ping").status_code == 200
    listed = json.loads(api.http.get("/api/keys", headers=auth_headers("alice", "pro")).body)
    key_id = listed["keys"][0]["id"]
    api.http.delete(f"/api/keys/{key_id}", headers=auth_headers("alice", "pro"))
    assert answer(binance("ping")) == (401, REJECTED)


def test_every_credential_form_works(api, api_key, token):
    for headers in ({"X-MBX-APIKEY": api_key}, {"X-API-Key": api_key},
                    {"Authorization": f"Bearer {api_key}"},
                    {"Authorization": f"Bearer {token('carol', 'free')}"}):  # fmt: skip
        assert api.http.get("/binance/api/v3/ping", headers=headers).status_code == 200


def test_the_owners_rate_limit_is_a_binance_429(make_runtime, token):
    from chalice.test import Client

    from chalicelib.factory import create_app

    rt = make_runtime(TIER_LIMITS='{"free": {"requests_per_minute": 3}}')
    with Client(create_app(lambda: rt)) as api:
        headers = {"Authorization": f"Bearer {token('dave', 'free')}"}
        codes = [api.http.get("/binance/api/v3/ping", headers=headers).status_code
                 for _ in range(3)]  # fmt: skip
        refused = api.http.get("/binance/api/v3/ping", headers=headers)
    assert codes == [200, 200, 200]
    assert refused.status_code == 429 and json.loads(refused.body)["code"] == -1003
    assert int(refused.headers["Retry-After"]) >= 1


def test_during_a_ban_stored_ranges_are_served_and_misses_get_429(binance, direct, exchange):
    stored = {"symbol": "BTCUSDT", "interval": "1h", "startTime": JAN_2024, "limit": 100}
    expected = direct("klines", stored).json()
    assert json.loads(binance("klines", stored).body) == expected
    exchange.reset_stats()
    exchange.inject(418, count=1, retry_after=120)
    missing = {"symbol": "BTCUSDT", "interval": "1h", "startTime": JAN_2024 - 10**10}
    refused = binance("klines", missing)
    assert refused.status_code == 429  # never a 418: the caller did nothing wrong
    assert json.loads(refused.body)["code"] == -1003
    assert 100 <= int(refused.headers["Retry-After"]) <= 120
    assert exchange.stats()["responses_418"] == 1
    # The ban holds in Redis for every process: no request is sent until it lifts ...
    assert binance("klines", {**missing, "symbol": "ETHUSDT"}).status_code == 429
    assert exchange.stats()["klines_requests"] == 1
    # ... and what is stored is still served.
    assert json.loads(binance("klines", stored).body) == expected
    assert exchange.stats()["klines_requests"] == 1


def test_an_exchange_outage_is_a_503_not_a_hang(binance, exchange):
    exchange.inject(503, count=10)
    try:
        status, body = answer(binance("klines", {"symbol": "BTCUSDT", "interval": "4h",
                                                 "startTime": JAN_2024}))  # fmt: skip
    finally:
        exchange.clear_faults()
    assert status == 503 and body["code"] == -1001


def test_a_ban_while_exchange_info_is_due_still_serves_the_store(
    binance, direct, exchange, make_runtime, api_key, redis_client
):
    from chalice.test import Client

    from chalicelib.factory import create_app

    stored = {"symbol": "ETHUSDT", "interval": "1h", "startTime": JAN_2024, "limit": 50}
    expected = direct("klines", stored).json()
    assert json.loads(binance("klines", stored).body) == expected
    (name,) = list(redis_client.scan_iter("cl3:mirror:exchange_info:*"))
    kept = json.loads(redis_client.get(name))
    redis_client.set(name, json.dumps({**kept, "fetched_at": 0}))  # due for a refresh
    exchange.reset_stats()
    exchange.inject(418, count=1, retry_after=120, path="/api/v3/exchangeInfo")
    rt = make_runtime()  # a fresh API process: nothing in its memory
    with Client(create_app(lambda: rt)) as fresh:
        answer = fresh.http.get(
            "/binance/api/v3/klines?" + "&".join(f"{k}={v}" for k, v in stored.items()),
            headers={"X-MBX-APIKEY": api_key},
        )
        assert answer.status_code == 200 and json.loads(answer.body) == expected
        info = fresh.http.get("/binance/api/v3/exchangeInfo", headers={"X-MBX-APIKEY": api_key})
        assert info.status_code == 200 and json.loads(info.body)["symbols"]
    assert exchange.stats()["responses_418"] == 1
    assert exchange.stats()["klines_requests"] == 0
