"""Tracked series in MongoDB (`series`, `_id` = "BTCUSDT_1m" or "usdm:mark:BTCUSDT_1m")."""

from __future__ import annotations

from collections.abc import Callable

from pymongo.database import Database

from cl3_common.store.keys import SeriesKey
from cl3_common.store.mongodb.client import translated


class MongoTrackedSeriesStore:
    def __init__(self, db: Database, clock_ms: Callable[[], int]) -> None:
        self._col = db["series"]
        self._clock_ms = clock_ms

    def track(
        self, key: SeriesKey, *, first_ms: int | None = None, at_ms: int | None = None
    ) -> None:
        now = self._clock_ms() if at_ms is None else at_ms
        with translated():
            self._col.update_one(
                {"_id": key.series_id},
                {
                    "$setOnInsert": {**key.to_json(), "tracked_at": now},
                    "$set": {"updated_at": now},
                    "$min": {"first_requested_ms": first_ms if first_ms is not None else now},
                },
                upsert=True,
            )

    def all(self) -> list[SeriesKey]:
        with translated():
            docs = list(self._col.find({}, {"symbol": 1, "interval": 1, "market": 1, "kind": 1}))
        return sorted(SeriesKey.from_json(d) for d in docs)
