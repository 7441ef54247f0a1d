"""Tasks in MongoDB: `_id` = task id; owner (`sub`), type, params, status, result, times."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pymongo.database import Database

from cl3_common.store.mongodb.client import translated
from cl3_common.store.mongodb.queries import find_by_id, page_by_id

_UPDATABLE = ("status", "result", "error", "started_at", "ended_at")


class MongoTaskStore:
    def __init__(self, db: Database, clock_ms: Callable[[], int]) -> None:
        self._col = db["tasks"]
        self._clock_ms = clock_ms

    def create(self, task_id: str, *, owner: str, task_type: str, params: dict[str, Any]) -> None:
        doc = {"_id": task_id, "owner": owner, "type": task_type, "params": params,
               "status": "queued", "result": None, "error": None,
               "created_at": self._clock_ms(), "started_at": None, "ended_at": None}  # fmt: skip
        with translated():
            self._col.insert_one(doc)

    def get(self, task_id: str) -> dict[str, Any] | None:
        doc = find_by_id(self._col, task_id)
        return None if doc is None else _decode(doc)

    def page(self, *, after: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        return [_decode(d) for d in page_by_id(self._col, after, limit)]

    def update(self, task_id: str, **fields: Any) -> None:
        unknown = set(fields) - set(_UPDATABLE)
        if unknown:
            raise ValueError(f"tasks have no updatable fields {sorted(unknown)}")
        if fields:
            with translated():
                self._col.update_one({"_id": task_id}, {"$set": fields})

    def delete(self, task_id: str) -> None:
        with translated():
            self._col.delete_one({"_id": task_id})


def _decode(doc: dict[str, Any]) -> dict[str, Any]:
    doc["task_id"] = doc.pop("_id")
    for name in ("result", "error", "started_at", "ended_at"):
        doc.setdefault(name, None)
    return doc
