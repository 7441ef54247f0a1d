"""Unhappy paths of the futures mirror: Binance's codes and bodies, and a ban of one host that
stops that host's misses only (never a 418 to the client)."""

from __future__ import annotations

import json

import pytest

DAY = 86_400_000
MARCH_2024 = 1_709_251_200_000
KLINES = {"symbol": "BTCUSDT", "interval": "1m"}
COINM = {"symbol": "BTCUSD_PERP", "interval": "1h"}


def answer(response) -> tuple[int, dict]:
    return response.status_code, json.loads(response.body)


@pytest.mark.parametrize(
    ("family", "path", "params"),
    [
        ("fapi", "klines", {}),
        ("fapi", "klines", {"interval": "1m"}),
        ("fapi", "klines", {"symbol": "BTCUSDT"}),
        ("fapi", "klines", {"symbol": "btcusdt", "interval": "1m"}),
        ("fapi", "klines", {**KLINES, "startTime": "abc"}),
        ("fapi", "klines", {**KLINES, "limit": "-1"}),
        ("fapi", "klines", {"symbol": "BTCUSDT", "interval": "1s"}),  # spot only
        ("fapi", "klines", {"symbol": "BTCUSDT", "interval": "7m"}),
        ("fapi", "klines", {"symbol": "NOPEUSDT", "interval": "1m"}),
        ("fapi", "klines", {"symbol": "BTCUSD_PERP", "interval": "1m"}),  # COIN-M's, not fapi's
        ("fapi", "klines", {**KLINES, "limit": "0"}),
        ("fapi", "klines", {**KLINES, "limit": "1501"}),
        ("fapi", "klines", {**KLINES, "startTime": MARCH_2024 + 1, "endTime": MARCH_2024}),
        ("fapi", "markPriceKlines", {"symbol": "SRMUSDT", "interval": "1h"}),  # delisted
        ("fapi", "indexPriceKlines", KLINES),  # takes `pair`
        ("fapi", "indexPriceKlines", {"pair": "NOPE", "interval": "1h"}),
        ("fapi", "premiumIndexKlines", {**KLINES, "limit": "2000"}),
        ("dapi", "klines", {"symbol": "BTCUSDT", "interval": "1h"}),
        ("dapi", "klines", {**COINM, "startTime": MARCH_2024, "endTime": MARCH_2024 + 201 * DAY}),
        ("dapi", "markPriceKlines", {**COINM, "startTime": 0, "endTime": MARCH_2024}),
        ("dapi", "indexPriceKlines", {"pair": "BTCUSD_PERP", "interval": "1h"}),
        ("fapi", "fundingRate", {"symbol": "NOPEUSDT"}),
        ("fapi", "fundingRate", {"symbol": "BTCUSDT", "limit": "1001"}),
        ("fapi", "fundingRate", {"symbol": "BTCUSDT", "limit": "1e3"}),
        ("fapi", "fundingRate", {"symbol": "BTCUSDT", "startTime": 5, "endTime": 4}),
        ("fapi", "fundingRate", {"symbol": "NOPE", "startTime": 5, "endTime": 4}),  # -1023 first
        ("dapi", "fundingRate", {}),  # COIN-M needs the symbol
        ("dapi", "fundingRate", {"symbol": "BTCUSD PERP"}),
    ],
)  # fmt: skip
def test_bad_parameters_get_the_exchanges_own_error(
    futures, futures_direct, exchange, family, path, params
):
    expected = futures_direct(family, path, params)
    assert expected.status_code == 400
    exchange.reset_stats()
    assert answer(futures(family, path, params)) == (400, expected.json())
    # Refused here, before asking the exchange (only its symbol list may be read first).
    families = exchange.stats()["families"]
    assert families[family]["klines_requests"] == families[family]["funding_requests"] == 0


def test_the_premium_index_has_no_200_day_window_on_coinm(futures, futures_direct):
    params = {**COINM, "startTime": MARCH_2024, "endTime": MARCH_2024 + 300 * DAY, "limit": 5}
    assert futures_direct("dapi", "premiumIndexKlines", params).status_code == 200
    assert answer(futures("dapi", "premiumIndexKlines", params)) == (
        200, futures_direct("dapi", "premiumIndexKlines", params).json())  # fmt: skip


