"""Candles in MongoDB: the documents of docs/data-model.md, one index for every range query.

Every query here is an equality on (market, kind, symbol, interval) plus a range on
`open_time`, sorted by `open_time`: exactly the prefix order of the compound index
`series_open_time` (schema.py). MongoDB's planner serves such a query with one IXSCAN over
tight bounds and no SORT stage (the equality-sort-range rule of its indexing docs), so reads
cost the range they return. FerretDB, the local test server, scans regardless: it is used
for correctness, not speed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from typing import TYPE_CHECKING, Any

from bson.codec_options import CodecOptions, DatetimeConversion
from bson.datetime_ms import DatetimeMS
from pymongo import ASCENDING, DESCENDING
from pymongo.database import Database
from pymongo.operations import ReplaceOne

from cl3_common.derived.candle import API_FIELDS
from cl3_common.store.candles_base import CandleStoreBase
from cl3_common.store.keys import SeriesKey
from cl3_common.store.mongodb.client import translated
from cl3_common.store.mongodb.queries import insert_new, time_range
from cl3_common.store.protocols import BatchCallback
from cl3_common.store.rows import Row, SeriesBounds

if TYPE_CHECKING:
    import numpy as np

_VALUE_FIELDS = API_FIELDS[2:]
# Datetimes come back as plain ms integers: no datetime objects on the read path.
_MS_CODEC: CodecOptions[dict[str, Any]] = CodecOptions(
    datetime_conversion=DatetimeConversion.DATETIME_MS
)
_PROJECTION = {f: 1 for f in API_FIELDS} | {"_id": 0}


def dt_to_ms(value: Any) -> int:
    if isinstance(value, DatetimeMS):
        return int(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return round(value.timestamp() * 1000)


def row_to_doc(key: SeriesKey, row: Row) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "_id": key.candle_id(row[0]),
        "market": key.market,
        "kind": key.kind,
        "symbol": key.symbol,
        "interval": key.interval,
        # BSON datetimes built straight from the milliseconds: the same stored type as a
        # datetime, at a third of the cost.
        "open_time": DatetimeMS(row[0]),
        "close_time": DatetimeMS(row[1]),
    }
    doc.update(zip(_VALUE_FIELDS, row[2:], strict=True))
    return doc


def _doc_to_row(doc: dict[str, Any]) -> Row:
    return tuple(int(doc[f]) if f.endswith("_time") else doc[f] for f in API_FIELDS)


def series_filter(key: SeriesKey) -> dict[str, Any]:
    return {"market": key.market, "kind": key.kind, "symbol": key.symbol,
            "interval": key.interval}  # fmt: skip


def range_filter(key: SeriesKey, start_ms: int | None, end_ms: int | None) -> dict[str, Any]:
    return time_range(series_filter(key), "open_time", start_ms, end_ms)


class MongoCandleStore(CandleStoreBase):
    def __init__(self, db: Database) -> None:
        self._col = db.get_collection("candles", codec_options=_MS_CODEC)
        self._bounds = db["candle_series"]

    # -- writes -----------------------------------------------------------------------------
    def insert(self, key: SeriesKey, rows: Sequence[Row]) -> int:
        """Unordered bulk insert; duplicates (11000) are expected and skipped."""
        if not rows:
            return 0
        added = insert_new(self._col, [row_to_doc(key, r) for r in rows], "candles")
        self._note(key, rows, added)
        return added

    def replace(self, key: SeriesKey, rows: Sequence[Row]) -> int:
        if not rows:
            return 0
        ops = [ReplaceOne({"_id": key.candle_id(r[0])}, row_to_doc(key, r), upsert=True)
               for r in rows]  # fmt: skip
        with translated():
            result = self._col.bulk_write(ops, ordered=False)
        self._note(key, rows, int(result.upserted_count))
        return len(rows)

    def recount(self, key: SeriesKey) -> int:
        """An index count of the whole series (one per retried fetch, not per request)."""
        with translated():
            stored = int(self._col.count_documents(series_filter(key)))
            self._bounds.update_one({"_id": key.series_id}, {"$set": {"count": stored}})
        return stored

    def _note(self, key: SeriesKey, rows: Sequence[Row], added: int) -> None:
        """Per-series bounds and count (every row of the batch is stored now, new or not)."""
        with translated():
            self._bounds.update_one(
                {"_id": key.series_id},
                {"$setOnInsert": key.to_json(), "$inc": {"count": added},
                 "$min": {"first_open_time": min(r[0] for r in rows)},
                 "$max": {"last_open_time": max(r[0] for r in rows)}},
                upsert=True,
            )  # fmt: skip

    # -- reads ------------------------------------------------------------------------------
    def read(
        self, key: SeriesKey, start_ms: int, end_ms: int, limit: int | None = None
    ) -> list[Row]:
        with translated():
            cursor = self._col.find(range_filter(key, start_ms, end_ms), _PROJECTION)
            cursor = cursor.sort("open_time", ASCENDING)
            if limit is not None:
                cursor = cursor.limit(limit)
            return [_doc_to_row(d) for d in cursor]

    def open_times(self, key: SeriesKey, start_ms: int, end_ms: int) -> list[int]:
        with translated():
            cursor = self._col.find(range_filter(key, start_ms, end_ms), {"_id": 0, "open_time": 1})
            cursor = cursor.sort("open_time", ASCENDING).batch_size(10_000)
            return [int(d["open_time"]) for d in cursor]

    def last_before(self, key: SeriesKey, before_ms: int) -> Row | None:
        with translated():
            doc = self._col.find_one(range_filter(key, None, before_ms), _PROJECTION,
                                     sort=[("open_time", DESCENDING)])  # fmt: skip
        return None if doc is None else _doc_to_row(doc)

    def count(
        self, key: SeriesKey, start_ms: int, end_ms: int, *, at_most: int | None = None
    ) -> int:
        query = range_filter(key, start_ms, end_ms)
        with translated():
            if at_most is None:
                return int(self._col.count_documents(query))
            return int(self._col.count_documents(query, limit=max(1, at_most)))

    def _stored_series(self, equal: dict[str, str]) -> list[SeriesBounds]:
        with translated():
            docs = list(self._bounds.find({"count": {"$gt": 0}, **equal}, {"_id": 0}))
        found = [
            SeriesBounds(d["market"], d["kind"], d["symbol"], d["interval"],
                         int(d["first_open_time"]), int(d["last_open_time"]), int(d["count"]))
            for d in docs
        ]  # fmt: skip
        return sorted(found, key=lambda b: (b.market, b.kind, b.symbol, b.interval))

    def columns(
        self,
        key: SeriesKey,
        start_ms: int | None = None,
        end_ms: int | None = None,
        *,
        on_batch: BatchCallback | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        from cl3_common.store.mongodb.columns import read_columns

        with translated():
            return read_columns(self._col, range_filter(key, start_ms, end_ms), on_batch)
