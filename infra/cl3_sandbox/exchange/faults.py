"""Fault injection: scripted one-off responses and periodic gateway failures.

Faults are reachable only through the Python API (``SandboxExchange.inject``), never over HTTP,
so a client under test cannot trigger them by accident. They act before the weight limiter, as
a gateway or an overloaded edge would; an injected 429/418 carries Binance's real body and
``Retry-After`` but does not change the limiter's state.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

KLINES_PATH = "/api/v3/klines"
# status 0 asks for the connection to be dropped without any response.
DROP = 0


@dataclass(frozen=True)
class Always:
    """Every request to ``path`` answers ``status`` (418/429 with ``Retry-After``)."""

    path: str
    status: int
    retry_after: int | None = None


@dataclass(frozen=True)
class Fault:
    status: int
    retry_after: int | None = None
    delay_ms: float = 0.0
    body: bytes | None = None  # default: the Binance/gateway body for the status


@dataclass
class _Scripted:
    fault: Fault
    path: str
    remaining: int


class FaultPlan:
    """Thread-safe queue of scripted faults plus the ``always`` / ``fail_paths`` /
    ``fail_every`` rules of one API family (``klines_paths``: what ``fail_every`` counts)."""

    def __init__(
        self,
        fail_every: int,
        fail_status: int,
        fail_paths: frozenset[str],
        klines_paths: frozenset[str] = frozenset({KLINES_PATH}),
        always: tuple[Always, ...] = (),
    ) -> None:
        self._fail_every = fail_every
        self._fail_status = fail_status
        self._fail_paths = fail_paths
        self._klines_paths = klines_paths
        self._always = {rule.path: rule for rule in always}
        self._scripted: deque[_Scripted] = deque()
        self._klines_seen = 0
        self._lock = threading.Lock()

    def inject(self, fault: Fault, count: int, path: str) -> None:
        if count < 1:
            raise ValueError("count must be >= 1")
        with self._lock:
            self._scripted.append(_Scripted(fault, path, count))

    def clear(self) -> None:
        with self._lock:
            self._scripted.clear()

    def pending(self) -> int:
        with self._lock:
            return sum(s.remaining for s in self._scripted)

    def take(self, path: str) -> Fault | None:
        """The fault for this request, if any (consumes one scripted use)."""
        with self._lock:
            for scripted in self._scripted:
                if scripted.path == path:
                    scripted.remaining -= 1
                    if scripted.remaining == 0:
                        self._scripted.remove(scripted)
                    return scripted.fault
            rule = self._always.get(path)
            if rule is not None:
                return Fault(rule.status, rule.retry_after)
            if path in self._fail_paths:
                return Fault(self._fail_status)
            if path in self._klines_paths and self._fail_every > 0:
                self._klines_seen += 1
                if self._klines_seen % self._fail_every == 0:
                    return Fault(self._fail_status)
        return None
