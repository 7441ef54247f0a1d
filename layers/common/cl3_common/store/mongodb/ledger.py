"""The fetch ledger in MongoDB (`fetch_ledger`): one document per record of a series.

Recording replaces the overlapping and touching records of the series with their merge.
MongoDB has no multi-document transaction on a standalone server; two fetches recording the
same series at the same moment could interleave, which at worst leaves two records where one
would do (the merge on the next record tidies them).
"""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING
from pymongo.database import Database

from cl3_common.derived.gaps import FetchRecord, merge_ledger
from cl3_common.store.keys import SeriesKey
from cl3_common.store.mongodb.client import translated


def _overlapping(key: SeriesKey, lo: int, hi: int, *, touching: bool) -> dict[str, Any]:
    return {"series": key.series_id,
            "start": {"$lte" if touching else "$lt": hi},
            "end": {"$gte" if touching else "$gt": lo}}  # fmt: skip


class MongoLedgerStore:
    def __init__(self, db: Database) -> None:
        self._col = db["fetch_ledger"]

    def record(self, key: SeriesKey, *records: FetchRecord) -> None:
        if not records:
            return
        lo, hi = min(r.start_ms for r in records), max(r.end_ms for r in records)
        query = _overlapping(key, lo, hi, touching=True)
        with translated():
            existing = [FetchRecord.from_doc(d) for d in self._col.find(query)]
            merged = merge_ledger(existing, *records)
            self._col.delete_many(query)
            self._col.insert_many([{"series": key.series_id, **r.as_doc()} for r in merged])

    def records(self, key: SeriesKey, start_ms: int, end_ms: int) -> list[FetchRecord]:
        query = _overlapping(key, start_ms, end_ms, touching=False)
        with translated():
            docs = list(self._col.find(query).sort("start", ASCENDING))
        return [FetchRecord.from_doc(d) for d in docs]
