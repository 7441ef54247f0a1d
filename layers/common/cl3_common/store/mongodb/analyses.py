"""Seasonality analyses in MongoDB (`seasonality`, `_id` = "{SYMBOL}_{INTERVAL}").

The heatmap PNG lives in the same document as the numbers it was drawn from, so one
`replace_one` swaps both at once. Readers leave the binary out with a projection. The
analysis' 7 x 24 `heatmap` matrix is stored as seven {"weekday", "hours"} objects and turned
back into the matrix on read: FerretDB refuses arrays nested directly in arrays.
"""

from __future__ import annotations

from typing import Any

from bson.binary import Binary
from pymongo.database import Database

from cl3_common.store.keys import SeriesKey
from cl3_common.store.mongodb.client import translated

PNG_FIELD = "heatmap_png"
HEATMAP_FIELD = "heatmap"


class MongoAnalysisStore:
    def __init__(self, db: Database) -> None:
        self._col = db["seasonality"]

    def save(self, key: SeriesKey, doc: dict[str, Any], png: bytes | None) -> None:
        record = {k: v for k, v in doc.items() if k not in ("_id", PNG_FIELD)}
        if HEATMAP_FIELD in record:
            record[HEATMAP_FIELD] = heatmap_to_storable(record[HEATMAP_FIELD])
        record["_id"] = key.series_id
        record[PNG_FIELD] = Binary(png) if png is not None else None
        with translated():
            self._col.replace_one({"_id": record["_id"]}, record, upsert=True)

    def get(self, key: SeriesKey) -> dict[str, Any] | None:
        with translated():
            doc = self._col.find_one({"_id": key.series_id}, {"_id": 0, PNG_FIELD: 0})
        if doc is not None and HEATMAP_FIELD in doc:
            doc[HEATMAP_FIELD] = heatmap_from_storable(doc[HEATMAP_FIELD])
        return doc

    def heatmap(self, key: SeriesKey) -> bytes | None:
        with translated():
            doc = self._col.find_one({"_id": key.series_id}, {PNG_FIELD: 1})
        if doc is None or doc.get(PNG_FIELD) is None:
            return None
        return bytes(doc[PNG_FIELD])

    def series_keys(self) -> list[SeriesKey]:
        with translated():
            ids = [d["_id"] for d in self._col.find({}, {"_id": 1})]
        return sorted(SeriesKey.from_series_id(i) for i in ids)


def heatmap_to_storable(matrix: list[list[Any]] | None) -> list[dict[str, Any]] | None:
    if matrix is None:
        return None
    return [{"weekday": day, "hours": list(row)} for day, row in enumerate(matrix)]


def heatmap_from_storable(rows: list[Any] | None) -> list[list[Any]] | None:
    if rows is None:
        return None
    # Tolerates the matrix itself (a document written to a MongoDB by other means).
    by_day = {
        (r["weekday"] if isinstance(r, dict) else i): (r["hours"] if isinstance(r, dict) else r)
        for i, r in enumerate(rows)
    }
    return [list(by_day[day]) for day in sorted(by_day)]
