"""Binance kline intervals: durations, alignment and vectorised open-time arithmetic.

Every interval but ``1M`` has a fixed length, so its open times are multiples of that length
from the Unix epoch (this is also how Binance aligns ``3d``). ``1w`` opens on Monday 00:00 UTC,
which is four days after the epoch (1970-01-01 was a Thursday). ``1M`` opens on the first day
of each calendar month; it is handled through numpy's month-resolution datetimes so that a page
of open times is still one vectorised call.
"""

from __future__ import annotations

import numpy as np

SECOND_MS = 1_000
MINUTE_MS = 60 * SECOND_MS
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS
WEEK_MS = 7 * DAY_MS
MONTH = "1M"
# Monday 1970-01-05 00:00 UTC: weekly candles are aligned to it.
WEEK_OFFSET_MS = 4 * DAY_MS

# Fixed-length intervals, in the order Binance documents them; "1M" is calendar-based.
FIXED_MS: dict[str, int] = {
    "1s": SECOND_MS,
    "1m": MINUTE_MS,
    "3m": 3 * MINUTE_MS,
    "5m": 5 * MINUTE_MS,
    "15m": 15 * MINUTE_MS,
    "30m": 30 * MINUTE_MS,
    "1h": HOUR_MS,
    "2h": 2 * HOUR_MS,
    "4h": 4 * HOUR_MS,
    "6h": 6 * HOUR_MS,
    "8h": 8 * HOUR_MS,
    "12h": 12 * HOUR_MS,
    "1d": DAY_MS,
    "3d": 3 * DAY_MS,
    "1w": WEEK_MS,
}
INTERVALS: tuple[str, ...] = (*FIXED_MS, MONTH)
# Nominal length, used only to scale volumes and volatility (a month counts as 30 days).
NOMINAL_MS: dict[str, int] = {**FIXED_MS, MONTH: 30 * DAY_MS}


def is_interval(name: str) -> bool:
    return name in FIXED_MS or name == MONTH


# Every function below takes ``tz_ms``, the offset of the time zone the intervals are
# interpreted in (Binance's ``timeZone``: +08:00 is 8 * HOUR_MS). Boundaries are local
# boundaries expressed in UTC: a UTC+8 day opens at 16:00 UTC. Times in and out stay UTC ms.


def _origin(interval: str, tz_ms: int) -> int:
    return (WEEK_OFFSET_MS if interval == "1w" else 0) - tz_ms


def _month_index(t_ms: np.ndarray, tz_ms: int = 0) -> np.ndarray:
    local = t_ms + tz_ms
    return local.astype("datetime64[ms]").astype("datetime64[M]").astype(np.int64)


def _month_start_ms(index: np.ndarray, tz_ms: int = 0) -> np.ndarray:
    local = index.astype("datetime64[M]").astype("datetime64[ms]").astype(np.int64)
    return local - tz_ms


def floor_open(interval: str, t_ms: int, tz_ms: int = 0) -> int:
    """Open time of the candle that contains ``t_ms``."""
    if interval == MONTH:
        return int(_month_start_ms(_month_index(np.array([t_ms], dtype=np.int64), tz_ms), tz_ms)[0])
    step, off = FIXED_MS[interval], _origin(interval, tz_ms)
    return (t_ms - off) // step * step + off


def ceil_open(interval: str, t_ms: int, tz_ms: int = 0) -> int:
    """First open time at or after ``t_ms``."""
    opened = floor_open(interval, t_ms, tz_ms)
    return opened if opened == t_ms else shift(interval, opened, 1, tz_ms)


def shift(interval: str, open_ms: int, steps: int, tz_ms: int = 0) -> int:
    """The open time ``steps`` candles after (or before, if negative) ``open_ms``."""
    if interval == MONTH:
        index = _month_index(np.array([open_ms], dtype=np.int64), tz_ms) + steps
        return int(_month_start_ms(index, tz_ms)[0])
    return open_ms + steps * FIXED_MS[interval]


def steps_between(interval: str, first_open: int, last_open: int, tz_ms: int = 0) -> int:
    """How many candle steps separate two aligned open times (``last - first`` in candles)."""
    if interval == MONTH:
        pair = _month_index(np.array([first_open, last_open], dtype=np.int64), tz_ms)
        return int(pair[1] - pair[0])
    return (last_open - first_open) // FIXED_MS[interval]


def open_times(interval: str, first_open: int, count: int, tz_ms: int = 0) -> np.ndarray:
    """``count`` consecutive open times starting at the aligned ``first_open`` (int64 ms)."""
    if interval == MONTH:
        start = _month_index(np.array([first_open], dtype=np.int64), tz_ms)[0]
        return _month_start_ms(np.arange(start, start + count, dtype=np.int64), tz_ms)
    return first_open + np.arange(count, dtype=np.int64) * FIXED_MS[interval]


def next_opens(interval: str, opens: np.ndarray, tz_ms: int = 0) -> np.ndarray:
    """Open time of the following candle, for each open time (so close_time = this - 1)."""
    if interval == MONTH:
        return _month_start_ms(_month_index(opens, tz_ms) + 1, tz_ms)
    return opens + FIXED_MS[interval]


def floor_opens(interval: str, t_ms: np.ndarray, tz_ms: int = 0) -> np.ndarray:
    """Vectorised :func:`floor_open`."""
    if interval == MONTH:
        return _month_start_ms(_month_index(t_ms, tz_ms), tz_ms)
    step, off = FIXED_MS[interval], _origin(interval, tz_ms)
    return (t_ms - off) // step * step + off


def candle_index(interval: str, opens: np.ndarray) -> np.ndarray:
    """Sequence number of each aligned (UTC) open time since the epoch-aligned origin."""
    if interval == MONTH:
        return _month_index(opens)
    return (opens - _origin(interval, 0)) // FIXED_MS[interval]


def index_open(interval: str, index: int) -> int:
    """Open time of the candle with this sequence number (inverse of :func:`candle_index`)."""
    if interval == MONTH:
        return int(_month_start_ms(np.array([index], dtype=np.int64))[0])
    return index * FIXED_MS[interval] + _origin(interval, 0)
