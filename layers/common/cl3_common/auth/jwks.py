"""Verification keys from a Supabase project's JWKS (asymmetric ES256 / RS256 signing keys).

The key set is fetched from ``{SUPABASE_URL}/auth/v1/.well-known/jwks.json`` and kept in the
process for at most ``max_age_s`` (10 minutes, shorter when the response's Cache-Control says
so). A token naming an unknown ``kid`` triggers one refetch (a key rotated in since the last
fetch), but refetches are spaced at least ``refetch_interval_s`` apart, so tokens with made-up
kids cannot turn into a stream of requests to Supabase. Only asymmetric keys are taken from the
document, each bound to its own algorithm: a published public key can never be used as an
HMAC secret (the algorithm-confusion attack), and ``none`` has no key at all.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt
import requests

from cl3_common.auth.supabase_http import SYSTEM, json_body, supabase_get
from cl3_common.errors import Unauthorized, Unavailable

log = logging.getLogger("cl3.auth")

JWKS_PATH = "/auth/v1/.well-known/jwks.json"
MAX_AGE_S = 600.0
REFETCH_INTERVAL_S = 10.0
# After a failed fetch, requests within this window fail fast instead of queueing on Supabase.
FAILURE_BACKOFF_S = 1.0
# What each key type may verify. Symmetric ("oct") keys are never accepted from a JWKS.
_KEY_ALGORITHMS: dict[tuple[str, str | None], str] = {
    ("EC", "P-256"): "ES256",
    ("RSA", None): "RS256",
}
_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*(\d+)", re.IGNORECASE)


def jwks_url(supabase_url: str) -> str:
    return supabase_url.rstrip("/") + JWKS_PATH


@dataclass(frozen=True)
class _KeySet:
    keys: dict[str, tuple[Any, str]]  # kid -> (public key, algorithm)
    fetched_at: float
    max_age_s: float

    def fresh(self, now: float) -> bool:
        return now - self.fetched_at < self.max_age_s


class JwksKeySource:
    """A ``KeySource`` backed by the project's JWKS; thread-safe, one fetch at a time."""

    def __init__(
        self,
        url: str,
        session: requests.Session,
        *,
        clock: Callable[[], float],
        sleep: Callable[[float], None] = time.sleep,
        max_age_s: float = MAX_AGE_S,
        refetch_interval_s: float = REFETCH_INTERVAL_S,
        failure_backoff_s: float = FAILURE_BACKOFF_S,
    ) -> None:
        self._url = url
        self._session = session
        self._clock = clock
        self._sleep = sleep
        self._max_age_s = max_age_s
        self._refetch_interval_s = refetch_interval_s
        self._failure_backoff_s = failure_backoff_s
        self._lock = threading.Lock()
        self._keyset: _KeySet | None = None
        self._last_attempt: float | None = None
        self._last_failure: float | None = None

    @property
    def url(self) -> str:
        return self._url

    def key_for(self, header: dict[str, Any]) -> tuple[Any, str]:
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise Unauthorized("token has no key id ('kid'); it was not issued by this project")
        keyset = self._current()
        found = keyset.keys.get(kid)
        if found is None:
            found = self._refetch_for(kid)
        return found

    # -- fetching ---------------------------------------------------------------------------
    def _current(self) -> _KeySet:
        keyset = self._keyset
        if keyset is not None and keyset.fresh(self._clock()):
            return keyset
        with self._lock:
            keyset = self._keyset  # another thread may have refreshed it while we waited
            now = self._clock()
            if keyset is not None and keyset.fresh(now):
                return keyset
            self._fail_fast_after_failure(now)
            return self._fetch(now)

    def _refetch_for(self, kid: str) -> tuple[Any, str]:
        with self._lock:
            keyset = self._keyset
            if keyset is not None and kid in keyset.keys:  # fetched by another thread meanwhile
                return keyset.keys[kid]
            now = self._clock()
            if self._last_attempt is not None and (
                now - self._last_attempt < self._refetch_interval_s
            ):
                raise Unauthorized("token is signed with an unknown key")
            keyset = self._fetch(now)
        found = keyset.keys.get(kid)
        if found is None:
            raise Unauthorized("token is signed with an unknown key")
        return found

    def _fail_fast_after_failure(self, now: float) -> None:
        if self._last_failure is not None and now - self._last_failure < self._failure_backoff_s:
            raise Unavailable("supabase signing keys are unavailable", system=SYSTEM)

    def _fetch(self, now: float) -> _KeySet:
        """Called with the lock held."""
        self._last_attempt = now
        try:
            response = supabase_get(
                self._session,
                self._url,
                what="signing keys",
                headers={"Accept": "application/json"},
                sleep=self._sleep,
            )
            if response.status_code != 200:
                log.error("JWKS %s answered HTTP %s", self._url, response.status_code)
                raise Unavailable(
                    f"supabase signing keys answered HTTP {response.status_code}", system=SYSTEM
                )
            keys = parse_jwks(json_body(response, what="signing keys"))
        except Unavailable:
            self._last_failure = now
            raise
        if not keys:
            # A project without asymmetric keys (HS256 only) publishes an empty set: every token
            # is then refused, which points at a missing SUPABASE_JWT_SECRET.
            log.warning("JWKS %s holds no usable ES256/RS256 keys", self._url)
        self._last_failure = None
        max_age = min(self._max_age_s, _cache_max_age(response) or self._max_age_s)
        self._keyset = _KeySet(keys=keys, fetched_at=now, max_age_s=max_age)
        return self._keyset


