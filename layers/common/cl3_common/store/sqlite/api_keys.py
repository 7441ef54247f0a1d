"""API keys in SQLite (`api_keys`), looked up by the hash of the key."""

from __future__ import annotations

import sqlite3

from cl3_common.store.records import ApiKeyRecord
from cl3_common.store.sqlite.database import SqliteDatabase

_COLUMNS = "key_id, owner, name, prefix, key_hash, tier, created_at, last_used_at, revoked_at"


def _record(row: sqlite3.Row | tuple) -> ApiKeyRecord:
    return ApiKeyRecord(*row)


class SqliteApiKeyStore:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    def create(self, record: ApiKeyRecord) -> None:
        with self._db.write() as conn:
            conn.execute(
                f"INSERT INTO api_keys ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (record.key_id, record.owner, record.name, record.prefix, record.key_hash,
                 record.tier, record.created_at, record.last_used_at, record.revoked_at),
            )  # fmt: skip

    def by_hash(self, key_hash: str) -> ApiKeyRecord | None:
        with self._db.read() as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM api_keys WHERE key_hash = ?", (key_hash,)
            ).fetchone()
        return _record(row) if row else None

    def list_for(self, owner: str) -> list[ApiKeyRecord]:
        with self._db.read() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM api_keys WHERE owner = ? AND revoked_at IS NULL "
                "ORDER BY created_at, key_id",
                (owner,),
            ).fetchall()
        return [_record(r) for r in rows]

    def revoke(self, owner: str, key_id: str, at_ms: int) -> ApiKeyRecord | None:
        with self._db.write() as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM api_keys WHERE key_id = ? AND owner = ? "
                "AND revoked_at IS NULL",
                (key_id, owner),
            ).fetchone()
            if row is None:
                return None
            conn.execute("UPDATE api_keys SET revoked_at = ? WHERE key_id = ?", (at_ms, key_id))
        found = _record(row)
        return ApiKeyRecord(**{**found.to_json(), "revoked_at": at_ms})

    def touch(self, key_id: str, at_ms: int) -> None:
        with self._db.write() as conn:
            conn.execute(
                "UPDATE api_keys SET last_used_at = max(coalesce(last_used_at, 0), ?) "
                "WHERE key_id = ?",
                (at_ms, key_id),
            )

    def set_tier(self, owner: str, tier: str) -> None:
        with self._db.write() as conn:
            conn.execute(
                "UPDATE api_keys SET tier = ? WHERE owner = ? AND tier != ?", (tier, owner, tier)
            )
