"""What klines (klines.py) and fundingRate (funding.py) answers do alike: walk forward from a
start time over the store and the exchange, and record what an exchange answer proves.

The walk reads the store wherever the ledger's `complete` records vouch for it (verified.py);
where they do not, it fetches the page (klines) or cell (funding) holding that time, which
stores it and records it, and reads on. What is not settled yet (the open candle, an event a
moment old) is the exchange's own answer, passed through.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Generic, Protocol, TypeVar

from cl3_common.derived.gaps import FetchRecord
from cl3_common.errors import Unavailable
from cl3_common.intervals import ClockMs
from cl3_common.mirror.flight import SingleFlight
from cl3_common.mirror.upstream import Upstream
from cl3_common.mirror.verified import Records, verified_until

S = TypeVar("S")  # what names the series of a request (klines: with its page grid and format)
Raw = TypeVar("Raw")  # one row as the exchange sends it
Out = TypeVar("Out")  # one item of the answer

MAX_REACH_BACK = 4  # further steps back for the latest rows across outages


class Ledger(Protocol):
    """The candle ledger or the funding ledger (cl3_common.store.protocols)."""

    def record(self, key: Any, *records: FetchRecord) -> None: ...
    def records(self, key: Any, start_ms: int, end_ms: int) -> list[FetchRecord]: ...


class LedgerWalk(ABC, Generic[S, Raw, Out]):
    """A source answered from the store where its ledger says the exchange was asked."""

    _max_steps: int  # store reads and fetches for one request

    def __init__(
        self,
        ledger: Ledger,
        upstream: Upstream,
        flights: SingleFlight,
        *,
        clock_ms: ClockMs,
        settle_ms: int,
    ) -> None:
        self._ledger = ledger
        self._upstream = upstream
        self._market = upstream.market
        self._flights = flights
        self._clock_ms = clock_ms
        self._settle_ms = settle_ms  # how long the exchange may still change what it sent

    def _forward(self, s: S, start: int, last: int, limit: int | None, now: int) -> list[Out]:
        """The first `limit` items (None: all) from `start` to `last` (inclusive)."""
        out: list[Out] = []
        cursor, settled_end = start, self._settled_end(s, now)
        live: list[Raw] | None = None  # the unsettled rows, once this request asked
        for _ in range(self._max_steps):
            left = None if limit is None else limit - len(out)
            if left == 0 or cursor > last:
                return out
            if cursor >= settled_end:
                return out + self._unsettled(s, cursor, last, left, live)
            verified = self._verified(s, cursor, now)
            if verified is None:
                live = self._fetch_missing(s, cursor, now, live)
                continue
            upto = min(verified, last + 1)
            out += self._stored(s, cursor, upto, left)
            cursor = upto
        raise Unavailable("the mirror could not assemble this page; try again", system="binance")

    def _unsettled(
        self, s: S, cursor: int, last: int, left: int | None, live: list[Raw] | None
    ) -> list[Out]:
        """The open candle (and one that closed a moment ago): the exchange's answer."""
        if live is None:
            live, _ = self._fetch(s, cursor, live=True)
        fresh = [r for r in live if cursor <= self._time_of(r) <= last]
        return self._passed_through(fresh[:left])

    def _fetch_missing(
        self, s: S, cursor: int, now: int, live: list[Raw] | None
    ) -> list[Raw] | None:
        """Fetches what holds `cursor`; the unsettled rows seen, when the answer reached now."""
        holds_present = self._holds_present(s, cursor, now)
        unsettled, to_now = self._fetch(s, cursor, live=holds_present)
        return unsettled if holds_present and to_now else live

    def _absorb(
        self, s: S, start: int, raws: list[Raw], now: int, *, full: bool, reach: int | None = None
    ) -> list[Raw]:
        """Stores the answer, records what is now known, returns the unsettled rows.

        `full`: the answer held as many rows as asked, so it proves nothing after its last
        row. `reach`: the answer covered everything up to there (an endTime).
        """
        settled_end = self._settled_end(s, now)
        after_last = self._keep(s, start, raws, settled_end)
        reached = settled_end if reach is None else reach
        known = min(after_last if full else reached, settled_end)
        if known > start:
            self._ledger.record(self._key(s), FetchRecord(start, known, "complete", at_ms=now))
        return [r for r in raws if self._time_of(r) >= settled_end]

    def _verified(self, s: S, at: int, now: int) -> int | None:
        """Where the settled, fetched stretch containing `at` ends; None if `at` is not in one."""
        return verified_until(self._records(s), at, self._settled_end(s, now))

    def _records(self, s: S) -> Records:
        key = self._key(s)
        return lambda start, end: self._ledger.records(key, start, end)

    # -- what each source says -----------------------------------------------------------
    @abstractmethod
    def _key(self, s: S) -> Any:
        """The series' key in the store and the ledger."""

    @abstractmethod
    def _settled_end(self, s: S, now: int) -> int:
        """Where what the exchange may still change or publish begins."""

    @abstractmethod
    def _holds_present(self, s: S, cursor: int, now: int) -> bool:
        """Whether the page or cell holding `cursor` reaches the present."""

    @abstractmethod
    def _fetch(self, s: S, cursor: int, *, live: bool) -> tuple[list[Raw], bool]:
        """One exchange request for the page or cell holding `cursor` (live: from `cursor`);
        the unsettled rows it saw, and whether its answer reached the present."""

    @abstractmethod
    def _stored(self, s: S, start: int, end: int, limit: int | None) -> list[Out]:
        """Items of [start, end) from the store, at most `limit`."""

    @abstractmethod
    def _keep(self, s: S, start: int, raws: list[Raw], settled_end: int) -> int:
        """Stores what may be stored of an answer from `start`; the time after its last row."""

    @abstractmethod
    def _time_of(self, raw: Raw) -> int: ...

    @abstractmethod
    def _passed_through(self, raws: list[Raw]) -> list[Out]:
        """Exchange rows as items of the answer, as they came."""
