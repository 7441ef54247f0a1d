from __future__ import annotations

import random
import time
from datetime import date
from itertools import pairwise

import pytest

from cl3_common.derived.candle import API_FIELDS, row_to_api
from cl3_common.derived.resample import (
    ResamplePlan,
    Window,
    can_resample,
    resample,
    resample_targets,
)
from cl3_common.errors import InvalidInterval, InvalidRequest
from tests.unit.derived.support import (
    DAY,
    HOUR,
    MINUTE,
    T0,
    calendar_rows,
    ms,
    reference_resample,
    row,
    series,
)


def test_three_minutes_by_hand():
    rows = [
        row(T0, 10.0, 12.0, 9.0, 11.0, 2.0, trades=3),
        row(T0 + MINUTE, 11.0, 15.0, 10.5, 14.0, 1.0, trades=1),
        row(T0 + 2 * MINUTE, 14.0, 14.5, 8.0, 9.0, 1.0, trades=2),
        row(T0 + 3 * MINUTE, 9.0, 9.0, 9.0, 9.0, 0.0, trades=0),
    ]
    first, second = resample(rows, "1m", "3m")
    assert first == {
        "open_time": T0,
        "close_time": T0 + 3 * MINUTE - 1,
        "open": 10.0,
        "high": 15.0,
        "low": 8.0,
        "close": 9.0,
        "volume": 4.0,
        "quote_volume": 2 * 11.0 + 14.0 + 9.0,
        "trades": 6,
        "taker_buy_base": 2.0,
        "taker_buy_quote": (2 * 11.0 + 14.0 + 9.0) / 2,
        "vwap": (2 * 11.0 + 14.0 + 9.0) / 4.0,
        "complete": True,
        "sources": 3,
    }
    # One of three source candles, no volume: flagged partial, vwap None (not a division by 0).
    assert (second["open_time"], second["sources"]) == (T0 + 3 * MINUTE, 1)
    assert second["complete"] is False
    assert second["vwap"] is None and second["volume"] == 0.0


def test_missing_first_or_last_source_candle_is_partial():
    rows = series(T0, 6)
    no_first = resample(rows[1:3] + rows[3:6], "1m", "3m")
    assert [c["sources"] for c in no_first] == [2, 3]
    assert no_first[0]["open"] == rows[1][2] and no_first[0]["complete"] is False
    assert no_first[0]["open_time"] == T0  # the bucket still opens on its boundary
    no_last = resample(rows[:5], "1m", "3m")
    assert [c["complete"] for c in no_last] == [True, False]
    assert no_last[1]["close"] == rows[4][5] and no_last[1]["close_time"] == T0 + 6 * MINUTE - 1


def test_empty_and_single_candle():
    assert resample([], "1m", "1h") == []
    [only] = resample([row(T0 + 5 * MINUTE, 1.0, 2.0, 0.5, 1.5)], "1m", "1h")
    assert (only["open_time"], only["close_time"]) == (T0, T0 + HOUR - 1)
    assert (only["open"], only["high"], only["low"], only["close"]) == (1.0, 2.0, 0.5, 1.5)
    assert (only["sources"], only["complete"]) == (1, False)


def test_candles_as_dicts_give_the_same_result_as_rows():
    rows = series(T0, 500, seed=11)
    assert resample([row_to_api(r) for r in rows], "1m", "15m") == resample(rows, "1m", "15m")


def test_hours_to_a_utc_day():
    rows = series(T0 - 2 * HOUR, 50, HOUR, seed=5)
    days = resample(rows, "1h", "1d")
    assert [(d["open_time"], d["sources"], d["complete"]) for d in days] == [
        (T0 - DAY, 2, False),
        (T0, 24, True),
        (T0 + DAY, 24, True),
    ]
    assert days[1]["high"] == max(r[3] for r in rows[2:26])
    assert days[1]["open"] == rows[2][2] and days[1]["close"] == rows[25][5]


