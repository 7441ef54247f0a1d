"""Long-lived API keys for bots: created with a Supabase token, used instead of one.

A key is `cl3_` plus 40 random base62 characters (238 bits), shown once. Only its SHA-256 is
stored (a key this random needs no salt or slow hash: there is nothing to guess), and Redis
holds the verification of a key under a key derived from that hash, never the key itself.
Revoking writes the store first, then overwrites the cached verification with a tombstone
that outlives any cached entry; a request that verified the key from the store just before
can only add its entry with SET NX, which the tombstone blocks. So a revoked key is refused on
the next request by every API process, not after a cache TTL.

A key acts as its owner: rate limits and job caps count per owner (the principal's `sub`).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass

import redis

from cl3_common.auth.principal import Principal
from cl3_common.errors import Forbidden, InvalidRequest, NotFound, Unauthorized
from cl3_common.intervals import now_ms
from cl3_common.redis_conn import KEY_PREFIX, redis_errors_translated
from cl3_common.store.protocols import ApiKeyStore
from cl3_common.store.records import ApiKeyRecord

KEY_MARK = "cl3_"
_ALPHABET = string.ascii_letters + string.digits
_SECRET_CHARS = 40
PREFIX_CHARS = len(KEY_MARK) + 8
MAX_NAME_CHARS = 100
MAX_KEYS_PER_OWNER = 25
CACHE_TTL_S = 300
TOMBSTONE_TTL_S = CACHE_TTL_S + 60
TOUCH_EVERY_S = 60  # last-used is written at most this often per key


class MalformedKey(Unauthorized):
    """Not a CL3 key at all (the Binance mirror answers -2014 rather than -2015)."""


def new_key() -> str:
    return KEY_MARK + "".join(secrets.choice(_ALPHABET) for _ in range(_SECRET_CHARS))


def looks_like_key(value: str) -> bool:
    return value.startswith(KEY_MARK)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def cache_key(hashed: str) -> str:
    return f"{KEY_PREFIX}:apikey:{hashed}"


@dataclass(frozen=True)
class CreatedKey:
    record: ApiKeyRecord
    key: str  # shown to the user once, in the response to its creation


class ApiKeys:
    def __init__(self, store: ApiKeyStore, client: redis.Redis, clock: Callable[[], float]) -> None:
        self._store = store
        self._redis = client
        self._clock = clock

    def _now_ms(self) -> int:
        return now_ms(self._clock)

    # -- managing keys (a Supabase token is required) -----------------------------------------
    def create(self, user: Principal, name: str) -> CreatedKey:
        require_token(user)
        name = name.strip()
        if not name or len(name) > MAX_NAME_CHARS or not name.isprintable():
            raise InvalidRequest(f"name must be 1 to {MAX_NAME_CHARS} printable characters")
        self._store.set_tier(user.sub, user.tier)
        if len(self._store.list_for(user.sub)) >= MAX_KEYS_PER_OWNER:
            raise Forbidden(f"at most {MAX_KEYS_PER_OWNER} live API keys per user; revoke one")
        key = new_key()
        record = ApiKeyRecord(
            key_id="key_" + secrets.token_hex(8),
            owner=user.sub,
            name=name,
            prefix=key[:PREFIX_CHARS],
            key_hash=key_hash(key),
            tier=user.tier,
            created_at=self._now_ms(),
        )
        self._store.create(record)
        return CreatedKey(record, key)

    def list(self, user: Principal) -> list[ApiKeyRecord]:
        require_token(user)
        self._store.set_tier(user.sub, user.tier)  # keys follow the owner's current plan
        return self._store.list_for(user.sub)

    def revoke(self, user: Principal, key_id: str) -> ApiKeyRecord:
        require_token(user)
        revoked = self._store.revoke(user.sub, key_id, self._now_ms())
        if revoked is None:
            raise NotFound(f"no live API key {key_id!r}")
        with redis_errors_translated():
            self._redis.set(cache_key(revoked.key_hash), json.dumps({"revoked": True}),
                            ex=TOMBSTONE_TTL_S)  # fmt: skip
        return revoked

    # -- using a key --------------------------------------------------------------------------
    def authenticate(self, key: str) -> Principal:
        if not looks_like_key(key) or len(key) != len(KEY_MARK) + _SECRET_CHARS:
            raise MalformedKey("malformed API key")
        hashed = key_hash(key)
        entry = self._cached(hashed)
        if entry is None:
            record = self._store.by_hash(hashed)
            if record is None or record.revoked_at is not None:
                raise Unauthorized("invalid or revoked API key")
            entry = {"key_id": record.key_id, "owner": record.owner, "tier": record.tier}
            with redis_errors_translated():
                self._redis.set(cache_key(hashed), json.dumps(entry), ex=CACHE_TTL_S, nx=True)
        elif entry.get("revoked"):
            raise Unauthorized("invalid or revoked API key")
        self._touch(hashed, str(entry["key_id"]))
        return Principal(
            sub=str(entry["owner"]),
            tier=str(entry["tier"]),
            exp=int(self._clock()) + CACHE_TTL_S,
            key_id=str(entry["key_id"]),
        )

    def _cached(self, hashed: str) -> dict | None:
        with redis_errors_translated():
            raw = self._redis.get(cache_key(hashed))
        try:
            entry = json.loads(raw) if raw else None
        except ValueError:
            return None  # unreadable: verify from the store again
        return entry if isinstance(entry, dict) else None

    def _touch(self, hashed: str, key_id: str) -> None:
        with redis_errors_translated():
            due = self._redis.set(f"{cache_key(hashed)}:touched", 1, nx=True, ex=TOUCH_EVERY_S)
        if due:
            self._store.touch(key_id, self._now_ms())


def require_token(user: Principal) -> None:
    """Keys are managed with a Supabase session: a leaked key cannot mint or revoke keys."""
    if user.key_id is not None:
        raise Forbidden("API keys are managed with a Supabase access token, not an API key")
