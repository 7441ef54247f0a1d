"""The sandbox exchange's spot API over real HTTP on 127.0.0.1, as Binance clients see it.

The spot archive is tested in test_spot_archive_http.py, futures in test_futures_*.py.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
import time

import pytest
import requests

from cl3_sandbox.exchange import SandboxConfig, SandboxExchange, expected_klines
from cl3_sandbox.exchange.intervals import floor_open
from tests.integration.sandbox.support import DAY, GAP, JAN_2024, MIN, NOW_S
from tests.integration.sandbox.support import spot_klines as klines

# ----- plain endpoints -----


def test_ping_time_and_exchange_info(http, ex):
    assert http.get(f"{ex.url}/api/v3/ping").json() == {}
    assert http.get(f"{ex.url}/api/v3/time").json() == {"serverTime": int(NOW_S * 1000)}
    info = http.get(f"{ex.url}/api/v3/exchangeInfo").json()
    assert info["timezone"] == "UTC" and info["serverTime"] == int(NOW_S * 1000)
    weight = info["rateLimits"][0]
    assert weight == {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1,
                      "limit": 6000}  # fmt: skip
    assert {r["rateLimitType"] for r in info["rateLimits"]} == {"REQUEST_WEIGHT", "ORDERS",
                                                                "RAW_REQUESTS"}  # fmt: skip
    statuses = {s["symbol"]: s["status"] for s in info["symbols"]}
    assert {"BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT"} <= {k for k, v in statuses.items()
                                                            if v == "TRADING"}  # fmt: skip
    assert "BREAK" in statuses.values()
    btc = next(s for s in info["symbols"] if s["symbol"] == "BTCUSDT")
    assert (btc["baseAsset"], btc["quoteAsset"], btc["isSpotTradingAllowed"]) == (
        "BTC",
        "USDT",
        True,
    )
    assert {"PRICE_FILTER", "LOT_SIZE"} <= {f["filterType"] for f in btc["filters"]}


def test_exchange_info_symbol_filters(http, ex):
    one = http.get(f"{ex.url}/api/v3/exchangeInfo", params={"symbol": "ETHUSDT"}).json()
    assert [s["symbol"] for s in one["symbols"]] == ["ETHUSDT"]
    many = http.get(f"{ex.url}/api/v3/exchangeInfo", params={"symbols": '["SOLUSDT","BTCUSDT"]'})
    assert [s["symbol"] for s in many.json()["symbols"]] == ["SOLUSDT", "BTCUSDT"]
    bad = http.get(f"{ex.url}/api/v3/exchangeInfo", params={"symbol": "NOPE"})
    assert (bad.status_code, bad.json()["code"]) == (400, -1121)
    broken = http.get(f"{ex.url}/api/v3/exchangeInfo", params={"symbols": "BTCUSDT"})
    assert (broken.status_code, broken.json()["code"]) == (400, -1100)


def test_scaled_window_is_reported_honestly():
    with SandboxExchange(SandboxConfig(weight_limit=600, window_s=6)) as ex:
        r = requests.get(f"{ex.url}/api/v3/exchangeInfo")
        weight = r.json()["rateLimits"][0]
        assert (weight["interval"], weight["intervalNum"], weight["limit"]) == ("SECOND", 6, 600)
        assert r.headers["X-MBX-USED-WEIGHT-6S"] == r.headers["X-MBX-USED-WEIGHT-1M"] == "20"


def test_unknown_path_is_404(http, ex):
    assert http.get(f"{ex.url}/api/v3/nope").status_code == 404
    assert http.get(f"{ex.url}/").status_code == 404


# ----- klines -----


def test_klines_rows_have_binance_12_field_format(http, ex):
    r = klines(http, ex, startTime=JAN_2024, limit=3)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/json")
    rows = r.json()
    assert [row[0] for row in rows] == [JAN_2024, JAN_2024 + MIN, JAN_2024 + 2 * MIN]
    for row in rows:
        assert len(row) == 12 and row[6] == row[0] + MIN - 1 and row[11] == "0"
        assert isinstance(row[8], int)
        assert all(isinstance(row[i], str) and len(row[i].split(".")[1]) == 8
                   for i in (1, 2, 3, 4, 5, 7, 9, 10))  # fmt: skip
        o, h, lo, c = map(float, row[1:5])
        assert h >= max(o, c) and lo <= min(o, c)
    assert rows[1][1] == rows[0][4]  # open == previous close
    assert rows == expected_klines("BTCUSDT", "1m", JAN_2024, JAN_2024 + 2 * MIN, int(NOW_S * 1000))


def test_default_limit_and_latest_candles_include_the_open_one(http, ex):
    rows = klines(http, ex).json()
    assert len(rows) == 500
    now_ms = int(NOW_S * 1000)
    assert rows[-1][0] == floor_open("1m", now_ms) and rows[-1][6] > now_ms  # still open
    hourly = klines(http, ex, interval="1h", endTime=now_ms + DAY, limit=2).json()
    assert hourly[-1][0] == floor_open("1h", now_ms)
    assert klines(http, ex, startTime=now_ms + MIN).json() == []
    assert len(klines(http, ex, startTime=JAN_2024, limit=1000).json()) == 1000


def test_start_and_end_semantics(http, ex):
    both = klines(http, ex, startTime=JAN_2024 + 1, endTime=JAN_2024 + 10 * MIN, limit=1000)
    assert [r[0] for r in both.json()] == [JAN_2024 + i * MIN for i in range(1, 11)]
    backwards = klines(http, ex, endTime=JAN_2024, limit=3).json()
    assert [r[0] for r in backwards] == [JAN_2024 - 2 * MIN, JAN_2024 - MIN, JAN_2024]
    first = klines(http, ex, startTime=0, limit=1).json()
    assert first[0][0] == 1_502_942_400_000  # BTCUSDT's first candle, 2017-08-17 04:00
    assert klines(http, ex, interval="1d", startTime=0, limit=1).json()[0][0] == 1_502_928_000_000


def test_pagination_by_start_time_is_contiguous_and_skips_the_gap(http, ex):
    start, end = GAP[0] - 1500 * MIN, GAP[1] + 1200 * MIN
    rows, cursor = [], start
    while cursor <= end:
        page = klines(http, ex, startTime=cursor, endTime=end, limit=1000).json()
        if not page:
            break
        rows.extend(page)
        cursor = page[-1][0] + 1  # the next page starts after the last open time
    opens = [r[0] for r in rows]
    assert len(opens) == len(set(opens)) and opens == sorted(opens)
    assert not [t for t in opens if GAP[0] <= t < GAP[1]]
    assert len(opens) == 1500 + 1201
    steps = {b - a for a, b in itertools.pairwise(opens)}
    assert steps == {MIN, GAP[1] - GAP[0] + MIN}
    assert rows == expected_klines("BTCUSDT", "1m", start, end, int(NOW_S * 1000))


def test_cached_and_uncached_pages_are_identical(http, ex):
    with SandboxExchange(SandboxConfig(clock=ex.config.clock, page_cache_mb=0)) as plain:
        for start in (JAN_2024 - 7 * MIN, GAP[0] - 500 * MIN, int(NOW_S * 1000) - 600 * MIN):
            params = {"symbol": "ETHUSDT", "interval": "1m", "startTime": start, "limit": 1000}
            cached = http.get(f"{ex.url}/api/v3/klines", params=params).content
            fresh = http.get(f"{plain.url}/api/v3/klines", params=params).content
            assert cached == fresh
    assert ex.prewarm("ETHUSDT", "1m", JAN_2024, JAN_2024 + 5 * DAY) >= 7


@pytest.mark.parametrize(("interval", "check"), [
    ("1w", lambda t: time.gmtime(t / 1000).tm_wday == 0),
    ("1M", lambda t: time.gmtime(t / 1000).tm_mday == 1),
    ("3d", lambda t: t % (3 * DAY) == 0),
])  # fmt: skip
def test_long_intervals_are_aligned(http, ex, interval, check):
    rows = klines(http, ex, interval=interval, startTime=JAN_2024, limit=12).json()
    assert len(rows) == 12 and all(check(r[0]) for r in rows)
    assert all(r[6] + 1 == nxt[0] for r, nxt in itertools.pairwise(rows))
    assert time.gmtime(rows[0][0] / 1000).tm_hour == 0


def test_ui_klines_serves_the_same_rows(http, ex):
    params = {"symbol": "SOLUSDT", "interval": "5m", "startTime": JAN_2024, "limit": 5}
    assert http.get(f"{ex.url}/api/v3/uiKlines", params=params).json() == \
        http.get(f"{ex.url}/api/v3/klines", params=params).json()  # fmt: skip


@pytest.mark.parametrize(("params", "code", "msg"), [
    ({"symbol": "NOPE"}, -1121, "Invalid symbol."),
    ({"interval": "2m"}, -1120, "Invalid interval."),
    ({"symbol": None}, -1102,
     "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed."),
    ({"interval": ""}, -1102,
     "Mandatory parameter 'interval' was not sent, was empty/null, or malformed."),
    ({"limit": "abc"}, -1100,
     "Illegal characters found in parameter 'limit'; legal range is '^[0-9]{1,20}$'."),
    ({"startTime": "-5"}, -1100,
     "Illegal characters found in parameter 'startTime'; legal range is '^[0-9]{1,20}$'."),
    ({"symbol": "btcusdt"}, -1100,
     "Illegal characters found in parameter 'symbol'; legal range is '^[A-Z0-9-_.]{1,20}$'."),
    ({"limit": 1001}, -1130, "Data sent for parameter 'limit' is not valid."),
    ({"limit": 0}, -1130, "Data sent for parameter 'limit' is not valid."),
    ({"startTime": 2_000, "endTime": 1_000}, -1023, "Start time is greater than end time."),
])  # fmt: skip
def test_errors_have_binance_bodies(http, ex, params, code, msg):
    query = {k: v for k, v in {"symbol": "BTCUSDT", "interval": "1m", **params}.items()
             if v is not None}  # fmt: skip
    r = http.get(f"{ex.url}/api/v3/klines", params=query)
    assert r.status_code == 400
    assert r.json() == {"code": code, "msg": msg}
    assert "X-MBX-USED-WEIGHT-1M" in r.headers  # rejected requests still cost weight


def test_stats_count_requests_by_path():
    with SandboxExchange() as ex, requests.Session() as http:
        klines(http, ex, limit=1)
        http.get(f"{ex.url}/api/v3/exchangeInfo")
        stats = ex.stats()
        assert stats["requests"] == 2 and stats["klines_requests"] == 1
        assert stats["weight_used_total"] == 22
        assert stats["by_path"] == {"/api/v3/klines": 1, "/api/v3/exchangeInfo": 1}


def test_command_line_runner_serves_until_stopped():
    proc = subprocess.Popen(
        [sys.executable, "-m", "cl3_sandbox.exchange", "--port", "0", "--latency-ms", "1"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        url = line.split(" on ")[1].split()[0]
        assert requests.get(f"{url}/api/v3/ping", timeout=5).json() == {}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
