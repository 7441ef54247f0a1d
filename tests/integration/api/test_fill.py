"""`?fill=none|null|ffill` on candle reads, through the Chalice app on the real store.

The stored range is what the sandbox exchange serves for 2023-03-24 12:00 .. 15:00 UTC of 1m,
which has the exchange's own 80-minute outage (12:40 .. 14:00) inside it."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from cl3_common.store import API_FIELDS, SeriesKey, kline_to_row, row_to_api
from cl3_sandbox.exchange import expected_klines

MIN, HOUR = 60_000, 3_600_000
NOON = 1_679_659_200_000  # 2023-03-24 12:00 UTC
HOLE = (1_679_661_600_000, 1_679_666_400_000)  # 12:40 .. 14:00
END = NOON + 3 * HOUR
KEY = SeriesKey("BTCUSDT", "1m")
PRICES = ("open", "high", "low", "close")
VOLUMES = ("volume", "quote_volume", "taker_buy_base", "taker_buy_quote")


@pytest.fixture
def stored(stores) -> list[dict[str, Any]]:
    rows = [kline_to_row(k) for k in expected_klines("BTCUSDT", "1m", NOON, END - 1,
                                                    now_ms=END + HOUR)]  # fmt: skip
    assert len(rows) == 180 - 80  # the outage is really there
    stores.candles.insert(KEY, rows)
    return [row_to_api(r) for r in rows]


def _get(api: Any, headers: dict[str, str], **query: Any) -> Any:
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    response = api.http.get(f"/api/market-data/BTCUSDT/1m?{qs}", headers=headers)
    assert response.status_code == 200, response.body
    return response


def _page(api: Any, headers: dict[str, str], **query: Any) -> dict[str, Any]:
    return dict(json.loads(_get(api, headers, **query).body))


def _csv(api: Any, headers: dict[str, str], **query: Any) -> tuple[list[dict[str, str]], Any]:
    response = _get(api, headers, format="csv", **query)
    assert response.headers["Content-Type"].startswith("text/csv")
    reader = csv.DictReader(io.StringIO(response.body.decode()))
    assert reader.fieldnames == [*API_FIELDS, "filled"]
    return list(reader), response.headers.get("X-Next-Cursor")


def _in_hole(candle: dict[str, Any]) -> bool:
    return HOLE[0] <= candle["open_time"] < HOLE[1]


def test_null_inserts_a_flagged_placeholder_for_every_missing_candle(api, auth_headers, stored):
    candles = _page(api, auth_headers(), start=NOON, end=END, fill="null")["candles"]
    assert [c["open_time"] for c in candles] == list(range(NOON, END, MIN))
    filled = [c for c in candles if c["filled"]]
    assert [c["open_time"] for c in filled] == list(range(*HOLE, MIN))
    for c in filled:
        assert c["close_time"] == c["open_time"] + MIN - 1
        assert all(c[f] is None for f in (*PRICES, *VOLUMES, "trades"))
    real = [c for c in candles if not c["filled"]]
    assert [{k: v for k, v in c.items() if k != "filled"} for c in real] == stored


def test_ffill_repeats_the_last_close_with_zero_volume(api, auth_headers, stored):
    candles = _page(api, auth_headers(), start=NOON, end=END, fill="ffill")["candles"]
    assert len(candles) == 180
    last_close = next(c["close"] for c in reversed(stored) if c["open_time"] < HOLE[0])
    for c in candles:
        if not _in_hole(c):
            assert c["filled"] is False
            continue
        assert c["filled"] is True
        assert all(c[f] == last_close for f in PRICES)
        assert all(c[f] == 0 for f in VOLUMES) and c["trades"] == 0


def test_csv_carries_the_placeholders_and_the_filled_column(api, auth_headers, stored):
    nulls, cursor = _csv(api, auth_headers(), start=NOON, end=END, fill="null")
    assert cursor is None and len(nulls) == 180
    for row in nulls:
        hole = HOLE[0] <= int(row["open_time"]) < HOLE[1]
        assert row["filled"] == ("true" if hole else "false")
        assert (row["close"] == "") is hole and (row["trades"] == "") is hole
    ffilled, _ = _csv(api, auth_headers(), start=NOON, end=END, fill="ffill")
    first_filled = next(r for r in ffilled if r["filled"] == "true")
    before = stored[[c["open_time"] for c in stored].index(HOLE[0] - MIN)]
    assert float(first_filled["open"]) == float(first_filled["close"]) == before["close"]
    assert first_filled["volume"] in ("0", "0.0") and first_filled["trades"] == "0"


@pytest.mark.parametrize("mode", ["null", "ffill"])
def test_pages_across_the_hole_join_into_the_whole_range(api, auth_headers, stored, mode):
    whole = _page(api, auth_headers(), start=NOON, end=END, fill=mode)["candles"]
    pages, cursor = [], None
    while True:
        query = {"start": NOON, "end": END, "fill": mode, "limit": 50}
        page = _page(api, auth_headers(), **query, **({"cursor": cursor} if cursor else {}))
        assert len(page["candles"]) <= 50
        pages.append(page["candles"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(pages) == 4 and [len(p) for p in pages] == [50, 50, 50, 30]
    # The second page starts inside the hole: ffill takes the close stored before it.
    assert all(c["filled"] for c in pages[1])
    assert [c for p in pages for c in p] == whole


def test_csv_pages_across_the_hole(api, auth_headers, stored):
    rows, cursor = _csv(api, auth_headers(), start=NOON, end=END, fill="null", limit=60)
    assert len(rows) == 60 and cursor
    rest, cursor = _csv(api, auth_headers(), start=NOON, end=END, fill="null", limit=200,
                        cursor=cursor)  # fmt: skip
    assert cursor is None and len(rest) == 120
    assert [int(r["open_time"]) for r in rows + rest] == list(range(NOON, END, MIN))


def test_placeholders_are_never_stored_and_none_is_the_default(api, auth_headers, stored,
                                                               stores):  # fmt: skip
    for mode in ("null", "ffill"):
        _page(api, auth_headers(), start=NOON, end=END, fill=mode)
        _csv(api, auth_headers(), start=NOON, end=END, fill=mode)
    assert stores.candles.count(KEY, NOON, END) == 100
    assert [row_to_api(r) for r in stores.candles.read(KEY, NOON, END)] == stored
    default = _page(api, auth_headers(), start=NOON, end=END)["candles"]
    assert default == stored  # no placeholders, no `filled` key
    (series,) = json.loads(
        api.http.get("/api/market-data/coverage?symbol=BTCUSDT&interval=1m",
                     headers=auth_headers()).body)["series"]  # fmt: skip
    assert (series["count"], series["missing"]) == (100, 80)


def test_resampled_buckets_without_any_source_are_filled_too(api, auth_headers, stored):
    candles = _page(api, auth_headers(), start=NOON, end=END, resample="1h",
                    fill="null")["candles"]  # fmt: skip
    assert [c["open_time"] for c in candles] == [NOON, NOON + HOUR, NOON + 2 * HOUR]
    partial, empty, whole = candles
    assert (partial["sources"], partial["complete"], partial["filled"]) == (40, False, False)
    assert (empty["sources"], empty["complete"], empty["filled"]) == (0, False, True)
    assert empty["close"] is None and empty["vwap"] is None
    assert (whole["sources"], whole["complete"], whole["filled"]) == (60, True, False)
    plain = _page(api, auth_headers(), start=NOON, end=END, resample="1h")["candles"]
    assert [c["open_time"] for c in plain] == [NOON, NOON + 2 * HOUR]  # the gap stays a gap


@pytest.mark.parametrize("value", ["zero", "nulls", "1", ""])
def test_an_unknown_fill_mode_is_refused(api, auth_headers, stored, value):
    response = api.http.get(f"/api/market-data/BTCUSDT/1m?fill={value}", headers=auth_headers())
    assert response.status_code == 400, response.body
    error = json.loads(response.body)["error"]
    assert error["code"] == "invalid_request" and "fill" in error["message"]
