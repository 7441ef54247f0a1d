"""Klines through the mirror equal the exchange's, and each page is asked of it once."""

from __future__ import annotations

import json
import threading

from cl3_common.settings import Settings
from cl3_common.store import SeriesKey, open_stores

MINUTE = 60_000
JAN_2024 = 1_704_067_200_000
GAP_START, GAP_END = 1_679_661_600_000, 1_679_666_400_000  # the sandbox's 80-minute outage


def klines_requests(exchange) -> int:
    return int(exchange.stats()["klines_requests"])


def test_a_closed_range_is_fetched_once_then_served_from_the_store(binance, direct, exchange):
    params = {"symbol": "BTCUSDT", "interval": "1m", "startTime": JAN_2024, "limit": 1000}
    expected = direct("klines", params).json()
    exchange.reset_stats()
    first = binance("klines", params)
    assert first.status_code == 200
    assert json.loads(first.body) == expected  # every field, as strings
    assert 1 <= klines_requests(exchange) <= 2  # the page grid: at most two pages
    exchange.reset_stats()
    again = binance("klines", params)
    assert json.loads(again.body) == expected
    assert klines_requests(exchange) == 0


def test_paging_over_an_exchange_outage_matches_the_exchange(binance, direct, exchange):
    start = GAP_START - 500 * MINUTE
    for params in (
        {"symbol": "ETHUSDT", "interval": "1m", "startTime": start, "limit": 1000},
        {"symbol": "ETHUSDT", "interval": "1m", "startTime": start, "endTime": GAP_END + 9999},
        {"symbol": "ETHUSDT", "interval": "1m", "endTime": GAP_END + 100 * MINUTE},
        {"symbol": "ETHUSDT", "interval": "1h", "startTime": start},
    ):
        expected = direct("klines", params).json()
        assert json.loads(binance("klines", params).body) == expected, params
        exchange.reset_stats()
        assert json.loads(binance("klines", params).body) == expected, params
        assert klines_requests(exchange) == 0, params


def test_the_listing_probe_is_answered_from_the_store_the_second_time(binance, direct, exchange):
    # python-binance asks this before every historical download.
    params = {"symbol": "SOLUSDT", "interval": "1d", "startTime": 0, "limit": 1}
    expected = direct("klines", params).json()
    assert json.loads(binance("klines", params).body) == expected
    exchange.reset_stats()
    assert json.loads(binance("klines", params).body) == expected
    earlier = {"symbol": "SOLUSDT", "interval": "1d", "endTime": expected[0][0] - 1}
    assert json.loads(binance("klines", earlier).body) == []
    assert klines_requests(exchange) == 0


def test_defaults_and_limits_follow_binance(binance, direct):
    for params in (
        {"symbol": "BNBUSDT", "interval": "5m", "startTime": JAN_2024},  # limit 500
        {"symbol": "BNBUSDT", "interval": "1w", "startTime": 0, "limit": 1000},
        {"symbol": "BNBUSDT", "interval": "1M", "startTime": 0, "limit": 7},
        {"symbol": "BNBUSDT", "interval": "3d", "startTime": JAN_2024, "endTime": JAN_2024},
        {"symbol": "BNBUSDT", "interval": "1s", "startTime": JAN_2024 + 123, "limit": 1000},
        {"symbol": "BNBUSDT", "interval": "1m", "startTime": 4_102_444_800_000},  # 2100: none
    ):
        answer = binance("klines", params)
        assert answer.status_code == 200
        assert json.loads(answer.body) == direct("klines", params).json(), params
    assert len(json.loads(binance("klines", {"symbol": "BNBUSDT", "interval": "5m",
                                             "startTime": JAN_2024}).body)) == 500  # fmt: skip


def test_the_open_candle_passes_through_and_is_not_stored(binance, direct, env):
    params = {"symbol": "XRPUSDT", "interval": "1h", "limit": 3}
    mirrored = json.loads(binance("klines", params).body)
    straight = direct("klines", params).json()
    assert [r[0] for r in mirrored] == [r[0] for r in straight]
    assert mirrored[:-1] == straight[:-1]  # closed candles exactly
    open_candle = mirrored[-1]
    stores = open_stores(Settings.from_env(env))
    try:
        stored = stores.candles.read(SeriesKey("XRPUSDT", "1h"), 0, 2**62)
    finally:
        stores.close()
    assert stored and all(row[0] < open_candle[0] for row in stored)


def test_ui_klines_and_time_zones(binance, direct):
    params = {"symbol": "ETHBTC", "interval": "1d", "startTime": JAN_2024, "limit": 20}
    assert json.loads(binance("uiKlines", params).body) == direct("uiKlines", params).json()
    zoned = {**params, "timeZone": "8"}
    assert json.loads(binance("klines", zoned).body) == direct("klines", zoned).json()
    utc = {**params, "timeZone": "0"}
    assert json.loads(binance("klines", utc).body) == direct("klines", params).json()


def test_concurrent_identical_misses_make_one_exchange_request(
    binance, second_api, api_key, exchange
):
    params = "symbol=BTCUSDT&interval=1m&startTime=1709251200000&limit=1000"  # page-aligned
    exchange.reset_stats()
    answers: list[bytes] = []
    barrier = threading.Barrier(8)

    def ask(use_second: bool) -> None:
        barrier.wait()
        if use_second:
            response = second_api.http.get(f"/binance/api/v3/klines?{params}",
                                           headers={"X-MBX-APIKEY": api_key})  # fmt: skip
        else:
            response = binance("klines", dict(p.split("=") for p in params.split("&")))
        answers.append(response.body)

    threads = [threading.Thread(target=ask, args=(i % 2 == 1,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(answers) == 8 and len(set(answers)) == 1
    assert len(json.loads(answers[0])) == 1000
    # The range straddles two pages of the grid: each asked once, whatever 8 callers do.
    assert exchange.stats()["by_path"].get("/api/v3/klines") == 2


def test_the_mongodb_backend_serves_the_same(mongo_env, token, direct, exchange):
    from chalice.test import Client

    from chalicelib.factory import create_app
    from chalicelib.runtime import Runtime

    rt = Runtime.from_settings(Settings.from_env(mongo_env))
    try:
        with Client(create_app(lambda: rt)) as api:
            headers = {"Authorization": f"Bearer {token('frank', 'pro')}",
                       "Content-Type": "application/json"}  # fmt: skip
            made = api.http.post("/api/keys", headers=headers, body='{"name": "m"}')
            key = json.loads(made.body)["key"]
            query = f"symbol=ETHUSDT&interval=1h&startTime={GAP_START - 100 * 3_600_000}"
            expected = direct("klines", dict(p.split("=") for p in query.split("&"))).json()
            for round_ in range(2):
                exchange.reset_stats()
                answer = api.http.get(f"/binance/api/v3/klines?{query}",
                                      headers={"X-API-Key": key})  # fmt: skip
                assert json.loads(answer.body) == expected
                assert klines_requests(exchange) == (1 if round_ == 0 else 0)
    finally:
        rt.stores.close()
