"""The exchange's request-weight budget, shared by every worker through Redis.

Binance counts weight per IP in fixed windows (6000 a minute today). Each request reserves
its weight in the current window before it is sent; a full window makes the caller wait for
the next one, so a steady state never sees a 429. A 429 pauses everyone for `Retry-After`;
a 418 (ban) stops everyone until it lifts.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import redis

from cl3_common.exchange.errors import ExchangeBanned
from cl3_common.redis_conn import KEY_PREFIX, redis_errors_translated

# One round trip per request: the ban and pause breakers, the exchange's own count from the
# previous response (ours must never sit below it), then the reservation itself.
# Returns the window's count after the reservation (>= 1: granted), 0 (window full) or -1 (a
# ban or pause is active: read its key).
_ACQUIRE = """
local ban = tonumber(redis.call('GET', KEYS[2]) or '0')
local pause = tonumber(redis.call('GET', KEYS[3]) or '0')
if ban > tonumber(ARGV[4]) or pause > tonumber(ARGV[4]) then return -1 end
local weight = tonumber(ARGV[1])
-- Weightless requests (USDⓈ-M fundingRate) only have to respect the breakers.
if weight == 0 then return 1 end
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
-- A request heavier than the whole budget still goes alone into an empty window.
if used > 0 and used + weight > tonumber(ARGV[2]) then return 0 end
local counted = redis.call('INCRBY', KEYS[1], weight)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return counted
"""
_OBSERVE = """
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > used then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
return 1
"""


@dataclass(frozen=True)
class WeightBudget:
    limit: int = 6000
    window_s: int = 60
    # Head-room for requests we cannot see (other tools on the same IP).
    safety: float = 0.95

    @property
    def usable(self) -> int:
        return max(1, int(self.limit * self.safety))

    @property
    def guard_s(self) -> float:
        """No request starts this close to the end of a window (at most 0.25 s, 5% of it)."""
        return min(0.25, self.window_s * 0.05)

    @property
    def header(self) -> str:
        """The response header reporting this window's used weight (Binance's naming)."""
        for unit, seconds in (("D", 86_400), ("H", 3600), ("M", 60)):
            if self.window_s % seconds == 0:
                return f"X-MBX-USED-WEIGHT-{self.window_s // seconds}{unit}"
        return f"X-MBX-USED-WEIGHT-{self.window_s}S"


class RedisWeightGate:
    def __init__(
        self,
        client: redis.Redis,
        budget: WeightBudget,
        *,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
        max_ban_wait_s: float = 900.0,
        namespace: str = "binance",
    ) -> None:
        self._redis = client
        self.budget = budget
        self._clock = clock
        self._sleep = sleep
        self._max_ban_wait_s = max_ban_wait_s
        self._prefix = f"{KEY_PREFIX}:{namespace}"
        self._acquire = client.register_script(_ACQUIRE)
        self._counted: tuple[str, int] = ("", 0)  # (window key, our count there when last granted)
        self._observe = client.register_script(_OBSERVE)

    # -- keys -------------------------------------------------------------------------------
    def _window(self, now: float) -> tuple[str, float]:
        index = math.floor(now / self.budget.window_s)
        end = (index + 1) * self.budget.window_s
        return f"{self._prefix}:weight:{self.budget.window_s}:{index}", end

    @property
    def _pause_key(self) -> str:
        return f"{self._prefix}:pause_until"

    @property
    def ban_key(self) -> str:
        return f"{self._prefix}:ban_until"

    # -- before a request -------------------------------------------------------------------
    def acquire(self, weight: int) -> None:
        """Block until `weight` fits into the shared budget and no pause or ban is active."""
        while True:
            now = self._clock()
            key, window_end = self._window(now)
            if window_end - now < self.budget.guard_s:
                # Sent this close to the boundary, a request may be counted in the next window
                # by the exchange while we counted it in this one: wait for the new window.
                self._sleep(window_end - now + 0.05)
                continue
            ttl_ms = int((window_end - now + self.budget.window_s) * 1000)
            with redis_errors_translated():
                granted = self._acquire(
                    keys=[key, self.ban_key, self._pause_key],
                    args=[weight, self.budget.usable, ttl_ms, now],
                )
            if granted >= 1:
                # Our count of the window is at least this: the exchange's own count in the
                # response only matters when it is higher (observe_used_weight).
                self._counted = (key, int(granted))
                return
            if granted == 0:
                # Wait for the next window, plus a hair so the exchange's counter has reset too.
                self._sleep(max(0.01, window_end - now + 0.05))
                continue
            self._wait_for_breakers(now)

    def _wait_for_breakers(self, now: float) -> None:
        with redis_errors_translated():
            ban_until, pause_until = self._redis.mget(self.ban_key, self._pause_key)
        if ban_until and float(ban_until) > now:
            until = float(ban_until)
            if until - now > self._max_ban_wait_s:
                raise ExchangeBanned(f"exchange ban active until {until:.0f}", until)
            self._sleep(until - now)
        elif pause_until and float(pause_until) > now:
            self._sleep(float(pause_until) - now)

    # -- after a response -------------------------------------------------------------------
    def observe_used_weight(self, used: int) -> None:
        now = self._clock()
        key, window_end = self._window(now)
        counted_key, counted = self._counted
        if key == counted_key and used <= counted:
            return  # the exchange counts no more than we do: nothing to raise (no round trip)
        ttl_ms = int((window_end - now + self.budget.window_s) * 1000)
        with redis_errors_translated():
            self._observe(keys=[key], args=[used, ttl_ms])

    def pause(self, seconds: float) -> None:
        self._extend(self._pause_key, self._clock() + seconds)

    def ban(self, until_s: float) -> None:
        self._extend(self.ban_key, until_s)

    def _extend(self, key: str, until_s: float) -> None:
        ttl_ms = max(1, int((until_s - self._clock()) * 1000) + 1000)
        with redis_errors_translated():
            current = self._redis.get(key)
            if current is None or float(current) < until_s:
                self._redis.set(key, until_s, px=ttl_ms)


class NoGate:
    """For one-off calls that need no shared pacing (tests of the client alone)."""

    budget = WeightBudget()

    def acquire(self, weight: int) -> None:
        return None

    def observe_used_weight(self, used: int) -> None:
        return None

    def pause(self, seconds: float) -> None:
        return None

    def ban(self, until_s: float) -> None:
        return None
