"""The API-key and verified-range stores behave the same on both backends."""

from __future__ import annotations

import pytest

from cl3_common.store import ApiKeyRecord, SeriesKey, Stores
from tests.integration.store.conftest import NOW_MS

BTC = SeriesKey("BTCUSDT", "1m")
BTC_USDM = SeriesKey("BTCUSDT", "1m", "usdm")


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


def test_verified_ranges_merge_and_answer_where_a_stretch_ends(any_stores: Stores):
    verified = any_stores.verified
    assert verified.verified_until(BTC, 100) is None
    verified.add(BTC, 100, 200)
    verified.add(BTC, 300, 400)
    assert verified.verified_until(BTC, 100) == 200
    assert verified.verified_until(BTC, 199) == 200
    assert verified.verified_until(BTC, 200) is None  # end is exclusive
    assert verified.verified_until(BTC, 99) is None
    verified.add(BTC, 200, 300)  # touching both: one stretch now
    assert verified.verified_until(BTC, 150) == 400
    verified.add(BTC, 50, 120)  # overlapping the start
    assert verified.verified_until(BTC, 50) == 400
    verified.add(BTC, 120, 130)  # inside: nothing changes
    assert verified.verified_until(BTC, 60) == 400
    verified.add(BTC, 500, 500)  # empty: ignored
    assert verified.verified_until(BTC, 500) is None
    assert verified.verified_until(BTC_USDM, 150) is None  # other series are separate


def test_verified_ranges_of_many_pages_are_one_stretch(any_stores: Stores):
    verified = any_stores.verified
    for page in range(40, 0, -1):  # out of order, as concurrent fetches land
        verified.add(BTC, page * 1000, page * 1000 + 1000)
    assert verified.verified_until(BTC, 1000) == 41_000
    assert verified.verified_until(BTC, 40_999) == 41_000
