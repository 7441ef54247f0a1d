"""Every interval is the aggregate of the same 1m candles (and 1m of its 1s), in any time zone."""

from __future__ import annotations

import numpy as np
import pytest

from cl3_sandbox.exchange import SandboxConfig, expected_klines, expected_klines_in_zone
from cl3_sandbox.exchange.intervals import floor_open, next_opens
from cl3_sandbox.exchange.klines import select_opens
from cl3_sandbox.exchange.rollup import Rollup
from cl3_sandbox.exchange.seconds import open_minute, second_candles
from cl3_sandbox.exchange.series import candles
from cl3_sandbox.exchange.sources import spot_series
from cl3_sandbox.exchange.symbols import DEFAULT_SYMBOLS, symbol_map
from cl3_sandbox.exchange.timezones import parse_time_zone
from tests.unit.sandbox.resample import mismatches, resample

MIN, HOUR, DAY = 60_000, 3_600_000, 86_400_000
NOW = 1_742_042_096_789  # 2025-03-15 12:34:56.789 UTC
GAP = (1_679_661_600_000, 1_679_666_400_000)  # the default gap, 2023-03-24 12:40-14:00 UTC
START = 1_678_406_400_000  # 2023-03-10: a window around the gap
END = START + 31 * DAY
BTC = symbol_map(DEFAULT_SYMBOLS)["BTCUSDT"]


@pytest.fixture(scope="module")
def minutes() -> list[list]:
    # Wide enough that every bucket of the window below is complete.
    return expected_klines("BTCUSDT", "1m", START - 40 * DAY, END + 40 * DAY, NOW)


@pytest.mark.parametrize(
    ("interval", "zone"),
    [("3m", None), ("1h", None), ("4h", None), ("1d", None), ("1w", None), ("1M", None),
     ("12h", None), ("3d", None), ("1d", "8"), ("1d", "-1:00"), ("1d", "05:45"), ("12h", "8"),
     ("1h", "05:45"), ("30m", "05:45"), ("1w", "-05:30"), ("1M", "14:00"), ("4h", "-12:00")],
)  # fmt: skip
def test_each_interval_is_the_aggregate_of_its_minutes(minutes, interval, zone):
    tz = parse_time_zone(zone) if zone else 0
    served = expected_klines("BTCUSDT", interval, START, END, NOW, time_zone=zone)
    assert served, "the window holds candles of every interval"
    expected = resample(minutes, lambda t: floor_open(interval, t, tz))
    assert mismatches(served, expected) == []
    for row in served:  # close time is the end of the local bucket, whatever its content
        assert row[6] == int(next_opens(interval, np.array([row[0]]), tz)[0]) - 1


def test_the_zone_moves_day_boundaries_to_local_midnight():
    utc = expected_klines("BTCUSDT", "1d", START, START + 3 * DAY, NOW)
    east = expected_klines_in_zone("BTCUSDT", "1d", "8", START, START + 3 * DAY, NOW)
    west = expected_klines_in_zone("BTCUSDT", "1d", "-05:30", START, START + 3 * DAY, NOW)
    assert [r[0] % DAY for r in utc] == [0] * len(utc)
    assert [r[0] % DAY for r in east] == [DAY - 8 * HOUR] * len(east)  # 16:00 UTC
    assert [r[0] % DAY for r in west] == [5 * HOUR + 30 * MIN] * len(west)
    assert east[0][1] != utc[0][1]  # different buckets, different opens


def test_intervals_a_whole_multiple_of_the_offset_do_not_move():
    for interval in ("1m", "5m", "1h", "8h"):
        a = expected_klines("BTCUSDT", interval, START, START + DAY, NOW)
        b = expected_klines("BTCUSDT", interval, START, START + DAY, NOW, time_zone="8")
        assert a == b


