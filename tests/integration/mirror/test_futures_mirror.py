"""Futures klines of every kind through the mirror equal the exchange's, and each page is asked
of the exchange's own host once (USDⓈ-M on fapi, COIN-M on dapi)."""

from __future__ import annotations

import json
import threading

import pytest

from cl3_common.settings import Settings
from cl3_common.store import SeriesKey, open_stores
from cl3_sandbox.exchange import SETTLED_COINM_SYMBOL

MINUTE, HOUR, DAY = 60_000, 3_600_000, 86_400_000
MARCH_2024 = 1_709_251_200_000
GAP_START = 1_679_661_600_000  # the sandbox's 80-minute outage (every market)


def klines_requests(exchange, family: str) -> int:
    return int(exchange.stats()["families"][family]["klines_requests"])


@pytest.mark.parametrize(
    ("family", "path", "params"),
    [
        ("fapi", "klines", {"symbol": "BTCUSDT", "interval": "1m",
                            "startTime": MARCH_2024 + 17 * MINUTE, "limit": 1000}),
        ("fapi", "markPriceKlines", {"symbol": "ETHUSDT", "interval": "1h",
                                     "startTime": MARCH_2024, "endTime": MARCH_2024 + 9 * DAY}),
        ("fapi", "indexPriceKlines", {"pair": "BTCUSDT", "interval": "15m",
                                      "endTime": MARCH_2024, "limit": 1500}),
        ("fapi", "premiumIndexKlines", {"symbol": "BTCUSDT", "interval": "1m",
                                        "startTime": GAP_START - 100 * MINUTE, "limit": 300}),
        ("dapi", "klines", {"symbol": "BTCUSD_PERP", "interval": "1m",
                            "startTime": MARCH_2024}),  # the window's last 500 minutes
        ("dapi", "markPriceKlines", {"symbol": "BTCUSD_PERP", "interval": "1d",
                                     "endTime": MARCH_2024, "limit": 100}),
        ("dapi", "indexPriceKlines", {"pair": "BTCUSD", "interval": "4h",
                                      "startTime": MARCH_2024, "endTime": MARCH_2024 + 30 * DAY}),
        ("dapi", "premiumIndexKlines", {"symbol": "BTCUSD_PERP", "interval": "5m",
                                        "startTime": MARCH_2024, "limit": 700}),
        ("dapi", "klines", {"symbol": SETTLED_COINM_SYMBOL, "interval": "1d",
                            "endTime": 1_690_000_000_000}),  # delivered: up to its delivery
    ],
)  # fmt: skip
def test_every_kind_matches_the_exchange_then_comes_from_the_store(
    futures, futures_direct, exchange, family, path, params
):
    expected = futures_direct(family, path, params).json()
    assert isinstance(expected, list) and len(expected) > 10
    exchange.reset_stats()
    first = futures(family, path, params)
    assert first.status_code == 200 and first.headers["Content-Type"].startswith("application/json")
    assert json.loads(first.body) == expected  # every field, strings as the exchange's
    assert 1 <= klines_requests(exchange, family) <= 5
    other = "dapi" if family == "fapi" else "fapi"
    assert klines_requests(exchange, other) == klines_requests(exchange, "spot") == 0
    exchange.reset_stats()
    assert json.loads(futures(family, path, params).body) == expected
    assert klines_requests(exchange, family) == 0


def test_defaults_limits_and_long_intervals_follow_binance(futures, futures_direct):
    for family, params in (
        ("fapi", {"symbol": "ETHUSDT", "interval": "3m", "startTime": MARCH_2024}),  # 500
        ("fapi", {"symbol": "ETHUSDT", "interval": "1m", "startTime": MARCH_2024, "limit": 1500}),
        # (closed candles only: an open one may change between the two requests)
        (
            "fapi",
            {
                "symbol": "BTCUSDT",
                "interval": "1w",
                "startTime": 0,
                "endTime": MARCH_2024,
                "limit": 1500,
            },
        ),
        ("fapi", {"symbol": "BTCUSDT", "interval": "1M", "startTime": 0, "endTime": MARCH_2024}),
        ("fapi", {"symbol": "BTCUSDT", "interval": "1d", "startTime": 0, "limit": 1}),  # listing
        ("dapi", {"symbol": "BTCUSD_PERP", "interval": "1M", "endTime": MARCH_2024}),
        ("dapi", {"symbol": "BTCUSD_PERP", "interval": "1w", "endTime": MARCH_2024}),
        ("dapi", {"symbol": "BTCUSD_PERP", "interval": "3d", "startTime": 0}),  # before listing
    ):
        answer = futures(family, "klines", params)
        assert answer.status_code == 200
        assert json.loads(answer.body) == futures_direct(family, "klines", params).json(), params
    eth = {"symbol": "ETHUSDT", "startTime": MARCH_2024}
    asks = ({**eth, "interval": "3m"}, {**eth, "interval": "1m", "limit": 1500})
    sizes = [len(json.loads(futures("fapi", "klines", p).body)) for p in asks]
    assert sizes == [500, 1500]


def test_the_coinm_window_is_answered_from_its_end(futures, futures_direct, exchange):
    start = MARCH_2024
    params = {"symbol": "BTCUSD_PERP", "interval": "1h", "startTime": start, "limit": 10}
    rows = json.loads(futures("dapi", "klines", params).body)
    assert rows == futures_direct("dapi", "klines", params).json()
    # Only startTime: the window ends 200 days later, and its last 10 hours are the answer.
    assert [r[0] for r in rows] == [start + 200 * DAY - (9 - i) * HOUR for i in range(10)]
    exchange.reset_stats()
    ending = {"symbol": "BTCUSD_PERP", "interval": "1h", "endTime": start + 200 * DAY + 1,
              "limit": 10}  # fmt: skip
    assert json.loads(futures("dapi", "klines", ending).body) == rows
    assert klines_requests(exchange, "dapi") == 0


