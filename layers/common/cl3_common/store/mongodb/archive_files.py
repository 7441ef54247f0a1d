"""Checksums of loaded archive files, in MongoDB (`archive_files`, `_id` = the file's path)."""

from __future__ import annotations

from typing import Any

from pymongo.database import Database

from cl3_common.store.mongodb.client import translated
from cl3_common.store.mongodb.queries import find_by_id, page_by_id


class MongoArchiveFileStore:
    def __init__(self, db: Database) -> None:
        self._col = db["archive_files"]

    def record(self, path: str, sha256: str, *, rows: int, at_ms: int) -> None:
        with translated():
            self._col.replace_one(
                {"_id": path}, {"sha256": sha256, "rows": rows, "loaded_at": at_ms}, upsert=True
            )

    def get(self, path: str) -> dict[str, Any] | None:
        doc = find_by_id(self._col, path)
        return None if doc is None else _decode(doc)

    def page(self, *, after: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        return [_decode(d) for d in page_by_id(self._col, after, limit)]


def _decode(doc: dict[str, Any]) -> dict[str, Any]:
    return {"path": doc["_id"], "sha256": doc["sha256"], "rows": doc["rows"],
            "loaded_at": doc["loaded_at"]}  # fmt: skip