def parse_jwks(document: Any) -> dict[str, tuple[Any, str]]:
    """kid -> (public key, algorithm) for the usable signing keys of a JWKS document."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise Unavailable("supabase signing keys are not a JWKS document", system=SYSTEM)
    keys: dict[str, tuple[Any, str]] = {}
    for jwk in document["keys"]:
        parsed = _parse_jwk(jwk)
        if parsed is not None:
            kid, key, algorithm = parsed
            keys[kid] = (key, algorithm)
    return keys


def _parse_jwk(jwk: Any) -> tuple[str, Any, str] | None:
    algorithm = _verifying_algorithm(jwk)
    if algorithm is None:
        return None
    kid = jwk["kid"]
    try:
        key = jwt.PyJWK({**jwk, "alg": algorithm}).key
    except (jwt.PyJWTError, ValueError, TypeError, KeyError) as e:
        log.warning("skipping unreadable JWK %r: %s", kid, e)
        return None
    return kid, key, algorithm


def _verifying_algorithm(jwk: Any) -> str | None:
    """The algorithm a JWK verifies signatures with, or None for a key we never use."""
    if not _is_signature_key(jwk):
        return None
    kty = jwk["kty"]
    # "oct" (symmetric), other curves, OKP: never used to verify.
    algorithm = _KEY_ALGORITHMS.get((kty, jwk.get("crv") if kty == "EC" else None))
    declared = jwk.get("alg")
    if algorithm is None or (declared is not None and declared != algorithm):
        return None  # e.g. an RSA key declared for PS256: not what we verify with
    return algorithm


def _is_signature_key(jwk: Any) -> bool:
    if not isinstance(jwk, dict):
        return False
    kid, kty = jwk.get("kid"), jwk.get("kty")
    if not isinstance(kid, str) or not kid or not isinstance(kty, str):
        return False
    key_ops = jwk.get("key_ops")
    return jwk.get("use", "sig") == "sig" and not (
        isinstance(key_ops, list) and "verify" not in key_ops
    )


def _cache_max_age(response: requests.Response) -> float | None:
    match = _MAX_AGE.search(response.headers.get("Cache-Control", ""))
    if match is None:
        return None
    # max-age=0 would mean a fetch per request; keep at least the refetch spacing.
    return max(float(match.group(1)), REFETCH_INTERVAL_S)
