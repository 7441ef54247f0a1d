"""Single flight across threads and processes: concurrent identical misses share one fetch.

The first caller takes a Redis lock (SET NX, with an id of its flight) and does the work;
callers arriving while it runs wait for that flight to end and take its result, which the
leader leaves under the flight's id for a few seconds. A caller arriving after a flight ended
starts a new one (results are not a cache). If the leader fails, a waiter takes over.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from typing import Any

import redis

from cl3_common.errors import Unavailable
from cl3_common.redis_conn import KEY_PREFIX, as_text, redis_errors_translated

# Deletes the lock only if it is still this flight's (a lock that expired and was taken by
# another flight is not ours to release).
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class SingleFlight:
    def __init__(
        self,
        client: redis.Redis,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        lock_ttl_s: float = 30.0,
        wait_s: float = 30.0,
        poll_s: float = 0.005,
        result_ttl_s: float = 10.0,
    ) -> None:
        self._redis = client
        self._sleep = sleep
        self._clock = clock
        self._lock_ttl_ms = int(lock_ttl_s * 1000)
        self._wait_s = wait_s
        self._poll_s = poll_s
        self._result_ttl_ms = int(result_ttl_s * 1000)
        self._release = client.register_script(_RELEASE)

    def run(self, name: str, work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """`work()`'s result, from this caller's own call or from the flight it joined."""
        lock = f"{KEY_PREFIX}:flight:{name}"
        deadline = self._clock() + self._wait_s
        while True:
            flight = secrets.token_hex(8)
            with redis_errors_translated():
                leader = self._redis.set(lock, flight, nx=True, px=self._lock_ttl_ms)
            if leader:
                return self._lead(lock, flight, work)
            result = self._follow(lock, deadline)
            if result is not None:
                return result
            if self._clock() > deadline:
                raise Unavailable(f"waited {self._wait_s:.0f}s for a fetch in flight",
                                  system="binance")  # fmt: skip

    def _lead(self, lock: str, flight: str, work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        try:
            result = work()
            with redis_errors_translated():
                self._redis.set(f"{lock}:{flight}", json.dumps(result), px=self._result_ttl_ms)
            return result
        finally:
            with redis_errors_translated():
                self._release(keys=[lock], args=[flight])

    def _follow(self, lock: str, deadline: float) -> dict[str, Any] | None:
        """Waits for the flight holding `lock` to land; its result, or None if it failed."""
        with redis_errors_translated():
            raw = self._redis.get(lock)
        if raw is None:
            return None  # it just ended: try to lead (or find the work done)
        flight = as_text(raw)
        while self._clock() < deadline:
            self._sleep(self._poll_s)
            with redis_errors_translated():
                current, result = self._redis.mget(lock, f"{lock}:{flight}")
            if result is not None:
                return dict(json.loads(result))
            if current is None or as_text(current) != flight:
                return None  # the leader failed (no result): take over
        return None
