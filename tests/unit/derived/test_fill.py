from __future__ import annotations

import random

import pytest

from cl3_common.derived.candle import row_to_api
from cl3_common.derived.fill import FillResult, fill, parse_fill
from cl3_common.derived.resample import resample
from cl3_common.errors import InvalidRequest
from tests.unit.derived.support import HOUR, MINUTE, T0, ms, row

M = MINUTE


def candle(m: int, close: float = 10.0) -> dict:
    return row_to_api(row(T0 + m * M, close - 1, close + 1, close - 2, close, 3.0, trades=4))


def opens(result: FillResult) -> list[int]:
    return [(c["open_time"] - T0) // M for c in result.candles]


def test_parse_fill():
    assert [parse_fill(v) for v in (None, "", "none", " NULL ", "ffill")] == [
        "none", "none", "none", "null", "ffill"
    ]  # fmt: skip
    with pytest.raises(InvalidRequest) as err:
        parse_fill("zero")
    assert "none, null, ffill" in err.value.message


def test_none_passes_candles_through_untouched():
    candles = [candle(1), candle(4)]
    result = fill(candles, "1m", T0, T0 + 6 * M)
    assert result == FillResult(candles, None, 10.0)
    assert result.candles[0] is candles[0] and "filled" not in result.candles[0]


def test_null_fills_every_missing_open_time_with_nulls():
    result = fill([candle(1, 10.0), candle(3, 12.0)], "1m", T0, T0 + 5 * M, "null")
    assert opens(result) == [0, 1, 2, 3, 4]
    assert [c["filled"] for c in result.candles] == [True, False, True, False, True]
    hole = result.candles[2]
    assert hole == {
        "open_time": T0 + 2 * M,
        "close_time": T0 + 3 * M - 1,
        "open": None,
        "high": None,
        "low": None,
        "close": None,
        "volume": None,
        "quote_volume": None,
        "trades": None,
        "taker_buy_base": None,
        "taker_buy_quote": None,
        "filled": True,
    }
    assert result.candles[1] == {**candle(1, 10.0), "filled": False}
    assert result.next_start is None and result.last_close == 12.0


def test_ffill_repeats_the_previous_close_with_no_volume():
    result = fill([candle(1, 10.0), candle(3, 12.0)], "1m", T0, T0 + 5 * M, "ffill")
    # Nothing to repeat before the first real candle: no placeholder at 0.
    assert opens(result) == [1, 2, 3, 4]
    assert result.candles[1] == {
        "open_time": T0 + 2 * M,
        "close_time": T0 + 3 * M - 1,
        "open": 10.0,
        "high": 10.0,
        "low": 10.0,
        "close": 10.0,
        "volume": 0.0,
        "quote_volume": 0.0,
        "trades": 0,
        "taker_buy_base": 0.0,
        "taker_buy_quote": 0.0,
        "filled": True,
    }
    assert result.candles[3]["close"] == 12.0 and result.candles[3]["filled"] is True
    # With the close of the candle before the range (the previous page), the start fills too.
    with_prev = fill([candle(1, 10.0)], "1m", T0, T0 + 2 * M, "ffill", prev_close=9.0)
    assert [(c["close"], c["filled"]) for c in with_prev.candles] == [(9.0, True), (10.0, False)]


def test_nothing_to_fill_and_nothing_at_all():
    assert fill([], "1m", T0, T0 + 3 * M, "ffill") == FillResult([], None, None)
    assert opens(fill([], "1m", T0, T0 + 3 * M, "null")) == [0, 1, 2]
    full = [candle(m) for m in range(3)]
    assert fill(full, "1m", T0, T0 + 3 * M, "null").candles == [
        {**c, "filled": False} for c in full
    ]


def test_candles_outside_the_range_are_left_out():
    result = fill([candle(-1), candle(1), candle(5)], "1m", T0, T0 + 3 * M, "null")
    assert opens(result) == [0, 1, 2]


def test_limit_stops_the_page_and_says_where_to_continue():
    candles = [candle(1, 10.0), candle(6, 11.0)]
    first = fill(candles, "1m", T0, T0 + 8 * M, "ffill", limit=3)
    assert opens(first) == [1, 2, 3] and first.next_start == T0 + 4 * M
    assert first.last_close == 10.0
    rest = [c for c in candles if c["open_time"] >= first.next_start]
    second = fill(rest, "1m", first.next_start, T0 + 8 * M, "ffill", prev_close=first.last_close)
    assert opens(second) == [4, 5, 6, 7] and second.next_start is None
    # A limit that lands on a real candle resumes at it.
    stop = fill(candles, "1m", T0, T0 + 8 * M, "null", limit=6)
    assert opens(stop) == [0, 1, 2, 3, 4, 5] and stop.next_start == T0 + 6 * M
    plain = fill(candles, "1m", T0, T0 + 8 * M, limit=1)
    assert opens(plain) == [1] and plain.next_start == T0 + 6 * M
    with pytest.raises(InvalidRequest):
        fill(candles, "1m", T0, T0 + 8 * M, "null", limit=0)


@pytest.mark.parametrize("mode", ["null", "ffill"])
def test_paging_with_any_limit_gives_the_unpaged_answer(mode):
    rng = random.Random(mode)
    candles = [candle(m, 10.0 + m) for m in range(200) if rng.random() < 0.4]
    whole = fill(candles, "1m", T0, T0 + 200 * M, mode).candles
    for limit in (1, 7, 50, 1000):
        pages, start, prev = [], T0, None
        while start is not None:
            page = fill(candles, "1m", start, T0 + 200 * M, mode, limit=limit, prev_close=prev)
            assert len(page.candles) <= limit
            pages += page.candles
            start, prev = page.next_start, page.last_close
        assert pages == whole


def test_month_placeholders_close_at_the_month_end():
    feb = row_to_api(row(ms("2024-02-01T00:00:00Z"), 1, 2, 0.5, 1.5, step=29 * 24 * HOUR))
    result = fill([feb], "1M", ms("2024-01-01T00:00:00Z"), ms("2024-04-01T00:00:00Z"), "null")
    assert [(c["open_time"], c["close_time"]) for c in result.candles] == [
        (ms("2024-01-01T00:00:00Z"), ms("2024-02-01T00:00:00Z") - 1),
        (ms("2024-02-01T00:00:00Z"), ms("2024-03-01T00:00:00Z") - 1),
        (ms("2024-03-01T00:00:00Z"), ms("2024-04-01T00:00:00Z") - 1),
    ]


def test_resampled_local_days_fill_on_their_own_grid():
    day = [row(ms("2024-03-09T05:00:00Z") + k * HOUR, 1, 2, 0.5, 1.5, step=HOUR) for k in range(24)]
    buckets = resample(day, "1h", "1d", "America/New_York")
    start, end = ms("2024-03-09T05:00:00Z"), ms("2024-03-12T04:00:00Z")
    result = fill(buckets, "1d", start, end, "ffill", tz="America/New_York", resampled=True)
    filled = result.candles[1]
    assert filled["open_time"] == ms("2024-03-10T05:00:00Z")
    assert filled["close_time"] == ms("2024-03-11T04:00:00Z") - 1  # the 23-hour day
    assert (filled["vwap"], filled["complete"], filled["sources"]) == (None, False, 0)
    assert [c["filled"] for c in result.candles] == [False, True, True]


def test_rows_are_accepted_too():
    result = fill([row(T0 + M, 1, 2, 0.5, 1.5)], "1m", T0, T0 + 2 * M, "null")
    assert opens(result) == [0, 1] and result.candles[1]["close"] == 1.5
