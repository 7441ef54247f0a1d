"""The store layer's contract: one small protocol per concept, two implementations each.

`sqlite/` (the embedded default) and `mongodb/` (deployments) implement these with the same
behaviour; `cl3_common.store.factory.open_stores` picks one from settings. Nothing outside the
store packages builds a query. Every method that takes a range works on [start_ms, end_ms)
of open times and costs an index range scan over that range, never a scan of what is stored
(docs/data-model.md says how each backend does it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from cl3_common.derived.gaps import FetchRecord, Hole
from cl3_common.derived.resample import Aggregate
from cl3_common.store.funding_rows import FundingBounds, FundingKey, FundingRow
from cl3_common.store.keys import SeriesKey
from cl3_common.store.records import ApiKeyRecord
from cl3_common.store.rows import Row, SeriesBounds

if TYPE_CHECKING:
    import numpy as np

BatchCallback = Callable[[int], None]


class CandleStore(Protocol):
    def insert(self, key: SeriesKey, rows: Sequence[Row]) -> int:
        """Stores rows not stored yet (duplicates are ignored); returns how many were new."""
        ...

    def replace(self, key: SeriesKey, rows: Sequence[Row]) -> int:
        """Overwrites stored rows with these (repairs); returns how many rows were written."""
        ...

    def read(
        self, key: SeriesKey, start_ms: int, end_ms: int, limit: int | None = None
    ) -> list[Row]:
        """Stored rows in range, ascending by open time, at most `limit`."""
        ...

    def open_times(self, key: SeriesKey, start_ms: int, end_ms: int) -> list[int]: ...

    def count(
        self, key: SeriesKey, start_ms: int, end_ms: int, *, at_most: int | None = None
    ) -> int:
        """Stored candles in range; with `at_most`, counting stops there (cheap checks)."""
        ...

    def holes(
        self, key: SeriesKey, start_ms: int, end_ms: int, *, stored: int | None = None
    ) -> tuple[list[Hole], int]:
        """Missing candles on the interval grid in [start_ms, end_ms) (leading and trailing
        ones included), and how many candles are stored there (`stored`, when the caller
        already knows it, saves counting the whole range)."""
        ...

    def aggregate(self, key: SeriesKey, bounds: list[tuple[int, int]]) -> list[Aggregate]:
        """(start, end, sources, open, high, low, close, volume, quote_volume, trades,
        taker_buy_base, taker_buy_quote) of each bucket [start, end) of `bounds` (sorted,
        disjoint) that holds a stored candle: exactly `derived.resample.aggregate_rows` of
        the rows read, whichever way the backend computes it (resampling on read)."""
        ...

    def last_before(self, key: SeriesKey, before_ms: int) -> Row | None:
        """The stored row with the greatest open time before `before_ms`, if any."""
        ...

    def bounds(self, key: SeriesKey) -> SeriesBounds | None:
        """First and last open time and count of a series, None when nothing is stored."""
        ...

    # Whether `bounds(...).count` always equals the stored candles (see candles_base.py).
    kept_count_is_exact: bool

    def recount(self, key: SeriesKey) -> int:
        """The series' kept count set to its stored candles (after writes an outage cut off,
        where the count is not kept in the write's transaction); that count."""
        ...

    def list_series(
        self,
        *,
        market: str | None = None,
        kind: str | None = None,
        symbol: str | None = None,
        interval: str | None = None,
    ) -> list[SeriesBounds]: ...

    def columns(
        self,
        key: SeriesKey,
        start_ms: int | None = None,
        end_ms: int | None = None,
        *,
        on_batch: BatchCallback | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(open_time int64 ms, close float64) of a whole range, ascending and unique."""
        ...


class TaskStore(Protocol):
    def create(
        self, task_id: str, *, owner: str, task_type: str, params: dict[str, Any]
    ) -> None: ...

    def get(self, task_id: str) -> dict[str, Any] | None:
        """{"task_id", "owner", "type", "params", "status", "result", "error", "created_at",
        "started_at", "ended_at"} or None."""
        ...

    def update(self, task_id: str, **fields: Any) -> None:
        """Sets some of: status, result, error, started_at, ended_at."""
        ...

    def delete(self, task_id: str) -> None: ...


class TrackedSeriesStore(Protocol):
    """Series someone fetched: what the scheduled refresh keeps fresh."""

    def track(self, key: SeriesKey, *, first_ms: int | None = None) -> None: ...

    def all(self) -> list[SeriesKey]: ...


class AnalysisStore(Protocol):
    """The latest seasonality analysis of each series, with its heatmap picture."""

    def save(self, key: SeriesKey, doc: dict[str, Any], png: bytes | None) -> None: ...

    def get(self, key: SeriesKey) -> dict[str, Any] | None: ...

    def heatmap(self, key: SeriesKey) -> bytes | None: ...


class LedgerStore(Protocol):
    """What was fetched for each series and how it ended: the causes of gaps come from here.

    Recording merges with what is there (the latest record wins where they overlap, adjacent
    equal records coalesce), so a series fetched page by page stays a handful of records.
    """

    def record(self, key: SeriesKey, *records: FetchRecord) -> None: ...

    def records(self, key: SeriesKey, start_ms: int, end_ms: int) -> list[FetchRecord]:
        """Records overlapping [start_ms, end_ms), ordered by start."""
        ...


class FundingLedgerStore(Protocol):
    """What was asked of the exchange's `fundingRate` per funding series, as the candle ledger
    is for candles: a `complete` record says every event the exchange had there is stored, so
    the Binance mirror answers those ranges from the store (docs/mirror.md)."""

    def record(self, key: FundingKey, *records: FetchRecord) -> None: ...

    def records(self, key: FundingKey, start_ms: int, end_ms: int) -> list[FetchRecord]:
        """Records overlapping [start_ms, end_ms) of funding times, ordered by start."""
        ...


class ArchiveFileStore(Protocol):
    """The checksum of every archive file as it was when its candles were loaded (files are
    re-uploaded after fixes; an audit compares the archive's current checksum with this)."""

    def record(self, path: str, sha256: str, *, rows: int, at_ms: int) -> None: ...

    def get(self, path: str) -> dict[str, Any] | None:
        """{"path", "sha256", "rows", "loaded_at"} or None."""
        ...

    def page(self, *, after: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        """Records ordered by path, those after `after` (for copying a store)."""
        ...


class FundingStore(Protocol):
    """Funding-rate events per (market, symbol), with bounds kept by the writers, and the
    funding series someone fetched (what the scheduled refresh keeps fresh)."""

    def insert(self, key: FundingKey, rows: Sequence[FundingRow]) -> int:
        """Stores events not stored yet; a stored event only gains the mark price or interval
        it lacked (the archive has no mark prices, REST has). Returns how many were new."""
        ...

    def read(
        self, key: FundingKey, start_ms: int, end_ms: int, limit: int | None = None
    ) -> list[FundingRow]:
        """Stored events with funding_time in range, ascending, at most `limit`."""
        ...

    def previous(self, key: FundingKey, before_ms: int) -> FundingRow | None:
        """The latest stored event before `before_ms` (interval_hours is measured from it)."""
        ...

    def bounds(self, key: FundingKey) -> FundingBounds | None: ...

    def list_series(
        self, *, market: str | None = None, symbol: str | None = None
    ) -> list[FundingBounds]: ...

    def track(self, key: FundingKey, *, first_ms: int | None = None) -> None: ...

    def tracked(self) -> list[FundingKey]: ...


class ApiKeyStore(Protocol):
    """Long-lived API keys, stored by the SHA-256 of the key (never the key itself)."""

    def create(self, record: ApiKeyRecord) -> None: ...

    def by_hash(self, key_hash: str) -> ApiKeyRecord | None:
        """The key with this hash, revoked or not (callers check `revoked_at`)."""
        ...

    def list_for(self, owner: str) -> list[ApiKeyRecord]:
        """The owner's keys that are not revoked, oldest first."""
        ...

    def revoke(self, owner: str, key_id: str, at_ms: int) -> ApiKeyRecord | None:
        """Revokes one of the owner's live keys; None when the owner has no such live key."""
        ...

    def touch(self, key_id: str, at_ms: int) -> None:
        """Records a use (callers throttle how often)."""
        ...

    def set_tier(self, owner: str, tier: str) -> None:
        """The owner's plan changed: every key of theirs follows it."""
        ...
