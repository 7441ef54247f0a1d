"""One page of a candle read: stored candles, or resampled on read, with holes filled or not.

Everything is read by range from the store, and what one request may read is bounded:
a resampled page reads at most MAX_SOURCES stored candles, so a page of 1,000 1h candles
from 1m (60,000) is served, while 1,000 1d candles from 1m (1.44 million) are refused with
a 400 that says which limit, coarser stored interval or export to use instead
(docs/api.md, "Resampling").

Paging: `next_cursor_ms` is where the next page starts (a bucket's open time when
resampling), None when nothing stored is left in the range. Filled pages stop at the last
closed candle: placeholders never run into the future.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cl3_common.derived.fill import fill
from cl3_common.derived.resample import ResamplePlan
from cl3_common.derived.timezones import BucketGrid
from cl3_common.errors import InvalidRequest
from cl3_common.store import SeriesKey, row_to_api
from cl3_common.store.protocols import CandleStore

MAX_SOURCES = 100_000  # stored candles one resampled page may read (~0.1 s of store reads)


@dataclass(frozen=True)
class PageRequest:
    key: SeriesKey
    start_ms: int | None
    end_ms: int
    limit: int
    resample: str | None = None
    tz: str | None = None
    fill: str = "none"


@dataclass(frozen=True)
class Page:
    interval: str  # the interval of the candles served (the resample target, if any)
    candles: list[dict[str, Any]]
    next_cursor_ms: int | None


def read_page(store: CandleStore, req: PageRequest, *, now_ms: int) -> Page:
    if req.tz is not None and req.resample is None:
        raise InvalidRequest("tz moves the boundaries of resampled candles: use it with resample")
    if req.resample is not None:
        return _resampled(store, req, now_ms)
    if req.fill == "none":
        return _stored(store, req)
    return _filled(store, req, now_ms)


def _stored(store: CandleStore, req: PageRequest) -> Page:
    rows = store.read(req.key, req.start_ms or 0, req.end_ms, req.limit + 1)
    candles = [row_to_api(r) for r in rows[: req.limit]]
    more = len(rows) > req.limit
    return Page(req.key.interval, candles, candles[-1]["open_time"] + 1 if more else None)


def _first_stored(store: CandleStore, key: SeriesKey, start: int, end: int) -> int | None:
    first = store.read(key, start, end, 1)
    return first[0][0] if first else None


def _closed_end(grid: BucketGrid, end_ms: int, now_ms: int) -> int:
    """Placeholders stop before the bucket still open at `now_ms`."""
    return min(end_ms, grid.start(now_ms))


def _filled(store: CandleStore, req: PageRequest, now_ms: int) -> Page:
    key = req.key
    grid = BucketGrid(key.interval)
    start = req.start_ms
    if start is None:  # from the first stored candle: nothing is filled before a series starts
        start = _first_stored(store, key, 0, req.end_ms)
        if start is None:
            return Page(key.interval, [], None)
    end = _closed_end(grid, req.end_ms, now_ms)
    rows = store.read(key, start, end, req.limit)
    result = fill([row_to_api(r) for r in rows], key.interval, start, end, req.fill,
                  limit=req.limit, prev_close=_prev_close(store, req, start))  # fmt: skip
    return Page(key.interval, result.candles, result.next_start)


def _prev_close(store: CandleStore, req: PageRequest, start: int) -> float | None:
    """What `ffill` repeats before the first candle of the page: the close before it."""
    before = store.last_before(req.key, start) if req.fill == "ffill" else None
    return before[5] if before else None


def _resampled(store: CandleStore, req: PageRequest, now_ms: int) -> Page:
    key = req.key
    assert req.resample is not None
    plan = ResamplePlan(key.interval, req.resample, req.tz)
    first = _first_stored(store, key, req.start_ms or 0, req.end_ms)
    if first is None:
        return Page(req.resample, [], None)
    start = _first_bucket(plan, req, first)
    end = req.end_ms if req.fill == "none" else _closed_end(plan.grid, req.end_ms, now_ms)
    window = plan.window(start, req.limit, end)
    plan.ensure_within(window, MAX_SOURCES)
    if window.buckets == 0:
        return Page(req.resample, [], None)
    # The store reduces the buckets (in SQL on SQLite; a range read elsewhere).
    candles = plan.from_aggregates(store.aggregate(key, plan.bounds(window)))
    if req.fill != "none":
        candles = fill(candles, req.resample, window.start, window.end, req.fill,
                       prev_close=_prev_close(store, req, window.start), tz=plan.zone,
                       resampled=True).candles  # fmt: skip
    following = window.next_start
    if following is not None and _first_stored(store, key, following, req.end_ms) is None:
        following = None
    return Page(req.resample, candles, following)


def _first_bucket(plan: ResamplePlan, req: PageRequest, first_stored: int) -> int:
    """Where a resampled page starts."""
    if req.start_ms is None:  # from the series' first bucket, partial or not
        return plan.bucket_start(first_stored)
    # Buckets opening at or after `start`, as the exchange's startTime means.
    start = plan.bucket_start(req.start_ms)
    if start < req.start_ms:
        start = plan.bucket_end(start)
    if req.fill == "none":  # skip ahead: pages of empty buckets help nobody
        start = max(start, plan.bucket_start(first_stored))
    return start
