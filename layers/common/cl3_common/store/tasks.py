"""The `tasks` collection: who asked for what, and the final result."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pymongo.database import Database

from cl3_common.store.mongo import mongo_errors_translated


class TaskStore:
    def __init__(self, db: Database, clock_ms: Callable[[], int]) -> None:
        self._col = db["tasks"]
        self._clock_ms = clock_ms

    def create(self, task_id: str, *, owner: str, task_type: str, params: dict[str, Any]) -> None:
        doc = {
            "_id": task_id,
            "owner": owner,
            "type": task_type,
            "params": params,
            "status": "queued",
            "result": None,
            "error": None,
            "created_at": self._clock_ms(),
            "ended_at": None,
        }
        with mongo_errors_translated():
            self._col.insert_one(doc)

    def get(self, task_id: str) -> dict[str, Any] | None:
        with mongo_errors_translated():
            return self._col.find_one({"_id": task_id})

    def set_status(self, task_id: str, status: str, **fields: Any) -> None:
        with mongo_errors_translated():
            self._col.update_one({"_id": task_id}, {"$set": {"status": status, **fields}})

    def finish(self, task_id: str, result: dict[str, Any]) -> None:
        self.set_status(task_id, "finished", result=result, ended_at=self._clock_ms())

    def fail(self, task_id: str, error: dict[str, str], status: str = "failed") -> None:
        self.set_status(task_id, status, error=error, ended_at=self._clock_ms())
