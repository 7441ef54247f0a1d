"""Per-user request limits (docs/api.md, "Rate limits"), kept in Redis for every API instance.

A sliding-window log: one sorted set per user holds the times of the requests admitted in the
last 60 s, trimmed and counted atomically in a Lua script. No trailing minute ever holds more
than the plan's ``requests_per_minute`` admitted requests (a fixed window would allow twice that
around a window boundary), refused requests are not recorded (a client that keeps hammering is
not locked out for longer than the limit says), and ``Retry-After`` is the exact wait until the
oldest request in the window leaves it. Time comes from the caller's clock so that every
instance, and every test, judges by the same time source.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Callable
from dataclasses import dataclass

import redis

from cl3_common.auth.principal import Principal
from cl3_common.errors import RateLimited
from cl3_common.intervals import now_ms as wall_ms
from cl3_common.redis_conn import KEY_PREFIX, redis_errors_translated
from cl3_common.tiers import Entitlements

WINDOW_S = 60

# KEYS[1] the user's log; ARGV: now_ms, window_ms, limit, member.
# Returns {admitted (1/0), requests in the window, ms until the oldest of them leaves it}.
_SCRIPT = """
local key = KEYS[1]
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
local admitted = 0
if count < limit then
  redis.call('ZADD', key, now, ARGV[4])
  redis.call('PEXPIRE', key, window)
  count = count + 1
  admitted = 1
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
local wait = window
if oldest[2] then
  wait = tonumber(oldest[2]) + window - now
end
return {admitted, count, wait}
"""


@dataclass(frozen=True)
class Quota:
    """Where a caller stands after one request: what the X-RateLimit-* headers say.

    `reset_s` is the wait until the oldest request in the window leaves it, that is until
    `remaining` next grows; on a refusal it equals Retry-After.
    """

    limit: int
    remaining: int
    reset_s: int
    admitted: bool

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_s),
        }


class QuotaExhausted(RateLimited):
    """A 429 that knows the caller's Quota, so the refusal carries the same headers."""

    def __init__(self, message: str, quota: Quota) -> None:
        super().__init__(message, retry_after_s=quota.reset_s)
        self.quota = quota


def rate_key(sub: str) -> str:
    return f"{KEY_PREFIX}:ratelimit:{sub}"


class RateLimiter:
    """``check(user, plan)`` admits a request or raises RateLimited (429 with Retry-After)."""

    def __init__(
        self,
        client: redis.Redis,
        clock: Callable[[], float],
        *,
        window_s: int = WINDOW_S,
    ) -> None:
        self._redis = client
        self._clock = clock
        self._window_ms = window_s * 1000
        self._script = client.register_script(_SCRIPT)
        # Unique members even for two requests in the same millisecond, across instances.
        self._prefix = f"{os.getpid()}-{os.urandom(4).hex()}"
        self._seq = itertools.count()

    def check(self, user: Principal, plan: Entitlements) -> Quota:
        """Admits the request (its Quota) or raises RateLimited carrying the Quota."""
        quota = self.admit(user, plan)
        if not quota.admitted:
            limit = plan.requests_per_minute
            message = (
                f"the {user.tier} plan allows no API requests"
                if limit <= 0
                else f"rate limit of {limit} requests per minute for the {user.tier} plan reached"
            )
            raise QuotaExhausted(message, quota)
        return quota

    def admit(self, user: Principal, plan: Entitlements) -> Quota:
        limit = plan.requests_per_minute
        window_s = self._window_ms // 1000
        if limit <= 0:
            return Quota(limit=0, remaining=0, reset_s=window_s, admitted=False)
        now_ms = wall_ms(self._clock)
        member = f"{now_ms}-{self._prefix}-{next(self._seq)}"
        with redis_errors_translated():
            admitted, count, wait_ms = self._script(
                keys=[rate_key(user.sub)], args=[now_ms, self._window_ms, limit, member]
            )
        return Quota(
            limit=limit,
            remaining=max(0, limit - int(count)),
            reset_s=max(1, math.ceil(int(wait_ms) / 1000)),
            admitted=bool(int(admitted)),
        )
