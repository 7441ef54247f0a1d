"""From an Authorization header to a Principal: cache first, Supabase only on a miss."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from cl3_common.auth.cache import AuthCache
from cl3_common.auth.principal import Principal
from cl3_common.auth.verifier import TokenVerifier
from cl3_common.errors import Unauthorized
from cl3_common.tiers import normalise_tier

MAX_HEADER_BYTES = 8192


class TierResolver(Protocol):
    def tier_for(self, claims: dict[str, Any]) -> str: ...


class ClaimTierResolver:
    """The tier set by a Custom Access Token Hook; user_metadata is user-editable, never read."""

    def tier_for(self, claims: dict[str, Any]) -> str:
        app_metadata = claims.get("app_metadata")
        if isinstance(app_metadata, dict):
            return normalise_tier(app_metadata.get("subscription_tier"))
        return "free"


class RemoteSessionCheck(Protocol):
    def check(self, token: str) -> None: ...


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

    def authenticate(self, authorization: str | None) -> Principal:
        token = bearer_token(authorization)
        cached = self._cache.get(token)
        if isinstance(cached, Principal):
            return cached
        if isinstance(cached, str):
            raise Unauthorized(cached)
        try:
            claims = self._verifier.verify(token)
            if self._remote_check is not None:
                self._remote_check.check(token)
        except Unauthorized as e:
            self._cache.put_rejection(token, e.message)
            raise
        principal = Principal(sub=claims["sub"], tier=self._tiers.tier_for(claims), exp=int(claims["exp"]))
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