def test_months_from_days_follow_the_calendar():
    rows = calendar_rows(date(2024, 1, 1), 31 + 29 + 5)
    jan, feb, mar = resample(rows, "1d", "1M")
    assert (jan["open_time"], jan["sources"], jan["complete"]) == (T0, 31, True)
    assert (feb["open_time"], feb["close_time"]) == (ms("2024-02-01T00:00:00Z"),
                                                     ms("2024-03-01T00:00:00Z") - 1)  # fmt: skip
    assert (feb["sources"], feb["complete"]) == (29, True)  # 2024 is a leap year
    assert (mar["sources"], mar["complete"]) == (5, False)


def test_months_from_minutes_across_a_month_end():
    rows = series(ms("2024-01-31T00:00:00Z"), 1440 + 720)
    jan, feb = resample(rows, "1m", "1M")
    assert (jan["sources"], jan["complete"]) == (1440, False)
    assert (feb["open_time"], feb["sources"]) == (ms("2024-02-01T00:00:00Z"), 720)
    assert jan["volume"] == sum(r[6] for r in rows[:1440])
    assert feb["low"] == min(r[4] for r in rows[1440:])
    full = resample(series(ms("2024-02-01T00:00:00Z"), 29 * 1440), "1m", "1M")
    assert [(c["sources"], c["complete"]) for c in full] == [(29 * 1440, True)]


def test_weeks_open_on_monday():
    rows = calendar_rows(date(2023, 12, 28), 11)  # Thursday 2023-12-28 .. Sunday 2024-01-07
    first, second = resample(rows, "1d", "1w")
    assert first["open_time"] == ms("2023-12-25T00:00:00Z") and first["sources"] == 4
    assert (second["open_time"], second["sources"], second["complete"]) == (T0, 7, True)


def test_three_days_align_like_binance():
    rows = calendar_rows(date(2024, 1, 1), 9)
    buckets = resample(rows, "1d", "3d")
    # Day 19722 (2023-12-31) is a multiple of 3: Binance's 3d candles open there (ms % 3d == 0).
    assert [b["open_time"] for b in buckets] == [
        ms("2023-12-31T00:00:00Z"), ms("2024-01-03T00:00:00Z"), ms("2024-01-06T00:00:00Z"),
        ms("2024-01-09T00:00:00Z"),
    ]  # fmt: skip
    assert [b["sources"] for b in buckets] == [2, 3, 3, 1]
    assert all(b["open_time"] % (3 * DAY) == 0 for b in buckets)


def test_days_in_plus_eight_open_at_16_utc():
    rows = series(T0, 48, HOUR)
    days = resample(rows, "1h", "1d", "+08:00")
    assert [(d["open_time"], d["sources"]) for d in days] == [
        (T0 - 8 * HOUR, 16),
        (T0 + 16 * HOUR, 24),
        (T0 + 40 * HOUR, 8),
    ]


