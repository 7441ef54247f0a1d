"""The `seasonality` collection: the latest analysis of each (symbol, interval) and its heatmap.

One document per series, `_id = "{SYMBOL}_{INTERVAL}"` (SPEC 5), holding the analysis of
SPEC 6 plus the heatmap PNG as BSON binary in `heatmap_png`. The picture lives in the same
document as the numbers it was drawn from so that one `replace_one` swaps both at once: a
reader can never get the picture of one run with the numbers of another. Readers of the
document leave the binary out with a projection, so serving the JSON never ships the picture
(a PNG is tens of kB, far below the 16 MB document limit).

The analysis' `heatmap` (7 weekdays x 24 hours of mean return, a list of lists) is stored as
seven `{"weekday", "hours"}` objects and turned back into the matrix on read: FerretDB (the
local MongoDB wire server) refuses arrays nested directly in arrays, MongoDB takes either.
"""

from __future__ import annotations

from typing import Any

from bson.binary import Binary
from pymongo.database import Database

from cl3_common.store.candles import ms_to_dt
from cl3_common.store.mongo import mongo_errors_translated

PNG_FIELD = "heatmap_png"
HEATMAP_FIELD = "heatmap"


def seasonality_id(symbol: str, interval: str) -> str:
    return f"{symbol}_{interval}"


class SeasonalityStore:
    def __init__(self, db: Database) -> None:
        self._col = db["seasonality"]
        self._candles = db["candles"]

    def save(self, doc: dict[str, Any], png: bytes | None) -> None:
        """Replace the series' analysis (and picture) with this one: the latest run wins."""
        record = {k: v for k, v in doc.items() if k not in ("_id", PNG_FIELD)}
        if HEATMAP_FIELD in record:
            record[HEATMAP_FIELD] = heatmap_to_storable(record[HEATMAP_FIELD])
        record["_id"] = seasonality_id(doc["symbol"], doc["interval"])
        record[PNG_FIELD] = Binary(png) if png is not None else None
        with mongo_errors_translated():
            self._col.replace_one({"_id": record["_id"]}, record, upsert=True)

    def get(self, symbol: str, interval: str) -> dict[str, Any] | None:
        """The stored analysis without `_id` and the picture, or None."""
        with mongo_errors_translated():
            doc = self._col.find_one(
                {"_id": seasonality_id(symbol, interval)}, {"_id": 0, PNG_FIELD: 0}
            )
        if doc is not None and HEATMAP_FIELD in doc:
            doc[HEATMAP_FIELD] = heatmap_from_storable(doc[HEATMAP_FIELD])
        return doc

    def get_heatmap(self, symbol: str, interval: str) -> bytes | None:
        """The PNG bytes of the stored analysis, or None (no analysis, or no picture)."""
        with mongo_errors_translated():
            doc = self._col.find_one({"_id": seasonality_id(symbol, interval)}, {PNG_FIELD: 1})
        if doc is None or doc.get(PNG_FIELD) is None:
            return None
        return bytes(doc[PNG_FIELD])

    def candles_available(
        self, symbol: str, interval: str, start_ms: int, end_ms: int, *, at_most: int
    ) -> int:
        """Stored candles in [start, end), counted only up to `at_most`.

        The request-time `insufficient_data` check needs "at least slow + 2", not the total:
        a capped count stops early, so it stays cheap on a series of millions of candles
        (a full count on FerretDB scans every document: ~16 s per 100,000).
        """
        query = {
            "symbol": symbol,
            "interval": interval,
            "open_time": {"$gte": ms_to_dt(start_ms), "$lt": ms_to_dt(end_ms)},
        }
        with mongo_errors_translated():
            return int(self._candles.count_documents(query, limit=max(1, at_most)))


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
