"""What a fetch has to do: units of work over [start, end) on the interval grid.

A unit is either one archive file (a whole past UTC month or day, see archive.py) or one REST
page. Archive files follow the calendar; REST pages do not: every stretch the archive does
not cover is paged in full pages (the market's page size) from its start, so a day costs
1440 / 1000 pages rounded up once, not a page of 1,000 plus one of 440 every day.

Archive files are used for sub-day intervals (days and months fall on their grid). For a
symbol the REST API no longer serves, the archive is the only source: then the partial days
at the ends of the range come from their daily files too, and intervals of a day and more
from monthly files.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cl3_common.exchange.client import KLINES_LIMIT
from cl3_common.intervals import (
    DAY_MS,
    add_candles,
    align_down,
    align_up,
    count_candles,
    next_open,
    nominal_ms,
)
from cl3_common.store import SeriesKey
from cl3_worker.archive import file_path, period_end


@dataclass(frozen=True)
class Unit:
    start_ms: int
    end_ms: int  # exclusive
    expected: int  # candles the grid holds in the unit
    archive_path: str | None = None  # None: a REST page


def rest_pages(
    start_ms: int,
    end_ms: int,
    interval: str,
    *,
    limit: int = KLINES_LIMIT,
    max_span_ms: int | None = None,
) -> list[Unit]:
    """Full pages of `limit` candles from the first open time at or after start_ms.

    `max_span_ms` bounds endTime - startTime of one request (COIN-M: 200 days)."""
    units, cursor = [], align_up(start_ms, interval)
    while cursor < end_ms:
        page_end = min(add_candles(cursor, interval, limit), end_ms)
        if max_span_ms is not None:
            page_end = min(page_end, max(next_open(cursor, interval),
                                         align_down(cursor + max_span_ms, interval)))  # fmt: skip
        units.append(Unit(cursor, page_end, count_candles(cursor, page_end, interval)))
        cursor = page_end
    return units


def archive_units(
    key: SeriesKey, start_ms: int, end_ms: int, *, now_ms: int, edges: bool = False
) -> list[Unit]:
    """The archive files covering [start_ms, end_ms): whole months, else whole days.

    With `edges` (the archive is the only source) the partial periods at the ends of the range
    are read from their files too, and intervals of a day or more from monthly files."""
    day_plus = key.interval == "1M" or nominal_ms(key.interval) >= DAY_MS
    if day_plus and not edges:
        return []
    cursor = align_up(start_ms, key.interval)
    if day_plus:
        return _monthly_files(key, cursor, end_ms, now_ms)
    return _sub_day_files(key, cursor, end_ms, now_ms, edges=edges)


def _monthly_files(key: SeriesKey, cursor: int, end_ms: int, now_ms: int) -> list[Unit]:
    """Every monthly file of [cursor, end_ms) that exists, the partial months at the ends too."""
    units: list[Unit] = []
    while cursor < end_ms:
        month = align_down(cursor, "1M")
        month_end = period_end(month, daily=False)
        if _closed(key, month_end, now_ms):
            units.append(_unit(key, cursor, min(month_end, end_ms), month, daily=False))
        cursor = align_up(month_end, key.interval)
    return units


def _sub_day_files(
    key: SeriesKey, cursor: int, end_ms: int, now_ms: int, *, edges: bool
) -> list[Unit]:
    """A whole month's file where the range holds the month, else whole days' files (with
    `edges`, the partial days at the ends too)."""
    units: list[Unit] = []
    while cursor < end_ms:
        month = align_down(cursor, "1M")
        month_end = period_end(month, daily=False)
        if cursor == month and month_end <= end_ms and _closed(key, month_end, now_ms):
            units.append(_unit(key, cursor, month_end, month, daily=False))
            cursor = align_up(month_end, key.interval)
            continue
        day = cursor - cursor % DAY_MS
        whole_day = cursor == day and day + DAY_MS <= end_ms
        if (whole_day or edges) and day + DAY_MS <= now_ms:
            units.append(_unit(key, cursor, min(day + DAY_MS, end_ms), day, daily=True))
        cursor = day + DAY_MS
    return units


def _closed(key: SeriesKey, period_end_ms: int, now_ms: int) -> bool:
    """A file exists once its period is over and its last candle has closed."""
    last_open = align_down(period_end_ms - 1, key.interval)
    return period_end_ms <= now_ms and next_open(last_open, key.interval) <= now_ms


def _unit(key: SeriesKey, start: int, end: int, period: int, *, daily: bool) -> Unit:
    path = file_path(key.symbol, key.interval, period, daily, market=key.market, kind=key.kind)
    return Unit(start, end, count_candles(start, end, key.interval), path)


def uncovered(start_ms: int, end_ms: int, covered: Iterable[Unit]) -> list[tuple[int, int]]:
    """The stretches of [start_ms, end_ms) outside the (ordered, disjoint) covered units."""
    stretches, cursor = [], start_ms
    for unit in covered:
        if unit.start_ms > cursor:
            stretches.append((cursor, unit.start_ms))
        cursor = max(cursor, unit.end_ms)
    if cursor < end_ms:
        stretches.append((cursor, end_ms))
    return stretches


def rest_units(
    interval: str,
    stretches: Iterable[tuple[int, int]],
    *,
    limit: int = KLINES_LIMIT,
    max_span_ms: int | None = None,
) -> list[Unit]:
    return [
        page
        for start, end in stretches
        for page in rest_pages(start, end, interval, limit=limit, max_span_ms=max_span_ms)
    ]


def plan_units(
    key: SeriesKey,
    start_ms: int,
    end_ms: int,
    *,
    now_ms: int,
    use_archive: bool,
    limit: int = KLINES_LIMIT,
    max_span_ms: int | None = None,
) -> list[Unit]:
    """Archive files where they exist, full REST pages for the rest (in time order)."""
    files = archive_units(key, start_ms, end_ms, now_ms=now_ms) if use_archive else []
    pages = rest_units(key.interval, uncovered(start_ms, end_ms, files), limit=limit,
                       max_span_ms=max_span_ms)  # fmt: skip
    return sorted(files + pages, key=lambda u: u.start_ms)


def incomplete_units(units: list[Unit], stored_open_times: Iterable[int]) -> list[Unit]:
    """Units with fewer stored candles than the grid holds (one ordered pass over the ids)."""
    ordered = sorted(range(len(units)), key=lambda i: units[i].start_ms)
    counts = [0] * len(units)
    position = 0
    for t in stored_open_times:
        while position < len(ordered) and t >= units[ordered[position]].end_ms:
            position += 1
        if position == len(ordered):
            break
        if t >= units[ordered[position]].start_ms:
            counts[ordered[position]] += 1
    return [u for u, n in zip(units, counts, strict=True) if n < u.expected]
