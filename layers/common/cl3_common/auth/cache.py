"""Validated tokens cached in Redis so a hit costs no Supabase call and no signature check."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

import redis

from cl3_common.auth.principal import Principal
from cl3_common.redis_conn import KEY_PREFIX, redis_errors_translated

NEGATIVE_TTL_S = 30


def token_key(token: str) -> str:
    # Only a hash of the token is ever stored: a Redis dump must not leak live credentials.
    return f"{KEY_PREFIX}:auth:{hashlib.sha256(token.encode()).hexdigest()}"


class AuthCache:
    def __init__(self, client: redis.Redis, clock: Callable[[], float], ttl_s: int = 300) -> None:
        self._redis = client
        self._clock = clock
        self._ttl_s = ttl_s

    def get(self, token: str) -> Principal | str | None:
        """A cached principal, the cached rejection reason, or None on a miss."""
        with redis_errors_translated():
            raw = self._redis.get(token_key(token))
        if raw is None:
            return None
        try:
            data = json.loads(raw)
            now = self._clock()
            # Redis expires the key on its own clock; `until` makes the TTL hold on ours too.
            if float(data.get("until", now + 1)) <= now:
                return None
            if "rejected" in data:
                return str(data["rejected"])
            principal = Principal.from_json(data)
        except (ValueError, TypeError, KeyError, AttributeError):
            return None  # an unreadable entry is a miss: verify again, never trust it
        return principal if principal.exp > now else None

    def put(self, token: str, principal: Principal) -> None:
        now = self._clock()
        ttl = min(self._ttl_s, int(principal.exp - now))
        if ttl <= 0:
            return
        value = {**principal.to_json(), "until": now + ttl}
        with redis_errors_translated():
            self._redis.set(token_key(token), json.dumps(value), ex=ttl)

    def put_rejection(self, token: str, reason: str) -> None:
        """A short negative entry so a bad token cannot make us hammer Supabase."""
        with redis_errors_translated():
            self._redis.set(
                token_key(token),
                json.dumps({"rejected": reason, "until": self._clock() + NEGATIVE_TTL_S}),
                ex=NEGATIVE_TTL_S,
            )
