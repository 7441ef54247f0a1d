from __future__ import annotations

import random
from datetime import datetime

import pytest

from cl3_common.derived.timezones import UTC_ZONE, BucketGrid, parse_tz
from cl3_common.errors import InvalidRequest
from cl3_common.intervals import INTERVALS, align_down, next_open
from tests.unit.derived.support import DAY, HOUR, MINUTE, T0, ms, reference_bucket


@pytest.mark.parametrize("text", [None, "", "UTC", "utc", "Z", "GMT", "+00:00", "-0", "Etc/UTC"])
def test_utc_spellings(text):
    assert parse_tz(text) == UTC_ZONE


@pytest.mark.parametrize(
    ("text", "name", "offset"),
    [
        ("+08:00", "+08:00", 8 * HOUR),
        ("+0800", "+08:00", 8 * HOUR),
        ("+8", "+08:00", 8 * HOUR),
        ("8", "+08:00", 8 * HOUR),  # Binance's timeZone=8
        (" 08:00", "+08:00", 8 * HOUR),  # '+' decoded to a space in a query string
        ("UTC+8", "+08:00", 8 * HOUR),
        ("GMT+08:00", "+08:00", 8 * HOUR),
        ("-05:30", "-05:30", -(5 * HOUR + 30 * MINUTE)),
        ("+0530", "+05:30", 5 * HOUR + 30 * MINUTE),
        ("05:45", "+05:45", 5 * HOUR + 45 * MINUTE),
        ("-1:00", "-01:00", -HOUR),
        ("+14:00", "+14:00", 14 * HOUR),
        ("-12:00", "-12:00", -12 * HOUR),
    ],
)
def test_fixed_offsets(text, name, offset):
    zone = parse_tz(text)
    assert (zone.name, zone.offset_ms, zone.info) == (name, offset, None)


def test_iana_names():
    zone = parse_tz("America/New_York")
    assert zone.name == "America/New_York" and zone.offset_ms is None
    assert zone.info is not None and zone.info.key == "America/New_York"
    assert parse_tz("asia/shanghai").name == "Asia/Shanghai"  # usual capitalisation restored


@pytest.mark.parametrize(
    "text",
    ["+14:30", "-13:00", "+08:60", "530", "+123", "Mars/Olympus", "../etc/passwd", "/etc/localtime",
     "Asia/Shanghai; rm", "8h", "+08:00:00", "EST5EDT5", "x" * 80],
)  # fmt: skip
def test_bad_time_zones_say_what_works(text):
    with pytest.raises(InvalidRequest) as err:
        parse_tz(text)
    assert err.value.code == "invalid_request"
    assert "+08:00" in err.value.message and "Asia/Shanghai" in err.value.message


@pytest.mark.parametrize("interval", INTERVALS)
def test_utc_grid_is_the_exchange_grid(interval):
    grid = BucketGrid(interval)
    rng = random.Random(interval)
    for _ in range(200):
        t = rng.randrange(ms("2017-01-01T00:00:00Z"), ms("2030-01-01T00:00:00Z"))
        start = align_down(t, interval)
        assert grid.span(t) == (start, next_open(start, interval))


def test_half_hour_offsets_move_hourly_buckets_like_binance():
    grid = BucketGrid("1h", "+05:30")
    assert grid.span(T0) == (T0 - 30 * MINUTE, T0 + 30 * MINUTE)
    assert BucketGrid("30m", "+05:30").span(T0 + MINUTE) == (T0, T0 + 30 * MINUTE)
    assert BucketGrid("30m", "+05:45").span(T0) == (T0 - 15 * MINUTE, T0 + 15 * MINUTE)


def test_offsets_that_are_a_multiple_of_the_width_change_nothing():
    assert BucketGrid("4h", "+08:00").span(T0 + HOUR) == (T0, T0 + 4 * HOUR)
    # ... but 12h with +08:00 opens at local midnight and noon: 16:00 and 04:00 UTC.
    assert BucketGrid("12h", "+08:00").span(T0) == (T0 - 8 * HOUR, T0 + 4 * HOUR)


def test_days_weeks_months_open_at_local_midnight():
    assert BucketGrid("1d", "+08:00").span(T0) == (T0 - 8 * HOUR, T0 + 16 * HOUR)
    assert BucketGrid("1d", "-05:30").span(T0) == (T0 - DAY + 5.5 * HOUR, T0 + 5.5 * HOUR)
    # 2024-01-01 is a Monday: local Monday midnight in +08:00 is Sunday 16:00 UTC.
    assert BucketGrid("1w", "+08:00").span(T0) == (T0 - 8 * HOUR, T0 + 7 * DAY - 8 * HOUR)
    assert BucketGrid("1w", "-05:30").span(T0) == (T0 - 7 * DAY + 5.5 * HOUR, T0 + 5.5 * HOUR)
    assert BucketGrid("1M", "+08:00").span(T0 + HOUR) == (
        ms("2024-01-01T00:00:00+08:00"),
        ms("2024-02-01T00:00:00+08:00"),
    )
    assert BucketGrid("1M", "Asia/Kolkata").span(ms("2024-02-29T19:00:00Z")) == (
        ms("2024-03-01T00:00:00+05:30"),
        ms("2024-04-01T00:00:00+05:30"),
    )


