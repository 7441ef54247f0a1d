"""The API-key store behaves the same on both backends."""

from __future__ import annotations

import pytest

from cl3_common.store import ApiKeyRecord, Stores
from tests.integration.store.conftest import NOW_MS


def key(key_id: str, owner: str = "alice", **kw) -> ApiKeyRecord:
    fields = {"name": f"bot {key_id}", "prefix": f"cl3_{key_id[-4:]}", "tier": "pro",
              "key_hash": f"hash-{key_id}", "created_at": NOW_MS, **kw}  # fmt: skip
    return ApiKeyRecord(key_id=key_id, owner=owner, **fields)


def test_api_keys_are_found_by_hash_and_listed_per_owner(any_stores: Stores):
    keys = any_stores.api_keys
    keys.create(key("key_b", created_at=NOW_MS + 1))
    keys.create(key("key_a"))
    keys.create(key("key_c", owner="bob"))
    assert keys.by_hash("hash-key_a") == key("key_a")
    assert keys.by_hash("no-such-hash") is None
    assert [k.key_id for k in keys.list_for("alice")] == ["key_a", "key_b"]
    assert [k.key_id for k in keys.list_for("bob")] == ["key_c"]
    assert keys.list_for("nobody") == []


def test_a_hash_is_unique(any_stores: Stores):
    any_stores.api_keys.create(key("key_a"))
    with pytest.raises(Exception):  # noqa: B017 - each backend raises its own duplicate error
        any_stores.api_keys.create(key("key_z", key_hash="hash-key_a"))
    assert [k.key_id for k in any_stores.api_keys.list_for("alice")] == ["key_a"]


def test_revoking_is_per_owner_and_final(any_stores: Stores):
    keys = any_stores.api_keys
    keys.create(key("key_a"))
    assert keys.revoke("mallory", "key_a", NOW_MS + 5) is None  # not theirs
    revoked = keys.revoke("alice", "key_a", NOW_MS + 5)
    assert revoked is not None and revoked.revoked_at == NOW_MS + 5
    assert keys.revoke("alice", "key_a", NOW_MS + 6) is None  # already revoked
    assert keys.list_for("alice") == []
    found = keys.by_hash("hash-key_a")
    assert found is not None and found.revoked_at == NOW_MS + 5


def test_touch_keeps_the_latest_use_and_tiers_follow_the_owner(any_stores: Stores):
    keys = any_stores.api_keys
    keys.create(key("key_a"))
    keys.create(key("key_b"))
    keys.create(key("key_c", owner="bob"))
    keys.touch("key_a", NOW_MS + 100)
    keys.touch("key_a", NOW_MS + 50)  # an older use arriving late changes nothing
    assert keys.by_hash("hash-key_a").last_used_at == NOW_MS + 100  # type: ignore[union-attr]
    assert keys.by_hash("hash-key_b").last_used_at is None  # type: ignore[union-attr]
    keys.set_tier("alice", "enterprise")
    assert {k.tier for k in keys.list_for("alice")} == {"enterprise"}
    assert keys.by_hash("hash-key_c").tier == "pro"  # type: ignore[union-attr]
