"""X-RateLimit-* headers on every authenticated answer, consistent with the 429s."""

from __future__ import annotations

import json
import time

import pytest
from chalice.test import Client

from chalicelib.factory import create_app
from chalicelib.runtime import Runtime
from cl3_common.settings import Settings
from tests.unit.auth.fakes import FakeClock

LIMIT = 5
HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(float(int(time.time())))  # whole seconds: Reset is exact


@pytest.fixture
def limited(env, clock):
    settings = Settings.from_env(
        {**env, "TIER_LIMITS": json.dumps({"pro": {"requests_per_minute": LIMIT}})}
    )
    runtime = Runtime.from_settings(settings, clock=clock)
    with Client(create_app(lambda: runtime)) as client:
        yield client
    runtime.stores.close()


def quota(response) -> tuple[int, int, int]:
    return tuple(int(response.headers[h]) for h in HEADERS)  # type: ignore[return-value]


def test_remaining_reaches_zero_exactly_when_429_starts(limited, auth_headers, clock):
    headers = auth_headers("user-1", "pro")
    seen = []
    for _ in range(LIMIT + 2):
        response = limited.http.get("/api/symbols", headers=headers)
        seen.append((response.status_code, *quota(response)))
        clock.advance(1)
    assert [s[:3] for s in seen] == [
        (200, LIMIT, 4), (200, LIMIT, 3), (200, LIMIT, 2), (200, LIMIT, 1), (200, LIMIT, 0),
        (429, LIMIT, 0), (429, LIMIT, 0),
    ]  # fmt: skip
    refused = limited.http.get("/api/symbols", headers=headers)
    assert refused.headers["X-RateLimit-Reset"] == refused.headers["Retry-After"]
    # The first admitted request (at t=0) leaves the window at t=60: Reset counts down to it.
    assert [s[3] for s in seen] == [60, 59, 58, 57, 56, 55, 54]
    clock.advance(60 - LIMIT - 3)
    assert quota(limited.http.get("/api/symbols", headers=headers))[1:] == (0, 1)
    clock.advance(1)  # t=60: the request of t=0 has left the window
    back = limited.http.get("/api/symbols", headers=headers)
    assert back.status_code == 200 and quota(back)[1] == 0


def test_every_authenticated_answer_carries_them_errors_included(limited, auth_headers):
    headers = auth_headers("user-2", "free")
    answers = [
        limited.http.get("/api/symbols", headers=headers),  # 200
        limited.http.get("/api/market-data/BTCUSDT/9h", headers=headers),  # 400
        limited.http.post("/api/market-data/fetch", headers=headers, body="{}"),  # 403
        limited.http.get("/api/task/nope/progress", headers=headers),  # 404
        limited.http.get("/api/usage", headers=headers),  # 200
    ]
    assert [a.status_code for a in answers] == [200, 400, 403, 404, 200]
    remaining = [quota(a)[1] for a in answers]
    assert remaining == [59, 58, 57, 56, 55]  # the free plan's 60, each answer counted
    assert all(quota(a)[0] == 60 for a in answers)


def test_unauthenticated_and_public_answers_carry_none(limited):
    for response in (
        limited.http.get("/api/symbols"),  # 401: nobody to count against
        limited.http.get("/health"),
        limited.http.get("/openapi.json"),
    ):
        assert not any(h in response.headers for h in HEADERS)
