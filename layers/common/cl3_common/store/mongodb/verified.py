"""Verified ranges in MongoDB (`verified_ranges`), merged on write without transactions.

A writer replaces the documents it read with their union. Two writers racing can leave
overlapping documents behind, never a hole: a document is deleted only while it still ends
where its reader saw it end (an extension made meanwhile keeps it), and `_id` is the series
plus the start, upserted with `$max` on the end, so a range is never shortened. Reads follow
overlapping documents from one to the next.
"""

from __future__ import annotations

from typing import Any

from pymongo import DESCENDING
from pymongo.database import Database

from cl3_common.store.keys import SeriesKey
from cl3_common.store.mongodb.candles import series_filter
from cl3_common.store.mongodb.client import translated

_MAX_HOPS = 64  # overlapping leftovers of races are rare and few


class MongoVerifiedRangeStore:
    def __init__(self, db: Database) -> None:
        self._col = db["verified_ranges"]

    def add(self, key: SeriesKey, start_ms: int, end_ms: int) -> None:
        if end_ms <= start_ms:
            return
        query: dict[str, Any] = {**series_filter(key), "start_ms": {"$lte": end_ms},
                                 "end_ms": {"$gte": start_ms}}  # fmt: skip
        with translated():
            touching = list(self._col.find(query, {"start_ms": 1, "end_ms": 1}))
            lo = min([start_ms, *(int(d["start_ms"]) for d in touching)])
            hi = max([end_ms, *(int(d["end_ms"]) for d in touching)])
            self._col.update_one(
                {"_id": f"{key.series_id}:{lo}"},
                {"$setOnInsert": {**series_filter(key), "start_ms": lo},
                 "$max": {"end_ms": hi}},
                upsert=True,
            )  # fmt: skip
            for doc in touching:
                if doc["_id"] != f"{key.series_id}:{lo}":
                    self._col.delete_one({"_id": doc["_id"], "end_ms": {"$lte": hi}})

    def verified_until(self, key: SeriesKey, at_ms: int) -> int | None:
        reached = at_ms
        with translated():
            for _ in range(_MAX_HOPS):
                doc = self._col.find_one(
                    {**series_filter(key), "start_ms": {"$lte": reached},
                     "end_ms": {"$gt": reached}},
                    {"end_ms": 1}, sort=[("end_ms", DESCENDING)],
                )  # fmt: skip
                if doc is None:
                    break
                reached = int(doc["end_ms"])
        return reached if reached > at_ms else None
