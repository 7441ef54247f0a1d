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
            row = conn.execute(
                "SELECT path, sha256, rows, loaded_at FROM archive_files WHERE path = ?", (path,)
            ).fetchone()
        return dict(zip(("path", "sha256", "rows", "loaded_at"), row, strict=True)) if row else None
