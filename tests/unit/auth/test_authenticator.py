"""Authenticator: cache first, one verification per token at a time, failures never valid."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from cl3_common.auth import Authenticator, Principal
from cl3_common.auth.authenticator import bearer_token
from cl3_common.errors import Unauthorized, Unavailable
from tests.unit.auth.fakes import FakeClock


class DictCache:
    """AuthCache's interface over a dict (the Redis one is exercised in integration tests)."""

    def __init__(self) -> None:
        self.valid: dict[str, Principal] = {}
        self.rejected: dict[str, str] = {}

    def get(self, token: str) -> Principal | str | None:
        return self.rejected.get(token) or self.valid.get(token)

    def put(self, token: str, principal: Principal) -> None:
        self.valid[token] = principal

    def put_rejection(self, token: str, reason: str) -> None:
        self.rejected[token] = reason


class SlowVerifier:
    def __init__(self, outcome: dict[str, Any] | Exception, delay_s: float = 0.05) -> None:
        self.outcome = outcome
        self.delay_s = delay_s
        self.calls = 0
        self._lock = threading.Lock()

    def verify(self, token: str) -> dict[str, Any]:
        with self._lock:
            self.calls += 1
        time.sleep(self.delay_s)
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome


class FixedTier:
    def __init__(self, tier: str | Exception = "pro") -> None:
        self.tier = tier

    def tier_for(self, claims: dict[str, Any]) -> str:
        if isinstance(self.tier, Exception):
            raise self.tier
        return self.tier


def authenticator(verifier, cache=None, tiers=None, remote=None) -> Authenticator:
    return Authenticator(
        verifier,
        cache or DictCache(),
        tiers or FixedTier(),
        remote_check=remote,
        clock=FakeClock(),
    )


def run_parallel(n: int, fn) -> list[Any]:
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def work(i: int) -> None:
        barrier.wait()
        try:
            results[i] = fn()
        except Exception as e:
            results[i] = e

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


CLAIMS = {"sub": "user-1", "exp": int(time.time()) + 3600}


def test_parallel_first_requests_with_one_token_share_one_verification():
    verifier = SlowVerifier(CLAIMS)
    auth = authenticator(verifier)
    results = run_parallel(12, lambda: auth.authenticate("Bearer tok"))
    assert verifier.calls == 1
    assert results == [Principal("user-1", "pro", CLAIMS["exp"])] * 12


def test_a_supabase_outage_is_shared_by_the_waiters_and_nothing_is_cached():
    verifier = SlowVerifier(Unavailable("down", system="supabase"))
    cache = DictCache()
    auth = authenticator(verifier, cache)
    results = run_parallel(8, lambda: auth.authenticate("Bearer tok"))
    assert verifier.calls == 1 and all(isinstance(r, Unavailable) for r in results)
    assert cache.valid == {} and cache.rejected == {}
    verifier.outcome = CLAIMS
    assert auth.authenticate("Bearer tok").sub == "user-1"  # the next request tries again


def test_a_tier_lookup_outage_caches_nothing():
    cache = DictCache()
    auth = authenticator(SlowVerifier(CLAIMS, 0), cache, FixedTier(Unavailable("x", system="s")))
    with pytest.raises(Unavailable):
        auth.authenticate("Bearer tok")
    assert cache.valid == {} and cache.rejected == {}


def test_a_rejection_is_cached_briefly_and_served_from_the_cache():
    verifier = SlowVerifier(Unauthorized("token expired"), 0)
    cache = DictCache()
    auth = authenticator(verifier, cache)
    for _ in range(5):
        with pytest.raises(Unauthorized, match="expired"):
            auth.authenticate("Bearer tok")
    assert verifier.calls == 1 and cache.rejected == {"tok": "token expired"}


def test_a_revoked_session_is_a_cached_rejection():
    class Revoked:
        calls = 0

        def check(self, token: str) -> None:
            Revoked.calls += 1
            raise Unauthorized("session has ended (signed out or revoked)")

    cache = DictCache()
    auth = authenticator(SlowVerifier(CLAIMS, 0), cache, remote=Revoked())
    for _ in range(3):
        with pytest.raises(Unauthorized, match="session has ended"):
            auth.authenticate("Bearer tok")
    assert Revoked.calls == 1 and cache.valid == {}


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Token abc",
        "bearertoken",
        "Bearer " + "a" * 8200,
    ],
)
def test_bad_authorization_headers_are_unauthorized(header):
    with pytest.raises(Unauthorized):
        bearer_token(header)


def test_bearer_scheme_is_case_insensitive():
    assert bearer_token("bearer abc") == bearer_token("BEARER abc ") == "abc"
