"""Fetch ledgers in MongoDB: one document per record of a series, in `fetch_ledger` (candle
series, `series` = "usdm:mark:BTCUSDT_1m") or `funding_ledger` (funding series, "usdm:ETHUSDT").

Recording replaces the overlapping and touching records of the series with their merge.
MongoDB has no multi-document transaction on a standalone server; two fetches recording the
same series at the same moment could interleave, which at worst leaves two records where one
would do (the merge on the next record tidies them).
"""

from __future__ import annotations

from typing import Any, Generic, Protocol, TypeVar

from pymongo import ASCENDING
from pymongo.database import Database

from cl3_common.derived.gaps import FetchRecord, merge_ledger
from cl3_common.store.funding_rows import FundingKey
from cl3_common.store.keys import SeriesKey
from cl3_common.store.mongodb.client import translated


class _Keyed(Protocol):
    @property
    def series_id(self) -> str: ...


K = TypeVar("K", bound=_Keyed)


def _overlapping(key: _Keyed, lo: int, hi: int, *, touching: bool) -> dict[str, Any]:
    return {"series": key.series_id,
            "start": {"$lte" if touching else "$lt": hi},
            "end": {"$gte" if touching else "$gt": lo}}  # fmt: skip


class _MongoLedger(Generic[K]):
    def __init__(self, db: Database, collection: str) -> None:
        self._col = db[collection]

    def record(self, key: K, *records: FetchRecord) -> None:
        if not records:
            return
        lo, hi = min(r.start_ms for r in records), max(r.end_ms for r in records)
        query = _overlapping(key, lo, hi, touching=True)
        with translated():
            existing = [FetchRecord.from_doc(d) for d in self._col.find(query)]
            merged = merge_ledger(existing, *records)
            self._col.delete_many(query)
            self._col.insert_many([{"series": key.series_id, **r.as_doc()} for r in merged])

    def records(self, key: K, start_ms: int, end_ms: int) -> list[FetchRecord]:
        query = _overlapping(key, start_ms, end_ms, touching=False)
        with translated():
            docs = list(self._col.find(query).sort("start", ASCENDING))
        return [FetchRecord.from_doc(d) for d in docs]


class MongoLedgerStore(_MongoLedger[SeriesKey]):
    def __init__(self, db: Database) -> None:
        super().__init__(db, "fetch_ledger")


class MongoFundingLedgerStore(_MongoLedger[FundingKey]):
    def __init__(self, db: Database) -> None:
        super().__init__(db, "funding_ledger")
