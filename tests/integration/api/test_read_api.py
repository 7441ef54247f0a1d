"""Reading stored candles and coverage through the API (data written by the real store)."""

from __future__ import annotations

import csv
import io
import json

import pytest

from cl3_common.store import SeriesKey, kline_to_row
from cl3_sandbox.exchange import expected_klines

START = 1_704_067_200_000  # 2024-01-01
HOUR = 3_600_000


@pytest.fixture
def stored(runtime):
    key = SeriesKey("BTCUSDT", "1h")
    rows = expected_klines("BTCUSDT", "1h", START, START + 30 * HOUR - 1, now_ms=START + 10**12)
    rows = [r for r in rows if r[0] != START + 10 * HOUR]  # one hole
    candles = runtime.stores.candles
    assert candles.insert(key, [kline_to_row(r) for r in rows]) == len(rows)
    assert candles.insert(key, [kline_to_row(r) for r in rows[:5]]) == 0  # duplicates
    return rows


def test_cursor_pages_walk_the_whole_range_once(api, auth_headers, stored):
    seen, cursor = [], None
    while True:
        query = f"start={START}&limit=7" + (f"&cursor={cursor}" if cursor else "")
        body = json.loads(
            api.http.get(
                f"/api/market-data/BTCUSDT/1h?{query}", headers=auth_headers(tier="free")
            ).body
        )
        assert body["symbol"] == "BTCUSDT" and body["interval"] == "1h"
        assert len(body["candles"]) <= 7
        seen.extend(c["open_time"] for c in body["candles"])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [r[0] for r in stored]


def test_csv_has_a_header_and_one_row_per_candle(api, auth_headers, stored):
    response = api.http.get(
        f"/api/market-data/btcusdt/1h?start={START}&format=csv", headers=auth_headers()
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.body.decode())))
    assert rows[0] == [
        "open_time",
        "close_time",
        "open",
        "high",
        "low",
        "close",
        "volume",
        "quote_volume",
        "trades",
        "taker_buy_base",
        "taker_buy_quote",
    ]
    assert len(rows) == len(stored) + 1
    assert [int(r[0]) for r in rows[1:]] == [r[0] for r in stored]
    assert float(rows[1][5]) == float(stored[0][4])


def test_coverage_counts_expected_and_missing(api, auth_headers, stored):
    body = json.loads(
        api.http.get("/api/market-data/coverage?symbol=BTCUSDT", headers=auth_headers()).body
    )
    assert body == {
        "series": [
            {
                "market": "spot",
                "kind": "trade",
                "symbol": "BTCUSDT",
                "interval": "1h",
                "first_open_time": START,
                "last_open_time": START + 29 * HOUR,
                "count": 29,
                "expected": 30,
                "missing": 1,
            }
        ]
    }
    empty = json.loads(
        api.http.get("/api/market-data/coverage?interval=1d", headers=auth_headers()).body
    )
    assert empty == {"series": []}


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/api/market-data/BTCUSDT/2h?limit=0", "invalid_request"),
        ("/api/market-data/BTCUSDT/2h?limit=5001", "invalid_request"),
        ("/api/market-data/BTCUSDT/9h", "invalid_interval"),
        ("/api/market-data/BTC-USDT/1h", "invalid_symbol"),
        ("/api/market-data/BTCUSDT/1h?cursor=garbage", "invalid_request"),
        ("/api/market-data/BTCUSDT/1h?format=xml", "invalid_request"),
        (
            "/api/market-data/BTCUSDT/1h?start=2024-02-01T00:00:00Z&end=2024-01-01T00:00:00Z",
            "invalid_range",
        ),
        ("/api/market-data/BTCUSDT/1h?sort=desc", "invalid_request"),
        ("/api/market-data/coverage?interval=2x", "invalid_interval"),
    ],
)
def test_bad_reads_get_400(api, auth_headers, path, code):
    response = api.http.get(path, headers=auth_headers())
    assert response.status_code == 400, response.body
    assert json.loads(response.body)["error"]["code"] == code


def test_reads_need_a_token(api):
    response = api.http.get("/api/market-data/BTCUSDT/1h")
    assert response.status_code == 401
    assert json.loads(response.body)["error"]["code"] == "unauthorized"
