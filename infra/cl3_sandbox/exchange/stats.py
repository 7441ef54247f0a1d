"""Request counters, read by tests and benchmarks through ``SandboxExchange.stats()``."""

from __future__ import annotations

import threading
from collections import Counter


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._paths: Counter[str] = Counter()

    def request(self, path_key: str) -> None:
        with self._lock:
            self._counts["requests"] += 1
            self._paths[path_key] += 1
            if path_key in ("/api/v3/klines", "/api/v3/uiKlines"):
                self._counts["klines_requests"] += 1

    def add(self, name: str, amount: int = 1) -> None:
        with self._lock:
            self._counts[name] += amount

    def status(self, status: int) -> None:
        with self._lock:
            if status == 429:
                self._counts["responses_429"] += 1
            elif status == 418:
                self._counts["responses_418"] += 1
            elif status >= 500:
                self._counts["responses_5xx"] += 1

    def snapshot(self) -> dict[str, object]:
        names = (
            "requests",
            "klines_requests",
            "weight_used_total",
            "responses_429",
            "responses_418",
            "responses_5xx",
            "archive_downloads",
            "faults_injected",
        )
        with self._lock:
            out: dict[str, object] = {name: self._counts[name] for name in names}
            out["by_path"] = dict(self._paths)
        return out

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()
            self._paths.clear()
