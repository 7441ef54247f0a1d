"""What several MongoDB stores ask the same way: a range of a time field, an insert that skips
what is stored, a document or a page of documents by `_id`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bson.datetime_ms import DatetimeMS
from pymongo import errors as mongo_errors
from pymongo.collection import Collection

from cl3_common.errors import PermanentError
from cl3_common.store.mongodb.client import translated

DUPLICATE_KEY = 11000


def time_range(
    query: dict[str, Any], field: str, start_ms: int | None, end_ms: int | None
) -> dict[str, Any]:
    """`query` narrowed to [start_ms, end_ms) of `field` (None: that side is open)."""
    bounds: dict[str, Any] = {}
    if start_ms is not None:
        bounds["$gte"] = DatetimeMS(start_ms)
    if end_ms is not None:
        bounds["$lt"] = DatetimeMS(end_ms)
    if bounds:
        query[field] = bounds
    return query


def insert_new(col: Collection, docs: Sequence[dict[str, Any]], what: str) -> int:
    """Unordered bulk insert that skips duplicate `_id`s (stored before, or by a concurrent
    writer); how many documents were new."""
    try:
        with translated():
            return len(col.insert_many(docs, ordered=False).inserted_ids)
    except mongo_errors.BulkWriteError as e:
        details = e.details
        unexpected = [w for w in details.get("writeErrors", []) if w["code"] != DUPLICATE_KEY]
        if unexpected:
            raise PermanentError(
                f"mongodb refused {len(unexpected)} {what}: {unexpected[0].get('errmsg')}",
                system="mongodb",
            ) from e
        return int(details.get("nInserted", 0))


def find_by_id(col: Collection, doc_id: str) -> dict[str, Any] | None:
    with translated():
        doc: dict[str, Any] | None = col.find_one({"_id": doc_id})
    return doc


def page_by_id(col: Collection, after: str | None, limit: int) -> list[dict[str, Any]]:
    """Documents ordered by `_id`, those after `after` (for copying a store)."""
    query = {"_id": {"$gt": after}} if after else {}
    with translated():
        return list(col.find(query).sort("_id", 1).limit(limit))
