"""What a fetch has to do: units of work over [start, end) on the interval grid.

A unit is either one REST page (up to 1000 candles) or one archive file (a whole past UTC
month or day). Archive units are used only for sub-day intervals, where days and months
fall on the candle grid.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cl3_common.exchange.client import KLINES_LIMIT
from cl3_common.intervals import DAY_MS, add_candles, align_up, count_candles, next_open, nominal_ms
from cl3_worker.archive import file_path, period_end


@dataclass(frozen=True)
class Unit:
    start_ms: int
    end_ms: int  # exclusive
    expected: int  # candles the grid holds in the unit
    archive_path: str | None = None  # None: a REST page


def rest_pages(
    start_ms: int, end_ms: int, interval: str, *, split_days: bool = False
) -> list[Unit]:
    units, cursor = [], align_up(start_ms, interval)
    while cursor < end_ms:
        page_end = min(add_candles(cursor, interval, KLINES_LIMIT), end_ms)
        if split_days:  # stop at midnight, where an archive day may take over
            page_end = min(page_end, (cursor // DAY_MS + 1) * DAY_MS)
        units.append(Unit(cursor, page_end, count_candles(cursor, page_end, interval)))
        cursor = page_end
    return units


def plan_units(
    symbol: str, interval: str, start_ms: int, end_ms: int, *, now_ms: int, use_archive: bool
) -> list[Unit]:
    if not use_archive or interval == "1M" or nominal_ms(interval) >= DAY_MS:
        return rest_pages(start_ms, end_ms, interval)
    units: list[Unit] = []
    cursor = align_up(start_ms, interval)
    complete_until = min(end_ms, now_ms)
    while cursor < end_ms:
        if cursor % DAY_MS == 0:
            month_end = period_end(cursor, daily=False)
            is_month_start = next_open(cursor - 1, "1M") == cursor if cursor else True
            if is_month_start and month_end <= complete_until:
                units.append(_archive(symbol, interval, cursor, month_end, daily=False))
                cursor = month_end
                continue
            if cursor + DAY_MS <= complete_until:
                units.append(_archive(symbol, interval, cursor, cursor + DAY_MS, daily=True))
                cursor += DAY_MS
                continue
        stop = min(end_ms, (cursor // DAY_MS + 1) * DAY_MS)
        units.extend(rest_pages(cursor, stop, interval))
        cursor = stop
    return units


def _archive(symbol: str, interval: str, start: int, end: int, *, daily: bool) -> Unit:
    path = file_path(symbol, interval, start, daily=daily)
    return Unit(start, end, count_candles(start, end, interval), path)


def incomplete_units(units: list[Unit], stored_open_times: Iterable[int]) -> list[Unit]:
    """Units with fewer stored candles than the grid holds (one ordered pass over the ids)."""
    counts = [0] * len(units)
    i = 0
    for t in stored_open_times:
        while i < len(units) and t >= units[i].end_ms:
            i += 1
        if i == len(units):
            break
        if t >= units[i].start_ms:
            counts[i] += 1
    return [u for u, n in zip(units, counts, strict=True) if n < u.expected]