def test_the_open_candle_passes_through_and_is_not_stored(futures, futures_direct, env):
    params = {"symbol": "BTCUSDT", "interval": "1h", "limit": 3}
    mirrored = json.loads(futures("fapi", "markPriceKlines", params).body)
    straight = futures_direct("fapi", "markPriceKlines", params).json()
    assert [r[0] for r in mirrored] == [r[0] for r in straight]
    assert mirrored[:-1] == straight[:-1]
    stores = open_stores(Settings.from_env(env))
    try:
        stored = stores.candles.read(SeriesKey("BTCUSDT", "1h", "usdm", "mark"), 0, 2**62)
    finally:
        stores.close()
    assert stored and all(row[0] < mirrored[-1][0] for row in stored)


def test_index_klines_are_stored_under_the_pair_as_the_workers_store_them(
    futures, futures_direct, env
):
    params = {"pair": "BTCUSD", "interval": "1d", "endTime": MARCH_2024 + 19 * DAY, "limit": 20}
    assert (
        json.loads(futures("dapi", "indexPriceKlines", params).body)
        == futures_direct("dapi", "indexPriceKlines", params).json()
    )
    stores = open_stores(Settings.from_env(env))
    try:
        key = SeriesKey("BTCUSD", "1d", "coinm", "index")
        assert len(stores.candles.read(key, MARCH_2024, MARCH_2024 + 20 * DAY)) == 20
        assert stores.candles.read(SeriesKey("BTCUSD_PERP", "1d", "coinm", "index"), 0, 2**62) == []
    finally:
        stores.close()


def test_exchange_info_ping_and_time_on_both_hosts(futures, futures_direct, exchange):
    for family in ("fapi", "dapi"):
        body = json.loads(futures(family, "exchangeInfo").body)
        straight = futures_direct(family, "exchangeInfo").json()
        assert body["symbols"] == straight["symbols"]
        assert {k for k in straight if k != "assets"} <= set(body)
        assert body["rateLimits"] == [{"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE",
                                       "intervalNum": 1, "limit": 600}]  # pro  # fmt: skip
        assert json.loads(futures(family, "ping").body) == {}
        assert abs(json.loads(futures(family, "time").body)["serverTime"]
                   - straight["serverTime"]) < 60_000  # fmt: skip
    exchange.reset_stats()
    for family in ("fapi", "dapi"):
        assert futures(family, "exchangeInfo").status_code == 200
    assert exchange.stats()["requests"] == 0  # kept for every API process


def test_the_mongodb_backend_serves_the_same(mongo_env, token, futures_direct, exchange):
    from chalice.test import Client

    from chalicelib.factory import create_app
    from chalicelib.runtime import Runtime

    asks = (("dapi", "markPriceKlines", {"symbol": "BTCUSD_PERP", "interval": "1h",
                                         "endTime": MARCH_2024, "limit": 300}),
            ("fapi", "fundingRate", {"symbol": "ETHUSDT", "startTime": MARCH_2024,
                                     "limit": 200}))  # fmt: skip
    rt = Runtime.from_settings(Settings.from_env(mongo_env))
    try:
        with Client(create_app(lambda: rt)) as api:
            headers = {"Authorization": f"Bearer {token('frank', 'pro')}",
                       "Content-Type": "application/json"}  # fmt: skip
            key = json.loads(api.http.post("/api/keys", headers=headers,
                                           body='{"name": "m"}').body)["key"]  # fmt: skip
            for family, path, params in asks:
                expected = futures_direct(family, path, params).json()
                query = "&".join(f"{k}={v}" for k, v in params.items())
                for round_ in range(2):
                    exchange.reset_stats()
                    got = api.http.get(f"/binance/{family}/v1/{path}?{query}",
                                       headers={"X-API-Key": key})  # fmt: skip
                    assert json.loads(got.body) == expected, (path, round_)
                    counts = exchange.stats()["families"][family]
                    asked = counts["klines_requests"] + counts["funding_requests"]
                    assert (asked > 0) == (round_ == 0), (path, round_)
    finally:
        rt.stores.close()


def test_concurrent_identical_misses_make_one_request_to_the_host(
    futures, second_api, api_key, exchange
):
    page = 499 * MINUTE  # USDⓈ-M pages of the grid: 499 candles
    start = (MARCH_2024 // page + 1) * page
    asks = [("klines", f"symbol=BTCUSDT&interval=1m&startTime={start}&limit=499"),
            ("fundingRate", f"symbol=BTCUSDT&startTime={start}&limit=50")]  # fmt: skip
    exchange.reset_stats()
    answers: dict[str, list[bytes]] = {path: [] for path, _ in asks}
    barrier = threading.Barrier(8)

    def ask(n: int) -> None:
        path, query = asks[n % 2]
        barrier.wait()
        if n % 4 < 2:  # half of them through another API process (same Redis and store)
            got = second_api.http.get(f"/binance/fapi/v1/{path}?{query}",
                                      headers={"X-MBX-APIKEY": api_key})  # fmt: skip
        else:
            got = futures("fapi", path, dict(p.split("=") for p in query.split("&")))
        answers[path].append(got.body)

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [len(set(bodies)) for bodies in answers.values()] == [1, 1]
    assert len(json.loads(answers["klines"][0])) == 499
    assert len(json.loads(answers["fundingRate"][0])) == 50
    family = exchange.stats()["families"]["fapi"]
    assert (family["klines_requests"], family["funding_requests"]) == (1, 1)
