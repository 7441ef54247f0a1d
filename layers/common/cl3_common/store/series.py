"""The `series` collection: (symbol, interval) pairs the scheduled refresh keeps fresh."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pymongo.database import Database

from cl3_common.store.mongo import mongo_errors_translated


def series_id(symbol: str, interval: str) -> str:
    return f"{symbol}_{interval}"


class SeriesStore:
    def __init__(self, db: Database, clock_ms: Callable[[], int]) -> None:
        self._col = db["series"]
        self._clock_ms = clock_ms

    def track(self, symbol: str, interval: str, *, first_ms: int | None = None) -> None:
        now = self._clock_ms()
        with mongo_errors_translated():
            self._col.update_one(
                {"_id": series_id(symbol, interval)},
                {
                    "$setOnInsert": {"symbol": symbol, "interval": interval, "tracked_at": now},
                    "$set": {"updated_at": now},
                    "$min": {"first_requested_ms": first_ms if first_ms is not None else now},
                },
                upsert=True,
            )

    def all(self) -> list[dict[str, Any]]:
        with mongo_errors_translated():
            return list(self._col.find({}).sort("_id", 1))
