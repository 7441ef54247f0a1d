"""Checksums of loaded archive files, in SQLite."""

from __future__ import annotations

from typing import Any

from cl3_common.store.sqlite.database import SqliteDatabase


class SqliteArchiveFileStore:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    def record(self, path: str, sha256: str, *, rows: int, at_ms: int) -> None:
        with self._db.write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO archive_files (path, sha256, rows, loaded_at) "
                "VALUES (?, ?, ?, ?)",
                (path, sha256, rows, at_ms),
            )

    def get(self, path: str) -> dict[str, Any] | None:
        with self._db.read() as conn:
            row = conn.execute(f"SELECT {_COLUMNS} FROM archive_files WHERE path = ?",
                               (path,)).fetchone()  # fmt: skip
        return dict(zip(_FIELDS, row, strict=True)) if row else None

    def page(self, *, after: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        with self._db.read() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM archive_files WHERE path > ? ORDER BY path LIMIT ?",
                (after or "", limit),
            ).fetchall()
        return [dict(zip(_FIELDS, row, strict=True)) for row in rows]


_FIELDS = ("path", "sha256", "rows", "loaded_at")
_COLUMNS = ", ".join(_FIELDS)
