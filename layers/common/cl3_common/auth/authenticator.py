"""From an Authorization header to a Principal: cache first, Supabase only on a miss."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from typing import Any, Protocol

from cl3_common.auth.cache import AuthCache
from cl3_common.auth.principal import Principal
from cl3_common.auth.verifier import TokenVerifier
from cl3_common.errors import Unauthorized, Unavailable

MAX_HEADER_BYTES = 8192
# A request waiting on another's verification of the same token gives up after this long.
FOLLOWER_WAIT_S = 30.0


class TierResolver(Protocol):
    def tier_for(self, claims: dict[str, Any]) -> str: ...


class RemoteSessionCheck(Protocol):
    def check(self, token: str) -> None: ...


class _Flight:
    """One verification in progress, whose outcome concurrent requests share."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: Principal | None = None
        self.error: Exception | None = None

    def outcome(self) -> Principal:
        if not self.done.wait(FOLLOWER_WAIT_S):
            raise Unavailable("token verification is taking too long", system="supabase")
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result


class Authenticator:
    def __init__(
        self,
        verifier: TokenVerifier,
        cache: AuthCache,
        tiers: TierResolver,
        *,
        remote_check: RemoteSessionCheck | None = None,
        clock: Callable[[], float],
    ) -> None:
        self._verifier = verifier
        self._cache = cache
        self._tiers = tiers
        self._remote_check = remote_check
        self._clock = clock
        self._inflight: dict[str, _Flight] = {}
        self._inflight_guard = threading.Lock()

    def authenticate(self, authorization: str | None) -> Principal:
        token = bearer_token(authorization)
        cached = self._from_cache(token)
        if cached is not None:
            return cached
        # Parallel first requests with one new token (a page load) make one round of Supabase
        # calls in this process: the first verifies, the others wait and share its outcome.
        digest = hashlib.sha256(token.encode()).hexdigest()
        with self._inflight_guard:
            flight = self._inflight.get(digest)
            leader = flight is None
            if flight is None:
                flight = self._inflight[digest] = _Flight()
        if not leader:
            return flight.outcome()
        try:
            # Re-read: a flight that just landed may have cached this token a moment ago.
            flight.result = self._from_cache(token) or self._verify(token)
            return flight.result
        except Exception as e:
            flight.error = e
            raise
        finally:
            with self._inflight_guard:
                del self._inflight[digest]
            flight.done.set()

    def _from_cache(self, token: str) -> Principal | None:
        cached = self._cache.get(token)
        if isinstance(cached, str):
            raise Unauthorized(cached)
        return cached

    def _verify(self, token: str) -> Principal:
        try:
            claims = self._verifier.verify(token)
            if self._remote_check is not None:
                self._remote_check.check(token)
        except Unauthorized as e:
            self._cache.put_rejection(token, e.message)
            raise
        tier = self._tiers.tier_for(claims)  # Unavailable propagates: a 503, nothing cached
        principal = Principal(sub=claims["sub"], tier=tier, exp=int(claims["exp"]))
        self._cache.put(token, principal)
        return principal


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise Unauthorized("missing Authorization header")
    if len(authorization.encode("utf-8", "replace")) > MAX_HEADER_BYTES:
        raise Unauthorized("Authorization header is too large")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Authorization header must be 'Bearer <token>'")
    return token.strip()
