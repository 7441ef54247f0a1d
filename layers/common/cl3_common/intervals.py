"""Time in CL3: epoch milliseconds, the Binance kline intervals and their calendar arithmetic.

Every time CL3 stores or serves is an integer of epoch milliseconds, UTC. Clocks are injected
as `Callable[[], float]` returning epoch seconds (`time.time` in production); `now_ms` and
`ms_clock` are the one conversion to milliseconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from cl3_common.errors import InvalidInterval

SECOND_MS = 1_000
MINUTE_MS = 60 * SECOND_MS
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS
WEEK_MS = 7 * DAY_MS

Clock = Callable[[], float]
ClockMs = Callable[[], int]


def now_ms(clock: Clock = time.time) -> int:
    """The clock's time as epoch milliseconds."""
    return int(clock() * 1000)


def ms_clock(clock: Clock) -> ClockMs:
    """The same clock, reading epoch milliseconds."""
    return lambda: now_ms(clock)


_MINUTE = MINUTE_MS
_FIXED_MS: dict[str, int] = {
    "1s": 1_000,
    "1m": _MINUTE,
    "3m": 3 * _MINUTE,
    "5m": 5 * _MINUTE,
    "15m": 15 * _MINUTE,
    "30m": 30 * _MINUTE,
    "1h": 60 * _MINUTE,
    "2h": 120 * _MINUTE,
    "4h": 240 * _MINUTE,
    "6h": 360 * _MINUTE,
    "8h": 480 * _MINUTE,
    "12h": 720 * _MINUTE,
    "1d": 1440 * _MINUTE,
    "3d": 3 * 1440 * _MINUTE,
    "1w": 7 * 1440 * _MINUTE,
}
# Ordered shortest first; "1M" is calendar months.
INTERVALS: tuple[str, ...] = (*_FIXED_MS, "1M")
# 1970-01-01 was a Thursday; Binance weeks open on Monday 00:00 UTC.
_WEEK_OFFSET_MS = 4 * DAY_MS
# Nominal length of a month, used only for sizing (pages, ETA), never for alignment.
NOMINAL_MONTH_MS = 30 * 1440 * _MINUTE


def validate_interval(interval: str) -> str:
    if interval not in INTERVALS:
        raise InvalidInterval(f"unknown interval {interval!r}; use one of {', '.join(INTERVALS)}")
    return interval


def nominal_ms(interval: str) -> int:
    validate_interval(interval)
    return _FIXED_MS.get(interval, NOMINAL_MONTH_MS)


def _month_start(ms: int, months_ahead: int) -> int:
    dt = datetime.fromtimestamp(ms / 1000, tz=UTC)
    total = dt.year * 12 + (dt.month - 1) + months_ahead
    return int(datetime(total // 12, total % 12 + 1, 1, tzinfo=UTC).timestamp() * 1000)


def align_down(ms: int, interval: str) -> int:
    """Open time of the candle containing `ms`."""
    if interval == "1M":
        return _month_start(ms, 0)
    step = nominal_ms(interval)
    if interval == "1w":
        return ms - (ms - _WEEK_OFFSET_MS) % step
    return ms - ms % step


def align_up(ms: int, interval: str) -> int:
    down = align_down(ms, interval)
    return down if down == ms else next_open(down, interval)


def next_open(open_ms: int, interval: str) -> int:
    if interval == "1M":
        return _month_start(open_ms, 1)
    return open_ms + nominal_ms(interval)


def add_candles(open_ms: int, interval: str, count: int) -> int:
    """Open time `count` candles after `open_ms` (which must be aligned)."""
    if interval == "1M":
        return _month_start(open_ms, count)
    return open_ms + count * nominal_ms(interval)


def count_candles(start_ms: int, end_ms: int, interval: str) -> int:
    """Number of candle open times in [start_ms, end_ms)."""
    first = align_up(start_ms, interval)
    if first >= end_ms:
        return 0
    if interval != "1M":
        return (end_ms - 1 - first) // nominal_ms(interval) + 1
    n, t = 0, first
    while t < end_ms:
        n, t = n + 1, next_open(t, interval)
    return n
