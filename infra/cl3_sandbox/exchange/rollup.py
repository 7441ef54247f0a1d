"""Candles of every interval, made from the same 1m candles (and 1s cut out of them).

An interval coarser than 1m (in UTC or in any ``timeZone``) is the aggregate of the 1m candles
inside it: open of the first, max high, min low, close of the last, summed volumes, quote
volumes, trades and taker volumes, exactly what a client gets by resampling stored 1m candles.
Minutes inside exchange gaps, before the listing or after the end do not exist and are not
counted; the bucket keeps its aligned open and close time.

Aggregating on the fly would make a 1d page cost 1.4 M minutes, so closed whole hours are kept
as aggregates in an LRU of chunks (``CHUNK_HOURS`` hours per entry): a bucket is its leading
minutes, its cached hours and its trailing minutes. Chunks near ``now`` are extended hour by hour.
Sums are rounded to the series' printed decimals after each step, so hour-then-bucket sums equal
minute sums digit for digit.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from .intervals import HOUR_MS, MINUTE_MS, next_opens
from .seconds import second_candles, take
from .series import Candles
from .sources import Series

CHUNK_HOURS = 256
_FIELDS = tuple(Candles.__dataclass_fields__)
Gaps = tuple[tuple[int, int], ...]


def _spans(starts: np.ndarray, ends: np.ndarray, step: int) -> tuple[np.ndarray, np.ndarray]:
    """All ``start + k*step`` below each end, and which span each came from."""
    counts = np.maximum((ends - starts + step - 1) // step, 0)
    owner = np.repeat(np.arange(len(starts)), counts)
    first = np.repeat(np.cumsum(counts) - counts, counts)
    return starts[owner] + (np.arange(counts.sum()) - first) * step, owner


def _outside_gaps(t: np.ndarray, gaps: Gaps) -> np.ndarray:
    keep = np.ones(len(t), dtype=bool)
    for start, end in gaps:
        keep &= (t < start) | (t >= end)
    return keep


def reduce(units: Candles, starts: np.ndarray, opens: np.ndarray, closes: np.ndarray,
           series: Series) -> Candles:  # fmt: skip
    """Aggregate consecutive ``units`` in groups beginning at ``starts`` into candles."""
    lasts = np.r_[starts[1:], len(units)] - 1
    fmt = series.fmt

    def summed(values: np.ndarray, places: int | None) -> np.ndarray:
        total = np.add.reduceat(values, starts)
        return total if places is None else np.round(total, places)

    return Candles(
        open_time=opens,
        close_time=closes,
        open=units.open[starts],
        high=np.maximum.reduceat(units.high, starts),
        low=np.minimum.reduceat(units.low, starts),
        close=units.close[lasts],
        volume=summed(units.volume, fmt.volume),
        quote_volume=summed(units.quote_volume, fmt.quote),
        trades=np.add.reduceat(units.trades, starts),
        taker_base=summed(units.taker_base, fmt.volume),
        taker_quote=summed(units.taker_quote, fmt.quote),
    )


def _empty(count: int) -> Candles:
    ints = ("open_time", "close_time", "trades")
    return Candles(*(np.zeros(count, np.int64 if f in ints else np.float64) for f in _FIELDS))


def _concat(parts: list[Candles]) -> Candles:
    return Candles(*(np.concatenate([getattr(p, f) for p in parts]) for f in _FIELDS))


@dataclass
class _Chunk:
    hours: Candles  # aggregates of the first ``len(present)`` hours (absent rows are zeros)
    present: np.ndarray  # the hour has at least one existing minute

    @property
    def size(self) -> int:
        return sum(getattr(self.hours, f).nbytes for f in _FIELDS) + self.present.nbytes


class Rollup:
    """Thread-safe; one per exchange (``budget_bytes`` of cached hour aggregates)."""

    def __init__(self, gaps: Gaps, seed: int, budget_bytes: int) -> None:
        self._gaps = gaps
        self._seed = seed
        self._budget = budget_bytes
        self._cache: OrderedDict[tuple, _Chunk] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def candles(self, series: Series, interval: str, opens: np.ndarray, now_ms: int,
                tz_ms: int = 0) -> Candles:  # fmt: skip
        """The candles opening at ``opens`` (ascending, each holding data) as of ``now_ms``."""
        if interval == "1m":
            return series.model.minutes(opens, now_ms, self._seed)
        if interval == "1s":
            assert series.spec is not None, "1s exists for spot series only"
            return second_candles(series.spec, opens, self._seed)
        return self._aggregate(series, interval, opens, now_ms, tz_ms)

    def _data_bounds(self, series: Series, now_ms: int) -> tuple[int, int]:
        first = series.first_ms // MINUTE_MS * MINUTE_MS
        end = series.last_instant(now_ms) // MINUTE_MS * MINUTE_MS + MINUTE_MS
        return first, end

    def _aggregate(self, series: Series, interval: str, opens: np.ndarray, now_ms: int,
                   tz_ms: int) -> Candles:  # fmt: skip
        nexts = next_opens(interval, opens, tz_ms)
        first, end = self._data_bounds(series, now_ms)
        lo, hi = np.maximum(opens, first), np.minimum(nexts, end)
        cacheable_end = min(now_ms // HOUR_MS * HOUR_MS, end // HOUR_MS * HOUR_MS)
        hs = np.minimum(-(-lo // HOUR_MS) * HOUR_MS, hi)
        ht = np.maximum(np.minimum(hi // HOUR_MS * HOUR_MS, cacheable_end), hs)
        # Minutes before the first whole hour and after the last one, then the whole hours.
        lead, lead_owner = _spans(lo, hs, MINUTE_MS)
        tail, tail_owner = _spans(np.maximum(ht, lo), hi, MINUTE_MS)
        hours, hour_owner = _spans(hs, ht, HOUR_MS)
        minute_t = np.concatenate([lead, tail])
        minute_owner = np.concatenate([lead_owner, tail_owner])
        keep = _outside_gaps(minute_t, self._gaps)
        minute_t, minute_owner = minute_t[keep], minute_owner[keep]
        order = np.argsort(minute_t, kind="stable")
        minute_t, minute_owner = minute_t[order], minute_owner[order]
        parts, times, owners = [], [], []
        if len(minute_t):
            parts.append(series.model.minutes(minute_t, now_ms, self._seed))
            times.append(minute_t)
            owners.append(minute_owner)
        if len(hours):
            agg, present = self._hours(series, hours)
            parts.append(take(agg, present))
            times.append(hours[present])
            owners.append(hour_owner[present])
        if not parts:
            return _empty(0)
        units, unit_t, unit_owner = _concat(parts), np.concatenate(times), np.concatenate(owners)
        order = np.argsort(unit_t, kind="stable")
        units, unit_owner = take(units, order), unit_owner[order]
        starts = np.flatnonzero(np.r_[True, unit_owner[1:] != unit_owner[:-1]])
        buckets = unit_owner[starts]
        return reduce(units, starts, opens[buckets], nexts[buckets] - 1, series)

    def _hours(self, series: Series, hours: np.ndarray) -> tuple[Candles, np.ndarray]:
        """Aggregates of these closed whole hours (ascending) and which hold any minute."""
        chunk_ids = hours // (CHUNK_HOURS * HOUR_MS)
        parts, present = [], []
        for chunk_id in np.unique(chunk_ids):
            mine = hours[chunk_ids == chunk_id]
            first_hour = int(chunk_id) * CHUNK_HOURS
            need = int(mine[-1] // HOUR_MS) - first_hour + 1
            chunk = self._chunk(series, int(chunk_id), need)
            rows = mine // HOUR_MS - first_hour
            parts.append(take(chunk.hours, rows))
            present.append(chunk.present[rows])
        return _concat(parts), np.concatenate(present)

    def _chunk(self, series: Series, chunk_id: int, need: int) -> _Chunk:
        key = (series.key, chunk_id)
        with self._lock:
            chunk = self._cache.get(key)
            if chunk is not None:
                self._cache.move_to_end(key)
                if len(chunk.present) >= need:
                    return chunk
        have = 0 if chunk is None else len(chunk.present)
        start = (chunk_id * CHUNK_HOURS + have) * HOUR_MS
        extra = self._compute_hours(series, start, need - have)
        if chunk is not None:
            extra = _Chunk(_concat([chunk.hours, extra.hours]),
                           np.concatenate([chunk.present, extra.present]))  # fmt: skip
        self._store(key, extra, chunk)
        return extra

    def _store(self, key: tuple, chunk: _Chunk, old: _Chunk | None) -> None:
        with self._lock:
            current = self._cache.get(key)
            if current is not None and len(current.present) >= len(chunk.present):
                return  # another thread got there first (computing twice is harmless)
            if current is not None:
                self._bytes -= current.size
            self._cache[key] = chunk
            self._bytes += chunk.size
            while self._bytes > self._budget and len(self._cache) > 1:
                _, dropped = self._cache.popitem(last=False)
                self._bytes -= dropped.size

    def _compute_hours(self, series: Series, start: int, count: int) -> _Chunk:
        hour_starts = start + np.arange(count, dtype=np.int64) * HOUR_MS
        first, end = self._data_bounds(series, 2**62)
        t = start + np.arange(count * 60, dtype=np.int64) * MINUTE_MS
        t = t[(t >= first) & (t < end)]
        t = t[_outside_gaps(t, self._gaps)]
        present = np.zeros(count, dtype=bool)
        zeros = _empty(count)
        if len(t) == 0:
            return _Chunk(zeros, present)
        minutes = series.model.minutes(t, 2**62, self._seed)
        owner = (t - start) // HOUR_MS
        starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
        rows = owner[starts]
        agg = reduce(minutes, starts, hour_starts[rows], hour_starts[rows] + HOUR_MS - 1, series)
        for name in _FIELDS:
            getattr(zeros, name)[rows] = getattr(agg, name)
        present[rows] = True
        return _Chunk(zeros, present)

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()
            self._bytes = 0
