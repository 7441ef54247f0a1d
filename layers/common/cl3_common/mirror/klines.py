"""Klines answered from the store where the exchange was asked, fetched once where not.

Binance's selection, exactly: with `startTime`, the first `limit` candles opening at or after
it (and at or before `endTime`); without it, the last `limit` candles opening at or before
`endTime` (default now), the still-open candle included.

What the store can answer: the fetch ledger's `complete` records say where the exchange was
asked and everything it had is stored (an empty stretch inside one is the exchange's own
outage, or before the listing). Only settled candles count: closed for `SETTLE_MS` (the
exchange may still update a candle a moment after its close).

A miss fetches one page of `page_limit` candles from the page grid (pages of `page_limit`
candles from the epoch), so clients paging from any `startTime` meet on the same pages and
each page is asked of the exchange once (flight.py coalesces concurrent misses across
processes). The answer stores the settled candles, records the page complete up to where
the exchange's answer proves it, and passes the unsettled ones (the open candle) through.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from cl3_common.derived.gaps import FetchRecord
from cl3_common.errors import Unavailable
from cl3_common.intervals import add_candles, align_down, align_up, next_open, nominal_ms
from cl3_common.mirror.flight import SingleFlight
from cl3_common.mirror.page_cache import PageCache
from cl3_common.mirror.params import KlinesQuery
from cl3_common.mirror.render import kline_json
from cl3_common.mirror.upstream import Upstream
from cl3_common.store import SeriesKey, kline_to_row
from cl3_common.store.protocols import CandleStore, LedgerStore

SETTLE_MS = 2_000
_MAX_STEPS = 16  # store reads and page fetches for one request (two or three in practice)
_MAX_HOPS = 8  # ledger records followed from one to the next
_MAX_REACH_BACK = 4  # steps further back for the latest candles across outages
_WEEK_OFFSET_MS = 4 * 86_400_000  # Binance weeks open on Monday; 1970-01-01 was a Thursday

Kline = list[Any]  # a kline as the exchange sends it (12 fields)
KlineText = str  # one kline as compact JSON text, ready to join into an answer


class KlineSource:
    def __init__(
        self,
        candles: CandleStore,
        ledger: LedgerStore,
        upstream: Upstream,
        flights: SingleFlight,
        *,
        clock_ms: Callable[[], int],
        market: str = "spot",
        settle_ms: int = SETTLE_MS,
        cache: PageCache | None = None,
    ) -> None:
        self._candles = candles
        self._ledger = ledger
        self._upstream = upstream
        self._flights = flights
        self._clock_ms = clock_ms
        self._market = market
        self._settle_ms = settle_ms
        self._cache = cache or PageCache(max_bytes=0)

    def klines_json(self, q: KlinesQuery) -> str:
        """The answer to a klines query: Binance's JSON array."""
        return "[" + ",".join(self.klines(q)) + "]"

    def klines(self, q: KlinesQuery) -> list[KlineText]:
        if q.tz_offset_ms != 0:
            # Other time zones move the buckets of what is stored: passed through, uncached.
            return _texts(
                self._upstream.klines(
                    q.symbol,
                    q.interval,
                    start_ms=q.start_ms,
                    end_ms=q.end_ms,
                    limit=q.limit,
                    time_zone=q.time_zone,
                )
            )
        key = SeriesKey(q.symbol, q.interval, self._market)
        now = self._clock_ms()
        if q.start_ms is None:
            return self._latest(key, q, now)
        last = now if q.end_ms is None else min(q.end_ms, now)
        return self._forward(key, q.start_ms, last, q.limit, now)

    # -- forward from a start time --------------------------------------------------------
    def _forward(
        self, key: SeriesKey, start: int, last: int, limit: int, now: int
    ) -> list[KlineText]:
        out: list[KlineText] = []
        cursor = align_up(start, key.interval)
        settled_end = self._settled_end(key.interval, now)
        live: list[Kline] | None = None  # the unsettled candles, once this request asked
        for _ in range(_MAX_STEPS):
            if len(out) >= limit or cursor > last:
                return out
            if cursor >= settled_end:
                # The open candle (and one that closed a moment ago): the exchange's answer.
                if live is None:
                    live = self._fetch_page(key, cursor, now, live=True)
                fresh = [r for r in live if cursor <= int(r[0]) <= last]
                return out + _texts(fresh[: limit - len(out)])
            verified = self.verified_until(key, cursor, now)
            if verified is None:
                is_live = self._is_live_page(key.interval, cursor, now)
                unsettled = self._fetch_page(key, cursor, now, live=is_live)
                live = unsettled if is_live else live
                continue
            upto = min(verified, last + 1)
            out.extend(self._stored(key, cursor, upto, limit - len(out)))
            cursor = upto
        raise Unavailable("the mirror could not assemble this page; try again", system="binance")

    def _stored(self, key: SeriesKey, start: int, end: int, limit: int) -> list[KlineText]:
        """Settled candles in [start, end) from the store, as text (shared while fresh)."""
        return self._cache.get_or_render(
            (key, start, end, limit),
            lambda: list(map(kline_json, self._candles.read(key, start, end, limit))),
        )

    def _fetch_page(self, key: SeriesKey, cursor: int, now: int, *, live: bool) -> list[Kline]:
        """One exchange request for the page holding `cursor` (on the live page: from `cursor`,
        only what is not stored yet); returns the unsettled candles it saw."""
        start = cursor if live else self._page_start(key.interval, cursor)
        limit = self._upstream.page_limit

        def work() -> dict[str, Any]:
            fetched_at = self._clock_ms()
            if not live and self.verified_until(key, cursor, fetched_at) is not None:
                return {"unsettled": []}  # a flight that just landed fetched this page
            rows = self._upstream.klines(key.symbol, key.interval, start_ms=start, limit=limit)
            full = len(rows) >= limit
            return {"unsettled": self._absorb(key, start, rows, fetched_at, full=full)}

        result = self._flights.run(f"mirror:{key.series_id}:{start}", work)
        return list(result["unsettled"])

    # -- the latest candles -----------------------------------------------------------------
    def _latest(self, key: SeriesKey, q: KlinesQuery, now: int) -> list[KlineText]:
        last = now if q.end_ms is None else min(q.end_ms, now)
        first = add_candles(align_down(last, key.interval), key.interval, -(q.limit - 1))
        rows = self._forward(key, first, last, q.limit, now)
        for _ in range(_MAX_REACH_BACK):
            if len(rows) >= q.limit or self._nothing_before(key, first, now):
                return rows
            # An outage inside the window: Binance reaches further back for the missing ones.
            need = q.limit - len(rows)
            earlier = add_candles(first, key.interval, -need)
            rows = self._forward(key, earlier, first - 1, need, now) + rows
            first = earlier
        # Still short (a listing inside the window, not known yet): ask the exchange.
        return self._passthrough_latest(key, q, now)

    def _nothing_before(self, key: SeriesKey, at: int, now: int) -> bool:
        verified = self.verified_until(key, 0, now)
        return verified is not None and verified >= at

    def _passthrough_latest(self, key: SeriesKey, q: KlinesQuery, now: int) -> list[KlineText]:
        def work() -> dict[str, Any]:
            fetched_at = self._clock_ms()
            rows = self._upstream.klines(key.symbol, key.interval, end_ms=q.end_ms,
                                         limit=q.limit)  # fmt: skip
            # Fewer than asked: nothing exists before the first one.
            start = 0 if len(rows) < q.limit or not rows else int(kline_to_row(rows[0])[0])
            reach = None if q.end_ms is None else next_open(align_down(q.end_ms, key.interval),
                                                            key.interval)  # fmt: skip
            unsettled = self._absorb(key, start, rows, fetched_at, full=False, reach=reach)
            settled = [kline_json(kline_to_row(r)) for r in rows[: len(rows) - len(unsettled)]]
            return {"rows": settled + _texts(unsettled)}

        name = f"mirror:{key.series_id}:last:{q.end_ms}:{q.limit}"
        return list(self._flights.run(name, work)["rows"])

    # -- what an exchange answer proves ------------------------------------------------------
    def _absorb(
        self,
        key: SeriesKey,
        start: int,
        rows: list[Kline],
        now: int,
        *,
        full: bool,
        reach: int | None = None,
    ) -> list[Kline]:
        """Stores the settled rows, records what is now known, returns the unsettled rows.

        `full`: the answer held as many rows as asked, so it proves nothing after its last
        row. `reach`: the answer covered everything up to there (an endTime).
        """
        settled_end = self._settled_end(key.interval, now)
        converted = [kline_to_row(r) for r in rows]
        settled = [r for r in converted if r[0] < settled_end]
        unsettled = [raw for raw, r in zip(rows, converted, strict=True) if r[0] >= settled_end]
        self._candles.insert(key, settled)
        if full and not unsettled:
            known = next_open(settled[-1][0], key.interval) if settled else start
        else:
            known = settled_end if reach is None else reach
        known = min(known, settled_end)
        if known > start:
            self._ledger.record(key, FetchRecord(start, known, "complete", at_ms=now))
        return unsettled

    def verified_until(self, key: SeriesKey, at: int, now: int) -> int | None:
        """Where the settled, fetched stretch containing `at` ends; None if `at` is not in one."""
        settled_end = self._settled_end(key.interval, now)
        if at >= settled_end:
            return None
        reached = at
        for _ in range(_MAX_HOPS):
            records = [r for r in self._ledger.records(key, reached, reached + 1)
                       if r.outcome == "complete" and r.start_ms <= reached < r.end_ms]  # fmt: skip
            if not records:
                break
            reached = max(r.end_ms for r in records)
        reached = min(reached, settled_end)
        return reached if reached > at else None

    def _settled_end(self, interval: str, now: int) -> int:
        """The open time of the first candle that is not settled at `now`."""
        return align_down(now - self._settle_ms, interval)

    def _page_span(self, interval: str) -> int:
        return nominal_ms(interval) * self._upstream.page_limit

    def _is_live_page(self, interval: str, cursor: int, now: int) -> bool:
        return self._page_start(interval, cursor) + self._page_span(interval) > now

    def _page_start(self, interval: str, cursor: int) -> int:
        if interval == "1M":
            return 0  # a thousand months is all of history
        offset = _WEEK_OFFSET_MS if interval == "1w" else 0
        return offset + (cursor - offset) // self._page_span(interval) * self._page_span(interval)


def _texts(rows: list[Kline]) -> list[KlineText]:
    """Exchange rows passed through as they came (the open candle is never re-rendered)."""
    return [orjson.dumps(r).decode() for r in rows]
