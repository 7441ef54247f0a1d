"""RateLimiter and AuthCache against a real Redis, driven by an injected clock."""

from __future__ import annotations

import json

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from cl3_common.auth import AuthCache, Principal
from cl3_common.auth.cache import NEGATIVE_TTL_S, token_key
from cl3_common.errors import RateLimited, Unavailable
from cl3_common.ratelimit import RateLimiter, rate_key
from cl3_common.tiers import DEFAULT_ENTITLEMENTS, Entitlements
from tests.unit.auth.fakes import FakeClock

PRO = DEFAULT_ENTITLEMENTS["pro"]


def plan(rpm: int) -> Entitlements:
    return Entitlements(True, None, "1m", 2, rpm, False)


def user(sub: str = "user-1", tier: str = "pro") -> Principal:
    return Principal(sub=sub, tier=tier, exp=2_000_000_000)


def test_no_trailing_minute_admits_more_than_the_limit(redis_client):
    clock = FakeClock(1_000_000.0)
    limiter = RateLimiter(redis_client, clock)
    for t in (0, 20, 40):
        clock.now = 1_000_000.0 + t
        limiter.check(user(), plan(3))
    clock.now = 1_000_050.0
    with pytest.raises(RateLimited) as err:
        limiter.check(user(), plan(3))
    assert err.value.retry_after_s == 10  # when the request of t=0 leaves the window
    assert err.value.code == "rate_limited"
    clock.now = 1_000_060.0
    limiter.check(user(), plan(3))
    with pytest.raises(RateLimited) as err:
        limiter.check(user(), plan(3))
    assert err.value.retry_after_s == 20


def test_refused_requests_do_not_extend_the_wait(redis_client):
    clock = FakeClock(1_000_000.0)
    limiter = RateLimiter(redis_client, clock)
    for _ in range(2):
        limiter.check(user(), plan(2))
    for _ in range(100):  # a client hammering while refused
        clock.advance(0.5)
        with pytest.raises(RateLimited):
            limiter.check(user(), plan(2))
    clock.now = 1_000_060.0
    limiter.check(user(), plan(2))


def test_limits_are_per_user_and_shared_by_limiter_instances(redis_client):
    clock = FakeClock()
    a, b = RateLimiter(redis_client, clock), RateLimiter(redis_client, clock)
    a.check(user("u1"), plan(2))
    b.check(user("u1"), plan(2))
    with pytest.raises(RateLimited):
        a.check(user("u1"), plan(2))
    b.check(user("u2"), plan(2))
    assert 0 < redis_client.pttl(rate_key("u1")) <= 60_000  # the log expires on its own


def test_a_plan_with_no_requests_refuses_every_request(redis_client):
    with pytest.raises(RateLimited) as err:
        RateLimiter(redis_client, FakeClock()).check(user(), plan(0))
    assert err.value.retry_after_s == 60


def test_redis_down_is_unavailable_not_a_crash():
    dead = redis.Redis(host="127.0.0.1", port=1, retry=Retry(NoBackoff(), 0))
    with pytest.raises(Unavailable):
        RateLimiter(dead, FakeClock()).check(user(), PRO)
    with pytest.raises(Unavailable):
        AuthCache(dead, FakeClock()).get("token")


def test_the_cache_honours_the_injected_clock_and_the_token_expiry(redis_client):
    clock = FakeClock(1_000_000.0)
    cache = AuthCache(redis_client, clock, ttl_s=300)
    cache.put("tok", Principal("u", "pro", exp=1_000_000 + 3600))
    cache.put("short", Principal("u", "pro", exp=1_000_000 + 50))
    cache.put("dead", Principal("u", "pro", exp=1_000_000 - 1))
    assert cache.get("dead") is None and redis_client.get(token_key("dead")) is None
    clock.advance(49)
    assert cache.get("tok") == Principal("u", "pro", exp=1_003_600)
    assert cache.get("short") == Principal("u", "pro", exp=1_000_050)
    clock.advance(1)
    assert cache.get("short") is None
    clock.advance(250)  # 300 s after put
    assert cache.get("tok") is None


def test_rejections_are_short_lived(redis_client):
    clock = FakeClock(1_000_000.0)
    cache = AuthCache(redis_client, clock)
    cache.put_rejection("bad", "token expired")
    assert cache.get("bad") == "token expired"
    assert 0 < redis_client.ttl(token_key("bad")) <= NEGATIVE_TTL_S
    clock.advance(NEGATIVE_TTL_S)
    assert cache.get("bad") is None


@pytest.mark.parametrize(
    "raw", [b"not json", b"[]", b"{}", b'{"sub": "u"}', b'{"sub": "u", "tier": "pro", "exp": "x"}']
)
def test_an_unreadable_cache_entry_is_a_miss(redis_client, raw):
    redis_client.set(token_key("tok"), raw)
    assert AuthCache(redis_client, FakeClock()).get("tok") is None


def test_a_cache_entry_is_the_documented_value(redis_client):
    clock = FakeClock(1_000_000.0)
    AuthCache(redis_client, clock).put("tok", Principal("u", "enterprise", exp=1_001_000))
    value = json.loads(redis_client.get(token_key("tok")))
    assert value == {"sub": "u", "tier": "enterprise", "exp": 1_001_000, "until": 1_000_300.0}
