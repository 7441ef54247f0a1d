"""fundingRate answered from the funding store where the exchange was asked, fetched once where
not, the way klines are (klines.py).

Binance's selection (USDⓈ-M and COIN-M alike): with `startTime`, the first `limit` events with
`fundingTime` at or after it (and at or before `endTime`); without it, the last `limit`
events at or before `endTime` (default now). Events are sparse and their schedule changes
(8 h, 4 h, 1 h), so misses are fetched by cells of 40 days from the epoch: one request from a
day before the cell (so the cell's first event has its predecessor, for `interval_hours`)
with `limit` 1000, which holds any schedule's cell. The funding ledger records what each
answer proves; events of the last `FUNDING_SETTLE_MS` are passed through and asked again
(the exchange may publish an event a moment after its time). Every request goes through
the host's funding budget (USDⓈ-M: 500 requests per 5 minutes, besides the weight).
Funding happens on the hour, so a fetch proves the rest of its hour too: the latest events
cost one exchange request per symbol and hour, however often they are asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from cl3_common.exchange.markets import COINM
from cl3_common.intervals import DAY_MS, HOUR_MS
from cl3_common.mirror.flight import SingleFlight
from cl3_common.mirror.params import FundingQuery
from cl3_common.mirror.upstream import Upstream
from cl3_common.mirror.verified import verified_until
from cl3_common.mirror.walk import MAX_REACH_BACK, LedgerWalk
from cl3_common.store import FundingKey, FundingRow
from cl3_common.store.funding_rows import (
    FUNDING_LOOKBACK_MS,
    USUAL_FUNDING_HOURS,
    rest_funding_event,
    with_intervals,
)
from cl3_common.store.protocols import FundingLedgerStore, FundingStore

FUNDING_SETTLE_MS = 300_000
CELL_MS = 40 * DAY_MS  # at most 960 hourly events, plus a day before: one request of 1000
PAGE_LIMIT = 1000
_USUAL_INTERVAL_MS = USUAL_FUNDING_HOURS * HOUR_MS  # the first look back for the latest

Event = dict[str, Any]  # one event as the exchange sends it


class FundingSource(LedgerWalk[FundingKey, Event, Event]):
    _max_steps = 32  # store reads and fetches for one request

    def __init__(
        self,
        store: FundingStore,
        ledger: FundingLedgerStore,
        upstream: Upstream,
        flights: SingleFlight,
        *,
        clock_ms: Callable[[], int],
        settle_ms: int = FUNDING_SETTLE_MS,
    ) -> None:
        super().__init__(ledger, upstream, flights, clock_ms=clock_ms, settle_ms=settle_ms)
        self._store = store

    def answer_json(self, q: FundingQuery, *, listed_ms: int = 0) -> str:
        """Binance's JSON array; `listed_ms`: no event of the symbol is older (onboardDate)."""
        return orjson.dumps(self.events(q, listed_ms=listed_ms)).decode()

    def events(self, q: FundingQuery, *, listed_ms: int = 0) -> list[Event]:
        if q.symbol is None:  # every perpetual at once: passed through, uncached
            return self._upstream.funding(None, start_ms=q.start_ms, end_ms=q.end_ms,
                                          limit=q.limit)  # fmt: skip
        key = FundingKey(self._market.name, q.symbol)
        now = self._clock_ms()
        if q.start_ms is None:
            return self._latest(key, q.end_ms, q.limit, now, listed_ms)
        last = now if q.end_ms is None else min(q.end_ms, now)
        return self._forward(key, q.start_ms, last, q.limit, now)

    # -- forward from a start time --------------------------------------------------------
    def _fetch(self, key: FundingKey, cursor: int, *, live: bool) -> tuple[list[Event], bool]:
        """One exchange request for the cell holding `cursor` (the live cell: from `cursor`);
        its unsettled events, and whether the answer reached the present."""
        start = cursor if live else max(0, cursor // CELL_MS * CELL_MS - FUNDING_LOOKBACK_MS)

        def work() -> dict[str, Any]:
            fetched_at = self._clock_ms()
            if not live and self._verified(key, cursor, fetched_at) is not None:
                return {"unsettled": [], "to_now": False}  # a flight that just landed
            raw = self._upstream.funding(key.symbol, start_ms=start, end_ms=None,
                                         limit=PAGE_LIMIT)  # fmt: skip
            full = len(raw) >= PAGE_LIMIT
            unsettled = self._absorb(key, start, raw, fetched_at, full=full)
            return {"unsettled": unsettled, "to_now": not full}

        result = self._flights.run(f"mirror:funding:{key.series_id}:{start}", work)
        return list(result["unsettled"]), bool(result["to_now"])

    def _holds_present(self, key: FundingKey, cursor: int, now: int) -> bool:
        return cursor // CELL_MS * CELL_MS + CELL_MS > now

    def _stored(self, key: FundingKey, start: int, end: int, limit: int | None) -> list[Event]:
        return [self._event(key, r) for r in self._store.read(key, start, end, limit)]

    # -- the latest events --------------------------------------------------------------------
    def _latest(
        self, key: FundingKey, end: int | None, limit: int, now: int, listed_ms: int
    ) -> list[Event]:
        hi = now if end is None else min(end, now)
        span, got = limit * _USUAL_INTERVAL_MS, list[Event]()
        for _ in range(MAX_REACH_BACK):
            lo = max(listed_ms, hi + 1 - span)
            if lo <= hi:
                got = self._forward(key, lo, hi, None, now) + got
            if len(got) >= limit or lo <= listed_ms:
                return got[-limit:]
            hi, span = lo - 1, span * 4  # a faster schedule, or a long pause: look further
        return self._passthrough_latest(key, end, limit)

    def _passthrough_latest(self, key: FundingKey, end: int | None, limit: int) -> list[Event]:
        def work() -> dict[str, Any]:
            fetched_at = self._clock_ms()
            raw = self._upstream.funding(key.symbol, start_ms=None, end_ms=end, limit=limit)
            # Fewer than asked: nothing exists before the first one.
            start = 0 if len(raw) < limit or not raw else int(raw[0]["fundingTime"])
            reach = None if end is None else end + 1
            self._absorb(key, start, raw, fetched_at, full=False, reach=reach)
            return {"events": raw}

        name = f"mirror:funding:{key.series_id}:last:{end}:{limit}"
        return list(self._flights.run(name, work)["events"])

    # -- what an exchange answer proves --------------------------------------------------------
    def _keep(self, key: FundingKey, start: int, raws: list[Event], settled_end: int) -> int:
        """Stores the events (an event does not change once published); the time after the
        last one."""
        events = sorted(rest_funding_event(e) for e in raws)
        rows, _ = with_intervals(events, self._previous(key, start))
        self._store.insert(key, rows)
        return events[-1][0] + 1 if events else start

    def _previous(self, key: FundingKey, before: int) -> int | None:
        """The time of the event before `before`, if the ledger proves none lies between."""
        previous = self._store.previous(key, before)
        if previous is None:
            return None
        proven = verified_until(self._records(key), previous[0], before) == before
        return previous[0] if proven else None

    def _key(self, key: FundingKey) -> FundingKey:
        return key

    def _settled_end(self, key: FundingKey, now: int) -> int:
        """Where what the exchange may still publish begins. Funding happens on the hour (a
        few ms after it): once an hour's events are `settle_ms` old, none can appear before
        the next hour, so a fetch then proves everything up to the next hour."""
        return (now - self._settle_ms) // HOUR_MS * HOUR_MS + HOUR_MS

    def _time_of(self, raw: Event) -> int:
        return int(raw["fundingTime"])

    def _passed_through(self, raws: list[Event]) -> list[Event]:
        return raws

    def _event(self, key: FundingKey, row: FundingRow) -> Event:
        """A stored event as the exchange sends it (COIN-M's have no markPrice)."""
        time, rate, mark, _ = row
        if self._market.name == COINM:
            return {"symbol": key.symbol, "fundingTime": time, "fundingRate": f"{rate:.8f}"}
        return {"symbol": key.symbol, "fundingRate": f"{rate:.8f}", "fundingTime": time,
                "markPrice": "" if mark is None else f"{mark:.8f}"}  # fmt: skip