def test_a_ban_on_fapi_stops_fapi_misses_only(futures, futures_direct, binance, direct, exchange):
    stored = {"symbol": "ETHUSDT", "interval": "1h", "startTime": MARCH_2024, "limit": 200}
    funding = {"symbol": "ETHUSDT", "startTime": MARCH_2024, "limit": 50}
    expected = futures_direct("fapi", "markPriceKlines", stored).json()
    expected_funding = futures_direct("fapi", "fundingRate", funding).json()
    assert json.loads(futures("fapi", "markPriceKlines", stored).body) == expected
    assert json.loads(futures("fapi", "fundingRate", funding).body) == expected_funding
    exchange.reset_stats()
    exchange.inject(418, count=1, retry_after=120, path="/fapi/v1/markPriceKlines")
    missing = {**stored, "startTime": MARCH_2024 - 400 * DAY}
    status, body = answer(refused := futures("fapi", "markPriceKlines", missing))
    assert status == 429 and body["code"] == -1003  # never a 418: the caller did nothing wrong
    assert 100 <= int(refused.headers["Retry-After"]) <= 120
    assert exchange.stats()["families"]["fapi"]["responses_418"] == 1
    sent = exchange.stats()["families"]["fapi"]["requests"]
    # Every fapi miss is refused without a request, whatever its endpoint ...
    earlier = MARCH_2024 - 400 * DAY
    for path, params in (("klines", {**missing, "symbol": "BTCUSDT"}),
                         ("fundingRate", {**funding, "startTime": earlier})):  # fmt: skip
        status, body = answer(futures("fapi", path, params))
        assert status == 429 and body["code"] == -1003, path
    # ... what fapi answered before is still served ...
    assert json.loads(futures("fapi", "markPriceKlines", stored).body) == expected
    assert json.loads(futures("fapi", "fundingRate", funding).body) == expected_funding
    assert exchange.stats()["families"]["fapi"]["requests"] == sent
    # ... and spot and COIN-M misses go to their own hosts as usual.
    spot = {"symbol": "BTCUSDT", "interval": "1h", "startTime": MARCH_2024 - 400 * DAY}
    assert answer(binance("klines", spot)) == (200, direct("klines", spot).json())
    coinm = {**COINM, "endTime": MARCH_2024 - 400 * DAY, "limit": 20}
    assert answer(futures("dapi", "klines", coinm)) == (
        200, futures_direct("dapi", "klines", coinm).json())  # fmt: skip
    assert exchange.stats()["families"]["spot"]["klines_requests"] >= 2


def test_a_fresh_api_process_during_a_ban_serves_the_store_and_refuses_misses_with_429(
    futures, futures_direct, exchange, make_runtime, api_key, redis_client
):
    from chalice.test import Client

    from chalicelib.factory import create_app

    stored = {"symbol": "BTCUSD_PERP", "interval": "1d", "endTime": MARCH_2024, "limit": 50}
    expected = futures_direct("dapi", "klines", stored).json()
    assert json.loads(futures("dapi", "klines", stored).body) == expected
    exchange.inject(418, count=1, retry_after=120, path="/dapi/v1/klines")
    missing = {**stored, "endTime": MARCH_2024 - 300 * DAY}
    assert futures("dapi", "klines", missing).status_code == 429  # the ban is now in Redis
    # The host's symbol list expired meanwhile: a new process cannot read its budget.
    (catalog,) = redis_client.scan_iter("cl3:exchange_info:dapi:*")
    redis_client.delete(catalog)
    exchange.reset_stats()
    rt = make_runtime()
    with Client(create_app(lambda: rt)) as fresh:

        def get(params: dict) -> tuple[int, dict | list, dict]:
            query = "&".join(f"{k}={v}" for k, v in params.items())
            got = fresh.http.get(f"/binance/dapi/v1/klines?{query}",
                                 headers={"X-MBX-APIKEY": api_key})  # fmt: skip
            return got.status_code, json.loads(got.body), got.headers

        assert get(stored)[:2] == (200, expected)
        status, body, headers = get(missing)
    assert status == 429 and body["code"] == -1003 and int(headers["Retry-After"]) >= 100
    assert exchange.stats()["families"]["dapi"]["requests"] == 0