@pytest.mark.parametrize(
    ("day", "hours"),
    [("2024-03-10T05:00:00Z", 23), ("2024-11-03T04:00:00Z", 25), ("2024-03-09T05:00:00Z", 24)],
)
def test_new_york_dst_days_from_minutes_and_hours(day, hours):
    start = ms(day)
    for step, source in ((MINUTE, "1m"), (HOUR, "1h")):
        rows = series(start, hours * HOUR // step, step)
        [bucket] = resample(rows, source, "1d", "America/New_York")
        assert bucket["open_time"] == start
        assert bucket["close_time"] == start + hours * HOUR - 1
        assert (bucket["sources"], bucket["complete"]) == (hours * HOUR // step, True)


def test_kolkata_needs_half_hour_sources_for_days():
    with pytest.raises(InvalidRequest) as err:
        resample(series(T0, 24, HOUR), "1h", "1d", "Asia/Kolkata")
    assert "30m" in err.value.message and "18:30" in err.value.message
    rows = series(ms("2023-12-31T18:30:00Z"), 48, 30 * MINUTE)
    [day] = resample(rows, "30m", "1d", "Asia/Kolkata")
    assert (day["open_time"], day["sources"], day["complete"]) == (rows[0][0], 48, True)


def test_half_hour_offsets_move_hourly_buckets():
    rows = series(T0, 120)
    buckets = resample(rows, "1m", "1h", "+05:30")
    assert [(b["open_time"], b["sources"]) for b in buckets] == [
        (T0 - 30 * MINUTE, 30),
        (T0 + 30 * MINUTE, 60),
        (T0 + 90 * MINUTE, 30),
    ]
    [day] = resample(series(T0 + 5 * HOUR + 30 * MINUTE, 48, 30 * MINUTE), "30m", "1d", "-05:30")
    assert (day["open_time"], day["complete"]) == (T0 + 5 * HOUR + 30 * MINUTE, True)


@pytest.mark.parametrize(
    ("source", "target", "hint"),
    [("1h", "30m", "1h, 2h, 4h"), ("3d", "1w", "possible targets: 3d"),
     ("1w", "1M", "possible targets: 1w"), ("3d", "1M", "3d"), ("1M", "1w", "1M")],
)  # fmt: skip
def test_targets_must_be_whole_multiples(source, target, hint):
    with pytest.raises(InvalidRequest) as err:
        ResamplePlan(source, target)
    assert hint in err.value.message and "whole multiple" in err.value.message


def test_unknown_intervals_and_the_target_list():
    with pytest.raises(InvalidInterval):
        ResamplePlan("1h", "90m")
    assert resample_targets("8h") == ["8h", "1d", "3d", "1w", "1M"]
    assert resample_targets("1d") == ["1d", "3d", "1w", "1M"]
    assert resample_targets("1M") == ["1M"]
    assert can_resample("1s", "1M") and not can_resample("12h", "3m")


def test_window_of_a_page():
    plan = ResamplePlan("1m", "1h")
    assert plan.window(T0 + 5, 1000) == Window(T0, T0 + 1000 * HOUR, 1000, 60_000, T0 + 1000 * HOUR)
    cut = plan.window(T0, 1000, end_ms=T0 + 10 * HOUR + 1)  # the 11th bucket opens before end
    assert cut == Window(T0, T0 + 11 * HOUR, 11, 660, None)
    assert plan.window(T0, 5, end_ms=T0) == Window(T0, T0, 0, 0, None)
    with pytest.raises(InvalidRequest):
        plan.window(T0, 0)


def test_window_walks_local_days_across_dst():
    plan = ResamplePlan("1m", "1d", "America/New_York")
    window = plan.window(ms("2024-03-09T12:00:00Z"), 3)
    assert (window.start, window.end) == (ms("2024-03-09T05:00:00Z"), ms("2024-03-12T04:00:00Z"))
    assert window.sources == (24 + 23 + 24) * 60 and window.buckets == 3
    months = ResamplePlan("1d", "1M").window(T0, 12, end_ms=ms("2024-06-15T00:00:00Z"))
    assert (months.buckets, months.end, months.sources) == (6, ms("2024-07-01T00:00:00Z"), 182)
    assert plan.expected_sources(ms("2024-11-03T04:00:00Z")) == 25 * 60


def test_a_page_over_the_source_bound_is_refused_with_what_to_do():
    plan = ResamplePlan("1m", "1h")
    window = plan.window(T0, 1000)
    plan.ensure_within(window, 60_000)
    with pytest.raises(InvalidRequest) as err:
        plan.ensure_within(window, 50_000)
    message = err.value.message
    assert "limit=833" in message and "coarser stored interval (3m, 5m, 15m, 30m, 1h)" in message
    with pytest.raises(InvalidRequest) as err:
        ResamplePlan("1m", "1M").ensure_within(ResamplePlan("1m", "1M").window(T0, 1), 10_000)
    assert "limit=" not in err.value.message and "export" in err.value.message


COMBOS = [
    ("1m", "3m", None), ("1m", "1h", None), ("1m", "4h", None), ("1m", "1d", None),
    ("1m", "1w", None), ("1m", "1M", None), ("1h", "1d", "+08:00"), ("1m", "1d", "Asia/Kolkata"),
    ("1h", "1d", "America/New_York"), ("1m", "4h", "America/New_York"), ("15m", "1M", "-05:30"),
    ("1h", "3d", "+08:00"), ("1h", "1w", "America/New_York"), ("30m", "12h", "+05:30"),
    ("5m", "1h", "Asia/Kolkata"), ("1h", "1M", "Europe/London"),
]  # fmt: skip


@pytest.mark.parametrize(("source", "target", "tz"), COMBOS)
def test_equal_to_the_slow_per_candle_answer_with_random_holes(source, target, tz):
    step = {"1m": MINUTE, "5m": 5 * MINUTE, "15m": 15 * MINUTE, "30m": 30 * MINUTE, "1h": HOUR}[
        source
    ]
    rng = random.Random(f"{source}{target}{tz}")
    # Seventy days around the 2024 spring DST change, at most 30,000 rows; random holes.
    count = min(70 * DAY // step, 30_000)
    start = ms("2024-02-20T00:00:00Z") + rng.randrange(0, 48) * step
    rows = [r for r in series(start, count, step, seed=rng.randrange(1000)) if rng.random() > 0.02]
    got = resample(rows, source, target, tz)
    want = reference_resample(rows, step, target, tz)
    assert len(got) == len(want)
    assert got == want


def test_resampling_a_page_of_1000_hours_from_minutes_is_fast():
    rows = series(T0, 60_000)
    plan = ResamplePlan("1m", "1h")
    best = float("inf")
    for _ in range(5):
        began = time.perf_counter()
        out = plan.resample(rows)
        best = min(best, time.perf_counter() - began)
    print(f"\nresample 60,000 1m rows -> 1,000 1h buckets: {best * 1000:.1f} ms (best of 5)")
    assert len(out) == 1000 and all(c["complete"] for c in out)
    assert best < 0.1  # measured ~14 ms; generous for a loaded CI box


def test_fields_come_out_in_api_order():
    [bucket] = resample(series(T0, 3), "1m", "3m")
    assert tuple(bucket)[: len(API_FIELDS)] == API_FIELDS
    assert tuple(bucket)[len(API_FIELDS) :] == ("vwap", "complete", "sources")


def test_same_interval_adds_vwap_complete_and_sources():
    weeks = resample(series(T0, 3, 7 * DAY), "1w", "1w")
    assert [(w["open_time"], w["sources"], w["complete"]) for w in weeks] == [
        (T0, 1, True),
        (T0 + 7 * DAY, 1, True),
        (T0 + 14 * DAY, 1, True),
    ]
    firsts = [ms(f"2024-0{m}-01T00:00:00Z") for m in (1, 2, 3)]
    months = [row(a, 1.0, 2.0, 0.5, 1.5, 4.0, step=b - a) for a, b in pairwise(firsts)]
    out = resample(months, "1M", "1M")
    assert [(m["open_time"], m["close_time"], m["vwap"]) for m in out] == [
        (firsts[0], firsts[1] - 1, 1.5),
        (firsts[1], firsts[2] - 1, 1.5),
    ]


def test_a_misaligned_time_zone_is_refused_before_anything_is_read():
    with pytest.raises(InvalidRequest) as err:
        ResamplePlan("1w", "1w", "+08:00").window(T0, 10)
    # Local Monday midnight is Sunday 16:00 UTC: weeks from 8h candles line up, stored 1w don't.
    assert "16:00:00Z" in err.value.message and "resample from 8h or 4h" in err.value.message
    with pytest.raises(InvalidRequest) as err:
        ResamplePlan("1d", "1M", "+08:00").window(T0, 10)
    assert "resample from 8h or 4h" in err.value.message
