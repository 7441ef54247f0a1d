"""Tasks in SQLite: who asked for what, its state and its final result (JSON columns)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from cl3_common.store.sqlite.database import SqliteDatabase

_JSON_FIELDS = ("params", "result", "error")
_UPDATABLE = ("status", "result", "error", "started_at", "ended_at")
_FIELDS = ("task_id", "owner", "type", "params", "status", "result", "error", "created_at",
           "started_at", "ended_at")  # fmt: skip


class SqliteTaskStore:
    def __init__(self, db: SqliteDatabase, clock_ms: Callable[[], int]) -> None:
        self._db = db
        self._clock_ms = clock_ms

    def create(self, task_id: str, *, owner: str, task_type: str, params: dict[str, Any]) -> None:
        with self._db.write() as conn:
            conn.execute(
                "INSERT INTO tasks (task_id, owner, type, params, status, created_at) "
                "VALUES (?, ?, ?, ?, 'queued', ?)",
                (task_id, owner, task_type, json.dumps(params), self._clock_ms()),
            )

    def get(self, task_id: str) -> dict[str, Any] | None:
        with self._db.read() as conn:
            row = conn.execute(
                f"SELECT {', '.join(_FIELDS)} FROM tasks WHERE task_id = ?", (task_id,)
            ).fetchone()
        return None if row is None else _decode(row)

    def page(self, *, after: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        with self._db.read() as conn:
            rows = conn.execute(
                f"SELECT {', '.join(_FIELDS)} FROM tasks WHERE task_id > ? "
                "ORDER BY task_id LIMIT ?",
                (after or "", limit),
            ).fetchall()
        return [_decode(row) for row in rows]

    def update(self, task_id: str, **fields: Any) -> None:
        unknown = set(fields) - set(_UPDATABLE)
        if unknown:
            raise ValueError(f"tasks have no updatable fields {sorted(unknown)}")
        if not fields:
            return
        values = [
            json.dumps(v) if name in _JSON_FIELDS and v is not None else v
            for name, v in fields.items()
        ]
        assignments = ", ".join(f"{name} = ?" for name in fields)
        with self._db.write() as conn:
            conn.execute(f"UPDATE tasks SET {assignments} WHERE task_id = ?", (*values, task_id))

    def delete(self, task_id: str) -> None:
        with self._db.write() as conn:
            conn.execute("DELETE FROM tasks WHERE task_id = ?", (task_id,))


def _decode(row: tuple[Any, ...]) -> dict[str, Any]:
    doc = dict(zip(_FIELDS, row, strict=True))
    for name in _JSON_FIELDS:
        doc[name] = json.loads(doc[name]) if doc[name] is not None else None
    return doc