def test_buckets_around_a_gap_hold_the_minutes_outside_it(minutes):
    hours = expected_klines("BTCUSDT", "1h", GAP[0] - 2 * HOUR, GAP[1] + HOUR, NOW)
    opens = [r[0] for r in hours]
    assert GAP[0] // HOUR * HOUR in opens  # 12:00: 40 minutes before the gap
    assert GAP[0] // HOUR * HOUR + HOUR not in opens  # 13:00 lies wholly inside the gap
    # In +05:45 the 13:15 bucket starts inside the gap but ends after it: it exists.
    shifted = expected_klines_in_zone("BTCUSDT", "1h", "05:45", GAP[0], GAP[1] + HOUR, NOW)
    assert GAP[1] - 45 * MIN in [r[0] for r in shifted]
    expected = resample(minutes, lambda t: floor_open("1h", t, parse_time_zone("05:45")))
    assert mismatches(shifted, expected) == []
    day = expected_klines("BTCUSDT", "1d", GAP[0] // DAY * DAY, GAP[0], NOW)[0]
    in_day = [m for m in minutes if m[0] // DAY * DAY == day[0]]
    assert len(in_day) == 1440 - 80 and int(day[8]) == sum(int(m[8]) for m in in_day)


def test_the_open_bucket_is_the_closed_minutes_plus_the_open_one():
    now = NOW
    hour = expected_klines("BTCUSDT", "1h", floor_open("1h", now), now, now)
    mins = expected_klines("BTCUSDT", "1m", floor_open("1h", now), now, now)
    assert len(hour) == 1 and len(mins) == 35  # 12:00 .. 12:34, the last one still open
    assert mismatches(hour, resample(mins, lambda t: floor_open("1h", t))) == []


def test_cached_hours_give_the_same_digits_as_cold_minutes():
    series = spot_series(BTC)
    opens = select_opens(series, "1d", START, END, None, NOW, (GAP,))
    warm = Rollup((GAP,), 0, 64 << 20)
    first = warm.candles(series, "1d", opens, NOW)
    again = warm.candles(series, "1d", opens, NOW)  # now served from cached hours
    other = Rollup((GAP,), 0, 0).candles(series, "1d", opens, NOW)  # nothing kept
    for name in ("open", "high", "low", "close", "volume", "quote_volume", "taker_quote"):
        assert np.array_equal(getattr(first, name), getattr(again, name))
        assert np.array_equal(getattr(first, name), getattr(other, name))


def test_seconds_sum_to_their_minute_exactly():
    opens = 1_704_067_200_000 + np.arange(30, dtype=np.int64) * MIN
    minute = candles(BTC, "1m", opens, NOW)
    secs = second_candles(BTC, np.repeat(opens, 60) + np.tile(np.arange(60) * 1000, 30))
    grouped = {f: getattr(secs, f).reshape(30, 60) for f in ("open", "high", "low", "close")}
    assert np.array_equal(grouped["open"][:, 0], minute.open)
    assert np.array_equal(grouped["close"][:, -1], minute.close)
    assert np.array_equal(grouped["high"].max(axis=1), minute.high)
    assert np.array_equal(grouped["low"].min(axis=1), minute.low)
    assert np.array_equal(secs.trades.reshape(30, 60).sum(axis=1), minute.trades)
    for name in ("volume", "quote_volume", "taker_base", "taker_quote"):
        np.testing.assert_allclose(getattr(secs, name).reshape(30, 60).sum(axis=1),
                                   getattr(minute, name), rtol=1e-12)  # fmt: skip
    assert (secs.taker_base <= secs.volume + 1e-12).all()
    assert (secs.high >= np.maximum(secs.open, secs.close)).all()
    assert (secs.low <= np.minimum(secs.open, secs.close)).all()


def test_served_1s_rows_resample_to_the_served_1m_rows():
    start = 1_704_067_200_000
    secs = expected_klines("BTCUSDT", "1s", start, start + 10 * MIN - 1, NOW)
    mins = expected_klines("BTCUSDT", "1m", start, start + 9 * MIN, NOW)
    assert len(secs) == 600 and len(mins) == 10
    assert mismatches(mins, resample(secs, lambda t: t // MIN * MIN)) == []


def test_the_open_minute_is_its_seconds_so_far():
    minute = floor_open("1m", NOW)
    now_rows = expected_klines("BTCUSDT", "1s", minute, NOW, NOW)
    assert len(now_rows) == 57  # 12:34:00 .. 12:34:56, the current second counted whole
    served = expected_klines("BTCUSDT", "1m", minute, NOW, NOW)
    assert mismatches(served, resample(now_rows, lambda t: t // MIN * MIN)) == []
    later = open_minute(BTC, minute, minute + 59_999)
    full = candles(BTC, "1m", np.array([minute]), NOW + MIN)
    assert later.close[0] == full.close[0] and later.volume[0] == full.volume[0]


def test_config_seed_and_listing_day_bucket():
    cfg = SandboxConfig(seed=3)
    midnight = BTC.listed_ms // DAY * DAY
    assert midnight < BTC.listed_ms  # listed at 04:00 UTC
    day = expected_klines("BTCUSDT", "1d", 0, BTC.listed_ms, NOW, cfg)
    assert [r[0] for r in day] == [midnight]  # the listing day's candle opens at midnight
    first = expected_klines("BTCUSDT", "1m", 0, BTC.listed_ms, NOW, cfg)
    assert [r[0] for r in first] == [BTC.listed_ms] and day[0][1] == first[0][1]
    assert day != expected_klines("BTCUSDT", "1d", 0, BTC.listed_ms, NOW)
