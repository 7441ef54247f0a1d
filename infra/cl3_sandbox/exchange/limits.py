"""Binance's IP request-weight limiter: fixed windows, 429 with Retry-After, then 418 bans.

Binance counts request weight per IP in fixed windows aligned to the clock (the ``1M``
counter resets at each whole minute) and reports the running total in
``X-MBX-USED-WEIGHT-1M``. A request that takes the total past the limit is still counted (the
header then shows more than the limit) and answered 429 with ``Retry-After`` = seconds until
the window resets. An IP that keeps sending before then — more than ``ban_after_violations``
further requests — is banned for ``ban_s`` seconds: 418 with ``Retry-After`` = the remaining
ban, on every request, whatever its weight.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class Verdict:
    status: int  # 200 (admitted), 429 or 418
    used: int  # weight used in the current window, after this request
    retry_after: int = 0  # seconds, for 429/418
    banned_until_ms: int = 0  # for 418


@dataclass
class _IpState:
    window: int = -1
    used: int = 0
    throttled: bool = False  # a 429 was sent in this window
    after_429: int = 0  # requests received since that first 429
    banned_until: float = 0.0


class WeightLimiter:
    """Thread-safe per-IP weight accounting."""

    def __init__(self, limit: int, window_s: int, ban_s: int, ban_after_violations: int) -> None:
        self.limit = limit
        self.window_s = window_s
        self.ban_s = ban_s
        self.ban_after_violations = ban_after_violations
        self._states: dict[str, _IpState] = {}
        self._lock = threading.Lock()

    def _state(self, ip: str, now: float) -> _IpState:
        state = self._states.setdefault(ip, _IpState())
        window = math.floor(now / self.window_s)
        if state.window != window:
            state.window, state.used = window, 0
            state.throttled, state.after_429 = False, 0
        return state

    def _retry_after(self, now: float) -> int:
        window_end = (math.floor(now / self.window_s) + 1) * self.window_s
        return max(1, math.ceil(window_end - now))

    def admit(self, ip: str, weight: int, now: float) -> Verdict:
        with self._lock:
            state = self._state(ip, now)
            if now < state.banned_until:
                return self._banned(state, now)
            state.used += weight
            if state.used <= self.limit:
                return Verdict(200, state.used)
            if state.throttled:
                state.after_429 += 1
                if state.after_429 > self.ban_after_violations:
                    state.banned_until = now + self.ban_s
                    return self._banned(state, now)
            state.throttled = True
            return Verdict(429, state.used, self._retry_after(now))

    def _banned(self, state: _IpState, now: float) -> Verdict:
        return Verdict(
            418,
            state.used,
            max(1, math.ceil(state.banned_until - now)),
            int(state.banned_until * 1000),
        )

    def used(self, ip: str, now: float) -> int:
        with self._lock:
            return self._state(ip, now).used

    def reset(self) -> None:
        with self._lock:
            self._states.clear()
