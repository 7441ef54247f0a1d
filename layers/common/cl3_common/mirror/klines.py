"""Klines answered from the store where the exchange was asked, fetched once where not.

Binance's selection, exactly: with `startTime`, the first `limit` candles opening at or after
it (and at or before `endTime`); without it, the last `limit` candles opening at or before
`endTime` (default now), the still-open candle included. COIN-M klines, mark and index
klines answer the last `limit` candles of a window of at most 200 days instead (only
`startTime`: the window ends 200 days later or now; only `endTime`: it starts 200 days
before).

What the store can answer: the fetch ledger's `complete` records say where the exchange was
asked and everything it had is stored (an empty stretch inside one is the exchange's own
outage, or before the listing). Only settled candles count: closed for `SETTLE_MS` (the
exchange may still update a candle a moment after its close).

A miss fetches one page of the page grid (grid.py), so clients paging from any `startTime`
meet on the same pages and each page is asked of the exchange once (flight.py coalesces
concurrent misses across processes). The answer stores the settled candles, records the page
complete up to where the exchange's answer proves it, and passes the unsettled ones (the open
candle) through.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from cl3_common.intervals import add_candles, align_down, align_up, next_open
from cl3_common.mirror.flight import SingleFlight
from cl3_common.mirror.grid import PageGrid
from cl3_common.mirror.page_cache import PageCache
from cl3_common.mirror.params import KlinesQuery
from cl3_common.mirror.render import SPOT_FORMAT, KlineFormat, kline_json
from cl3_common.mirror.upstream import Upstream
from cl3_common.mirror.walk import MAX_REACH_BACK, LedgerWalk
from cl3_common.store import SeriesKey, kline_to_row
from cl3_common.store.protocols import CandleStore, LedgerStore
from cl3_common.store.rows import to_ms

SETTLE_MS = 2_000

Kline = list[Any]  # a kline as the exchange sends it (12 fields)
KlineText = str  # one kline as compact JSON text, ready to join into an answer


@dataclass(frozen=True)
class _Series:
    key: SeriesKey
    grid: PageGrid
    fmt: KlineFormat

    @property
    def interval(self) -> str:
        return self.key.interval


class KlineSource(LedgerWalk[_Series, Kline, KlineText]):
    _max_steps = 16  # store reads and page fetches for one request (two or three in practice)

    def __init__(
        self,
        candles: CandleStore,
        ledger: LedgerStore,
        upstream: Upstream,
        flights: SingleFlight,
        *,
        clock_ms: Callable[[], int],
        settle_ms: int = SETTLE_MS,
        cache: PageCache | None = None,
    ) -> None:
        super().__init__(ledger, upstream, flights, clock_ms=clock_ms, settle_ms=settle_ms)
        self._candles = candles
        self._cache = cache or PageCache(max_bytes=0)

    def klines_json(self, q: KlinesQuery, fmt: KlineFormat = SPOT_FORMAT) -> str:
        """The answer to a klines query: Binance's JSON array."""
        return "[" + ",".join(self.klines(q, fmt)) + "]"

    def klines(self, q: KlinesQuery, fmt: KlineFormat = SPOT_FORMAT) -> list[KlineText]:
        if q.tz_offset_ms != 0:
            # Other time zones move the buckets of what is stored: passed through, uncached.
            return _texts(self._upstream.klines(q.symbol, q.interval, start_ms=q.start_ms,
                                                end_ms=q.end_ms, limit=q.limit,
                                                time_zone=q.time_zone))  # fmt: skip
        key = SeriesKey(q.symbol, q.interval, self._market.name, q.kind)
        series = _Series(key, PageGrid.of(self._market, q.kind), fmt)
        now = self._clock_ms()
        if series.grid.max_span_ms is not None:
            start, end, span = q.start_ms, q.end_ms, series.grid.max_span_ms
            if start is not None and end is None:
                end = min(start + span, now)
            elif end is not None and start is None:
                start = end - span
            return self._latest(series, end, q.limit, now, floor=start)
        if q.start_ms is None:
            return self._latest(series, q.end_ms, q.limit, now)
        last = now if q.end_ms is None else min(q.end_ms, now)
        return self._forward(series, align_up(q.start_ms, q.interval), last, q.limit, now)

    # -- forward from a start time --------------------------------------------------------
    def _stored(self, s: _Series, start: int, end: int, limit: int | None) -> list[KlineText]:
        """Settled candles in [start, end) from the store, as text (shared while fresh)."""
        return self._cache.get_or_render(
            (s.key, s.fmt, start, end, limit),
            lambda: [kline_json(r, s.fmt) for r in self._candles.read(s.key, start, end, limit)],
        )

    def _fetch(self, s: _Series, cursor: int, *, live: bool) -> tuple[list[Kline], bool]:
        """One exchange request for the page holding `cursor` (on the live page: from `cursor`,
        only what is not stored yet); the unsettled candles it saw."""
        page_start = s.grid.start(s.interval, cursor)
        start = cursor if live else page_start
        limit = s.grid.candles(s.interval)
        # A window is asked with both bounds, and the answer covers all of it.
        end = s.grid.end(s.interval, page_start) - 1 if s.grid.windowed else None

        def work() -> dict[str, Any]:
            fetched_at = self._clock_ms()
            if not live and self._verified(s, cursor, fetched_at) is not None:
                return {"unsettled": []}  # a flight that just landed fetched this page
            rows = self._upstream.klines(s.key.symbol, s.interval, kind=s.key.kind,
                                         start_ms=start, end_ms=end, limit=limit)  # fmt: skip
            full = end is None and len(rows) >= limit
            reach = None if end is None else end + 1
            return {"unsettled": self._absorb(s, start, rows, fetched_at, full=full,
                                              reach=reach)}  # fmt: skip

        result = self._flights.run(f"mirror:{s.key.series_id}:{start}", work)
        # A page holding the present is asked from where it starts to now: it reaches now.
        return list(result["unsettled"]), True

    def _holds_present(self, s: _Series, cursor: int, now: int) -> bool:
        return s.grid.holds_present(s.interval, cursor, now)

    # -- the latest candles -----------------------------------------------------------------
    def _latest(
        self, s: _Series, end: int | None, limit: int, now: int, *, floor: int | None = None
    ) -> list[KlineText]:
        """The last `limit` candles opening at or before `end` (and at or after `floor`)."""
        last = now if end is None else min(end, now)
        low = None if floor is None else align_up(floor, s.interval)
        if low is not None and low > last:
            return []
        first = add_candles(align_down(last, s.interval), s.interval, -(limit - 1))
        first = first if low is None else max(first, low)
        rows = self._forward(s, first, last, limit, now)
        for _ in range(MAX_REACH_BACK):
            if len(rows) >= limit or self._nothing_before(s, first, low, now):
                return rows
            # An outage inside the window: Binance reaches further back for the missing ones.
            need = limit - len(rows)
            earlier = add_candles(first, s.interval, -need)
            earlier = earlier if low is None else max(earlier, low)
            rows = self._forward(s, earlier, first - 1, need, now) + rows
            first = earlier
        # Still short (a listing inside the window, not known yet): ask the exchange.
        return self._passthrough_latest(s, end, limit, low)

    def _nothing_before(self, s: _Series, at: int, low: int | None, now: int) -> bool:
        """Whether no candle can lie before `at`: the window's start, or proven by the ledger."""
        if low is not None and at <= low:
            return True
        verified = self._verified(s, 0, now)
        return verified is not None and verified >= at

    def _passthrough_latest(
        self, s: _Series, end: int | None, limit: int, low: int | None
    ) -> list[KlineText]:
        def work() -> dict[str, Any]:
            fetched_at = self._clock_ms()
            rows = self._upstream.klines(s.key.symbol, s.interval, kind=s.key.kind,
                                         start_ms=low, end_ms=end, limit=limit)  # fmt: skip
            # Fewer than asked: nothing exists (in the window) before the first one.
            short = len(rows) < limit or not rows
            start = (low or 0) if short else int(kline_to_row(rows[0])[0])
            reach = None if end is None else next_open(align_down(end, s.interval), s.interval)
            unsettled = self._absorb(s, start, rows, fetched_at, full=False, reach=reach)
            settled = [kline_json(kline_to_row(r), s.fmt)
                       for r in rows[: len(rows) - len(unsettled)]]  # fmt: skip
            return {"rows": settled + _texts(unsettled)}

        name = f"mirror:{s.key.series_id}:last:{low}:{end}:{limit}"
        return list(self._flights.run(name, work)["rows"])

    # -- what an exchange answer proves ------------------------------------------------------
    def _keep(self, s: _Series, start: int, raws: list[Kline], settled_end: int) -> int:
        """Stores the settled candles; the open time after the answer's last one."""
        rows = [kline_to_row(r) for r in raws]
        self._candles.insert(s.key, [r for r in rows if r[0] < settled_end])
        return next_open(rows[-1][0], s.interval) if rows else start

    def _key(self, s: _Series) -> SeriesKey:
        return s.key

    def _settled_end(self, s: _Series, now: int) -> int:
        """The open time of the first candle that is not settled at `now`."""
        return align_down(now - self._settle_ms, s.interval)

    def _time_of(self, raw: Kline) -> int:
        return to_ms(raw[0])

    def _passed_through(self, raws: list[Kline]) -> list[KlineText]:
        return _texts(raws)


def _texts(rows: list[Kline]) -> list[KlineText]:
    """Exchange rows passed through as they came (the open candle is never re-rendered)."""
    return [orjson.dumps(r).decode() for r in rows]