def test_three_days_keep_binance_phase_in_local_days():
    utc = BucketGrid("3d")
    start, end = utc.span(T0)
    assert start % (3 * DAY) == 0 and end - start == 3 * DAY
    local_start, local_end = BucketGrid("3d", "+08:00").span(T0)
    assert (local_start + 8 * HOUR) % (3 * DAY) == 0 and local_end - local_start == 3 * DAY
    ny_start, ny_end = BucketGrid("3d", "America/New_York").span(ms("2024-03-10T12:00:00Z"))
    # Local day numbers 19788..19790 (2024-03-09..11) hold the spring-forward day: 71 hours.
    assert (ny_start, ny_end) == (ms("2024-03-09T05:00:00Z"), ms("2024-03-12T04:00:00Z"))


@pytest.mark.parametrize(
    ("day", "hours", "start"),
    [("2024-03-10T12:00:00Z", 23, "2024-03-10T05:00:00Z"),
     ("2024-11-03T12:00:00Z", 25, "2024-11-03T04:00:00Z"),
     ("2024-07-04T12:00:00Z", 24, "2024-07-04T04:00:00Z")],
)  # fmt: skip
def test_new_york_days_have_23_and_25_hours(day, hours, start):
    s, e = BucketGrid("1d", "America/New_York").span(ms(day))
    assert s == ms(start) and e - s == hours * HOUR


def test_sub_day_buckets_in_a_dst_zone_are_anchored_at_each_local_midnight():
    grid = BucketGrid("4h", "America/New_York")
    t, spans = ms("2024-03-10T05:00:00Z"), []
    while t < ms("2024-03-11T04:00:00Z"):
        spans.append(grid.span(t))
        t = spans[-1][1]
    assert [(e - s) // HOUR for s, e in spans] == [4, 4, 4, 4, 4, 3]  # a 23-hour day
    t, widths = ms("2024-11-03T04:00:00Z"), []
    while t < ms("2024-11-04T05:00:00Z"):
        s, t = grid.span(t)
        widths.append((t - s) // HOUR)
    assert widths == [4, 4, 4, 4, 4, 4, 1]  # a 25-hour day
    hourly = BucketGrid("1h", "America/New_York")
    assert hourly.span(ms("2024-03-10T07:10:00Z")) == (ms("2024-03-10T07:00:00Z"),
                                                       ms("2024-03-10T08:00:00Z"))  # fmt: skip


ODD_ZONES = [
    "America/New_York", "Europe/London", "Asia/Kolkata", "Asia/Kathmandu", "Australia/Lord_Howe",
    "America/St_Johns", "Pacific/Chatham", "America/Santiago", "America/Havana",
    "Africa/Casablanca", "Pacific/Apia", "Asia/Tehran", "Europe/Dublin", "America/Sao_Paulo",
]  # fmt: skip


@pytest.mark.parametrize("zone", ODD_ZONES)
def test_grids_agree_with_per_candle_datetimes_in_odd_zones(zone):
    """Random instants 2009..2030: contiguous spans, equal to the slow per-candle answer."""
    rng = random.Random(zone)
    for interval in ("15m", "1h", "4h", "12h", "1d", "3d", "1w", "1M"):
        grid = BucketGrid(interval, zone)
        for _ in range(60):
            t = rng.randrange(ms("2009-01-01T00:00:00Z"), ms("2030-01-01T00:00:00Z"))
            s, e = grid.span(t)
            assert s <= t < e
            assert grid.span(s) == (s, e) and grid.start(e) == e
            if interval in ("1d", "3d", "1w", "1M"):
                assert (s, e) == reference_bucket(t, interval, zone)


def test_a_day_whose_midnight_does_not_exist_starts_when_the_clock_jumps():
    # Cuba moves its clocks from 00:00 to 01:00 (2024-03-10): the day starts at 05:00 UTC.
    s, e = BucketGrid("1d", "America/Havana").span(ms("2024-03-10T12:00:00Z"))
    assert s == ms("2024-03-10T05:00:00Z") and e - s == 23 * HOUR
    local = datetime.fromtimestamp(s / 1000, tz=parse_tz("America/Havana").info)
    assert (local.hour, local.date().isoformat()) == (1, "2024-03-10")
    assert BucketGrid("1d", "America/Havana").start(s - 1) == s - DAY
