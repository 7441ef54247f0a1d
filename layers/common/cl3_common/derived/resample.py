"""Resampling on read (docs/data-model.md): coarser candles built from stored ones, in a time zone.

A bucket takes the open of its first source candle, the highest high, the lowest low, the
close of its last, and sums volume, quote_volume, trades and the taker volumes; it adds `vwap`
(quote_volume / volume, None without volume), `sources` (source candles found) and `complete`
(every source candle the bucket should hold was found). Buckets without any source candle are
not produced (that is a gap; see fill.py). Where buckets align in a time zone: timezones.py.

Stored candles are Binance's, aligned in UTC, so a bucket boundary must fall on the source
grid: 1d buckets for Asia/Kolkata open at 18:30 UTC and need 30m or finer sources, and 1h
buckets with +05:30 open at hh:30 UTC. Such requests are refused with the sources that work.

One pass over the sorted rows: bucket bounds come from integer arithmetic (or one local-midnight
lookup per bucket, never per candle), and each bucket's columns are reduced by C builtins.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from cl3_common.derived.candle import Candle, Row, as_rows, iso
from cl3_common.derived.timezones import DAY_MS, BucketGrid, Zone, as_zone
from cl3_common.errors import InvalidRequest
from cl3_common.intervals import INTERVALS, align_down, count_candles, nominal_ms, validate_interval

_open_time = itemgetter(0)
_high, _low = itemgetter(3), itemgetter(4)
_SUMMED = tuple(itemgetter(k) for k in range(6, 11))
_ZIP_MAX = 512  # chunk length above which column-wise reads beat zip(*chunk)


def can_resample(source: str, target: str) -> bool:
    """Whether `target` buckets are whole multiples of `source` candles (in UTC)."""
    if source == "1M" or target == "1M":
        return target == "1M" and (source == "1M" or DAY_MS % nominal_ms(source) == 0)
    src, dst = nominal_ms(source), nominal_ms(target)
    return dst >= src and dst % src == 0


def resample_targets(source: str) -> list[str]:
    validate_interval(source)
    return [t for t in INTERVALS if can_resample(source, t)]


@dataclass(frozen=True)
class Window:
    """What one page of resampled output reads: source candles in [start, end)."""

    start: int  # open time of the first bucket
    end: int  # end (exclusive) of the last bucket: read source open times < end
    buckets: int  # buckets in the window
    sources: int  # most source candles the window can hold: the bound of the read
    next_start: int | None  # first bucket of the next page; None when the range is done


class ResamplePlan:
    """Bucket arithmetic and aggregation for one (source, target, tz)."""

    def __init__(self, source: str, target: str, tz: str | Zone | None = None) -> None:
        validate_interval(source)
        validate_interval(target)
        if not can_resample(source, target):
            raise InvalidRequest(
                f"cannot resample {source} candles to {target}: the target must be a whole "
                f"multiple of {source}; possible targets: {', '.join(resample_targets(source))}"
            )
        self.source, self.target, self.zone = source, target, as_zone(tz)
        self.grid = BucketGrid(target, self.zone)
        # Source open times are on a fixed grid except for 1w (Monday phase) and 1M.
        fixed = source not in ("1w", "1M")
        self._src_step: int | None = nominal_ms(source) if fixed else None

    def bucket_start(self, ms: int) -> int:
        """Open time of the bucket holding `ms`."""
        return self._checked(self.grid.start(ms))

    def bucket_end(self, start: int) -> int:
        """End (exclusive) of the bucket opening at `start`: its close_time is end - 1."""
        return self._checked(self.grid.end(start))

    def expected_sources(self, start: int, end: int | None = None) -> int:
        """Source candles a complete bucket [start, end) holds (end defaults to its end)."""
        end = self.bucket_end(start) if end is None else end
        if self._src_step is not None:
            return (end - start) // self._src_step
        return count_candles(start, end, self.source)

    def _checked(self, boundary: int) -> int:
        step = self._src_step
        if (boundary % step if step else align_down(boundary, self.source) - boundary) == 0:
            return boundary
        finer = [
            i
            for i in INTERVALS[: INTERVALS.index(self.source)]
            if boundary % nominal_ms(i) == 0 and can_resample(i, self.target)
        ]
        raise InvalidRequest(
            f"with tz={self.zone.name}, {self.target} buckets open at {iso(boundary)}, between "
            f"two stored {self.source} candles (which are aligned in UTC); resample from "
            f"{' or '.join(finer[-2:][::-1]) or 'a finer interval'} instead"
        )

    def window(self, start_ms: int, limit: int, end_ms: int | None = None) -> Window:
        """The source range covering up to `limit` buckets from the one holding `start_ms`.

        Buckets open before `end_ms` (like Binance's endTime) and are read whole, so a bucket
        cut by `end_ms` is still read to its end. The handler reads [start, end) from the store
        and refuses the page when `sources` is over its bound (see ensure_within).
        """
        if limit < 1:
            raise InvalidRequest(f"limit must be at least 1, got {limit}")
        start = self.bucket_start(start_ms)
        if end_ms is not None and end_ms <= start:
            return Window(start, start, 0, 0, None)
        count, end = self._buckets(start, limit, end_ms)
        more = end_ms is None or end < end_ms
        return Window(start, end, count, self.expected_sources(start, end), end if more else None)

    def _buckets(self, start: int, limit: int, end_ms: int | None) -> tuple[int, int]:
        """(how many buckets, where the last one ends) from `start`, at most `limit`."""
        width = self.grid.width
        if width is not None:  # fixed-width grid: no walk needed
            room = limit if end_ms is None else -(-(end_ms - start) // width)
            count = min(limit, room)
            return count, self._checked(start + count * width)
        count, end = 0, start
        while count < limit and (end_ms is None or end < end_ms):
            count, end = count + 1, self.bucket_end(end)
        return count, end

    def ensure_within(self, window: Window, max_sources: int) -> None:
        """Refuse (InvalidRequest) a page that would read more than `max_sources` candles."""
        if window.sources <= max_sources:
            return
        per_bucket = -(-window.sources // max(window.buckets, 1))
        fit = max_sources // per_bucket
        coarser = [
            i for i in INTERVALS[INTERVALS.index(self.source) + 1 :] if can_resample(i, self.target)
        ]
        advice = [f"ask for at most {fit} (limit={fit})"] if fit else []
        if coarser:
            advice.append(f"resample from a coarser stored interval ({', '.join(coarser)})")
        raise InvalidRequest(
            f"{window.buckets} {self.target} candles from {self.source} read up to "
            f"{window.sources} stored candles ({per_bucket} per {self.target} candle), over the "
            f"{max_sources} allowed per request: {', '.join(advice)} or export the range"
        )

    def bounds(self, window: Window) -> list[tuple[int, int]]:
        """[open, end) of every bucket of the window, in order."""
        out: list[tuple[int, int]] = []
        t = window.start
        while t < window.end:
            end = self.bucket_end(t)
            out.append((t, end))
            t = end
        return out

    def from_aggregates(self, aggregates: Iterable[Aggregate]) -> list[Candle]:
        """Target candles from bucket aggregates (`aggregate_rows`, or a store's own)."""
        return [
            _candle(start, end, sources, self.expected_sources(start, end), totals)
            for start, end, sources, *totals in aggregates
        ]

    def resample(self, candles: Iterable[Mapping[str, Any] | Row]) -> list[Candle]:
        """Target candles from source candles or rows sorted by open_time."""
        rows = as_rows(candles)
        if rows and self.grid.width is not None and self._src_step is not None:
            return self._resample_fixed(rows)
        out: list[Candle] = []
        i, n = 0, len(rows)
        while i < n:
            bs = self.bucket_start(rows[i][0])
            be = self.bucket_end(bs)
            expected = self.expected_sources(bs, be)
            j = _bucket_stop(rows, i, n, be, expected)
            out.append(_aggregate(rows, i, j, bs, be, expected))
            i = j
        return out

    def _resample_fixed(self, rows: list[Row]) -> list[Candle]:
        # Every boundary is phase + k * width: checking one checks them all, and the bucket
        # of a row is two integer operations.
        self.bucket_start(rows[0][0])
        width, phase = self.grid.width or 0, self.grid.span(0)[0]
        expected = width // (self._src_step or width)
        out: list[Candle] = []
        i, n = 0, len(rows)
        while i < n:
            t = rows[i][0]
            bs = t - (t - phase) % width
            j = _bucket_stop(rows, i, n, bs + width, expected)
            out.append(_aggregate(rows, i, j, bs, bs + width, expected))
            i = j
        return out


def _bucket_stop(rows: list[Row], i: int, n: int, end: int, expected: int) -> int:
    """Index after the last row of the bucket that starts at row i and ends at `end`."""
    k = i + expected
    # A complete bucket is the next `expected` rows: check its edges, skip the search.
    if k <= n and rows[k - 1][0] < end and (k == n or rows[k][0] >= end):
        return k
    return bisect_left(rows, end, i, n, key=_open_time)


Totals = tuple[Any, ...]  # (open, high, low, close, volume, quote_volume, trades, taker base,
#                         taker quote) of one bucket
# (start, end, sources, *Totals): one bucket as a store aggregates it (CandleStore.aggregate)
Aggregate = tuple[Any, ...]


def _totals(rows: list[Row], i: int, j: int) -> Totals:
    """The bucket of rows[i:j]: first open, max high, min low, last close, sums in order."""
    if j - i == 1:
        _, _, o, h, lo, c, v, q, t, tb, tq = rows[i]
    elif j - i > _ZIP_MAX:
        # zip(*chunk) slows down on long chunks (1M from 1m): read each column in C instead.
        chunk = rows[i:j]
        o, c = chunk[0][2], chunk[-1][5]
        h, lo = max(map(_high, chunk)), min(map(_low, chunk))
        v, q, t, tb, tq = (sum(map(col, chunk)) for col in _SUMMED)
    else:
        # zip(*) transposes in C; max/min/sum then run in C over each column.
        _, _, opens, highs, lows, closes, vs, qs, ts, tbs, tqs = zip(*rows[i:j], strict=True)
        o, c, h, lo = opens[0], closes[-1], max(highs), min(lows)
        v, q, t, tb, tq = sum(vs), sum(qs), sum(ts), sum(tbs), sum(tqs)
    return o, h, lo, c, v, q, t, tb, tq


def _aggregate(rows: list[Row], i: int, j: int, start: int, end: int, expected: int) -> Candle:
    return _candle(start, end, j - i, expected, _totals(rows, i, j))


def _candle(start: int, end: int, sources: int, expected: int, totals: Sequence[Any]) -> Candle:
    o, h, lo, c, v, q, t, tb, tq = totals
    return {
        "open_time": start,
        "close_time": end - 1,
        "open": o,
        "high": h,
        "low": lo,
        "close": c,
        "volume": v,
        "quote_volume": q,
        "trades": t,
        "taker_buy_base": tb,
        "taker_buy_quote": tq,
        "vwap": q / v if v else None,
        "complete": sources >= expected,
        "sources": sources,
    }


def aggregate_rows(rows: list[Row], bounds: list[tuple[int, int]]) -> list[Aggregate]:
    """(start, end, sources, *totals) of each bucket [start, end) holding a row, in order.

    What `CandleStore.aggregate` returns, computed from read rows (sorted by open time); a
    store that aggregates in its own engine must give exactly this.
    """
    out: list[Aggregate] = []
    i, n = 0, len(rows)
    for start, end in bounds:
        i = bisect_left(rows, start, i, n, key=_open_time)
        j = bisect_left(rows, end, i, n, key=_open_time)
        if j > i:
            out.append((start, end, j - i, *_totals(rows, i, j)))
        i = j
    return out


def resample(
    candles: Iterable[Mapping[str, Any] | Row],
    source: str,
    target: str,
    tz: str | Zone | None = None,
) -> list[Candle]:
    """Resample sorted `source` candles (dicts or rows) to `target` buckets in `tz`."""
    return ResamplePlan(source, target, tz).resample(candles)
