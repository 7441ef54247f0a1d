"""API keys in MongoDB (`api_keys`, `_id` = key id, unique index on `key_hash`)."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.database import Database

from cl3_common.store.mongodb.client import translated
from cl3_common.store.records import ApiKeyRecord


def _record(doc: dict[str, Any]) -> ApiKeyRecord:
    return ApiKeyRecord.from_json({**doc, "key_id": doc["_id"]})


class MongoApiKeyStore:
    def __init__(self, db: Database) -> None:
        self._col = db["api_keys"]

    def create(self, record: ApiKeyRecord) -> None:
        doc = record.to_json()
        doc["_id"] = doc.pop("key_id")
        with translated():
            self._col.insert_one(doc)

    def by_hash(self, key_hash: str) -> ApiKeyRecord | None:
        with translated():
            doc = self._col.find_one({"key_hash": key_hash})
        return _record(doc) if doc else None

    def list_for(self, owner: str) -> list[ApiKeyRecord]:
        with translated():
            docs = list(
                self._col.find({"owner": owner, "revoked_at": None}).sort(
                    [("created_at", ASCENDING), ("_id", ASCENDING)]
                )
            )
        return [_record(d) for d in docs]

    def revoke(self, owner: str, key_id: str, at_ms: int) -> ApiKeyRecord | None:
        with translated():
            doc = self._col.find_one_and_update(
                {"_id": key_id, "owner": owner, "revoked_at": None},
                {"$set": {"revoked_at": at_ms}},
                return_document=ReturnDocument.AFTER,
            )
        return _record(doc) if doc else None

    def touch(self, key_id: str, at_ms: int) -> None:
        with translated():
            self._col.update_one({"_id": key_id}, {"$max": {"last_used_at": at_ms}})

    def set_tier(self, owner: str, tier: str) -> None:
        with translated():
            self._col.update_many({"owner": owner, "tier": {"$ne": tier}}, {"$set": {"tier": tier}})
