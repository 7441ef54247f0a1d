"""Funding-rate events in MongoDB (`funding`, `_id` = "usdm:ETHUSDT_<funding ms>").

Every query is an equality on (market, symbol) plus a range on `funding_time`, sorted by it:
the prefix of the index `series_funding_time` (schema.py). Per-series bounds, counts and the
tracking flag live in `funding_series`, kept by the writers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from bson.codec_options import CodecOptions, DatetimeConversion
from bson.datetime_ms import DatetimeMS
from pymongo import ASCENDING, DESCENDING, UpdateOne
from pymongo.database import Database

from cl3_common.store.funding_base import FundingStoreBase
from cl3_common.store.funding_rows import FUNDING_FIELDS, FundingBounds, FundingKey, FundingRow
from cl3_common.store.mongodb.client import translated
from cl3_common.store.mongodb.queries import insert_new, time_range

_MS_CODEC: CodecOptions[dict[str, Any]] = CodecOptions(
    datetime_conversion=DatetimeConversion.DATETIME_MS
)
_PROJECTION = {f: 1 for f in FUNDING_FIELDS} | {"_id": 0}
_FILLABLE = ("mark_price", "interval_hours")


def _filter(key: FundingKey, start_ms: int | None, end_ms: int | None) -> dict[str, Any]:
    return time_range({"market": key.market, "symbol": key.symbol}, "funding_time", start_ms,
                      end_ms)  # fmt: skip


def _doc(key: FundingKey, row: FundingRow) -> dict[str, Any]:
    return {"_id": key.event_id(row[0]), **key.to_json(), "funding_time": DatetimeMS(row[0]),
            "rate": row[1], "mark_price": row[2], "interval_hours": row[3]}  # fmt: skip


def _fills(
    key: FundingKey, rows: Sequence[FundingRow], stored: dict[int, dict[str, Any]]
) -> list[UpdateOne]:
    """Stored events gain the mark price or interval they lacked."""
    return [fill for r in rows if r[0] in stored
            for fill in _fill_missing(key, r, stored[r[0]])]  # fmt: skip


def _fill_missing(key: FundingKey, row: FundingRow, stored: dict[str, Any]) -> list[UpdateOne]:
    gained = {f: v for f, v in zip(_FILLABLE, row[2:], strict=True)
              if v is not None and stored.get(f) is None}  # fmt: skip
    return [UpdateOne({"_id": key.event_id(row[0])}, {"$set": gained})] if gained else []


def _row(doc: dict[str, Any]) -> FundingRow:
    hours = doc.get("interval_hours")
    return (int(doc["funding_time"]), float(doc["rate"]), doc.get("mark_price"),
            None if hours is None else int(hours))  # fmt: skip


class MongoFundingStore(FundingStoreBase):
    def __init__(self, db: Database, clock_ms: Callable[[], int]) -> None:
        self._col = db.get_collection("funding", codec_options=_MS_CODEC)
        self._series = db["funding_series"]
        self._clock_ms = clock_ms

    def insert(self, key: FundingKey, rows: Sequence[FundingRow]) -> int:
        if not rows:
            return 0
        first, last = min(r[0] for r in rows), max(r[0] for r in rows)
        stored = self._stored_between(key, first, last)
        new = [_doc(key, r) for r in rows if r[0] not in stored]
        added = insert_new(self._col, new, "funding events") if new else 0
        fills = _fills(key, rows, stored)
        with translated():
            if fills:
                self._col.bulk_write(fills, ordered=False)
            self._series.update_one(
                {"_id": key.series_id},
                {"$setOnInsert": key.to_json(), "$inc": {"count": added},
                 "$min": {"first_time": first}, "$max": {"last_time": last}},
                upsert=True,
            )  # fmt: skip
        return added

    def _stored_between(self, key: FundingKey, first: int, last: int) -> dict[int, dict[str, Any]]:
        """The stored events of [first, last] by funding time."""
        with translated():
            docs = self._col.find(_filter(key, first, last + 1), _PROJECTION)
            return {int(d["funding_time"]): d for d in docs}

    def read(
        self, key: FundingKey, start_ms: int, end_ms: int, limit: int | None = None
    ) -> list[FundingRow]:
        with translated():
            cursor = self._col.find(_filter(key, start_ms, end_ms), _PROJECTION)
            cursor = cursor.sort("funding_time", ASCENDING)
            if limit is not None:
                cursor = cursor.limit(limit)
            return [_row(d) for d in cursor]

    def previous(self, key: FundingKey, before_ms: int) -> FundingRow | None:
        with translated():
            doc = self._col.find_one(_filter(key, None, before_ms), _PROJECTION,
                                     sort=[("funding_time", DESCENDING)])  # fmt: skip
        return _row(doc) if doc else None

    def _stored_series(self, equal: dict[str, str]) -> list[FundingBounds]:
        with translated():
            docs = list(self._series.find({"count": {"$gt": 0}, **equal}, {"_id": 0}))
        found = [FundingBounds(d["market"], d["symbol"], int(d["first_time"]),
                               int(d["last_time"]), int(d["count"])) for d in docs]  # fmt: skip
        return sorted(found, key=lambda b: (b.market, b.symbol))

    def track(self, key: FundingKey, *, first_ms: int | None = None) -> None:
        now = self._clock_ms()
        with translated():
            self._series.update_one(
                {"_id": key.series_id},
                {"$setOnInsert": {**key.to_json(), "count": 0},
                 "$min": {"tracked_at": now,
                          "first_requested_ms": now if first_ms is None else first_ms}},
                upsert=True,
            )  # fmt: skip

    def tracked(self) -> list[FundingKey]:
        with translated():
            docs = list(self._series.find({"tracked_at": {"$ne": None}},
                                          {"market": 1, "symbol": 1}))  # fmt: skip
        return sorted(FundingKey(d["market"], d["symbol"]) for d in docs)
