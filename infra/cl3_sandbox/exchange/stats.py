"""Request counters, read by tests and benchmarks through ``SandboxExchange.stats()``.

Totals keep their historical names (``klines_requests``, ``weight_used_total``,
``responses_429`` ... count every family); ``families`` splits them per API family (spot, fapi,
dapi), so a test can check "each page requested once" or "a ban on fapi stops fapi only";
``archive_downloads_by_kind`` splits the archive zips by market and data kind.
"""

from __future__ import annotations

import threading
from collections import Counter

from .config import FAMILIES

_TOTALS = (
    "requests",
    "klines_requests",
    "funding_requests",
    "weight_used_total",
    "responses_429",
    "responses_418",
    "responses_5xx",
    "archive_downloads",
    "faults_injected",
)
_PER_FAMILY = (
    "requests",
    "klines_requests",
    "funding_requests",
    "weight_used",
    "responses_429",
    "responses_418",
    "responses_5xx",
)


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._paths: Counter[str] = Counter()
        self._families: dict[str, Counter[str]] = {f: Counter() for f in FAMILIES}
        self._archives: Counter[str] = Counter()

    def request(self, path_key: str, family: str | None = None, counts_as: str = "") -> None:
        """One request; ``counts_as`` is "klines" or "funding" for those endpoints."""
        with self._lock:
            self._counts["requests"] += 1
            self._paths[path_key] += 1
            if family is None:
                return
            counters = self._families[family]
            counters["requests"] += 1
            if counts_as:
                self._counts[f"{counts_as}_requests"] += 1
                counters[f"{counts_as}_requests"] += 1

    def add(self, name: str, amount: int = 1) -> None:
        with self._lock:
            self._counts[name] += amount

    def weight(self, family: str, amount: int) -> None:
        with self._lock:
            self._counts["weight_used_total"] += amount
            self._families[family]["weight_used"] += amount

    def archive(self, kind: str) -> None:
        with self._lock:
            self._counts["archive_downloads"] += 1
            self._archives[kind] += 1

    def status(self, status: int, family: str | None = None) -> None:
        name = {429: "responses_429", 418: "responses_418"}.get(status)
        if name is None and status >= 500:
            name = "responses_5xx"
        if name is None:
            return
        with self._lock:
            self._counts[name] += 1
            if family is not None:
                self._families[family][name] += 1

    def snapshot(self) -> dict[str, object]:
        with self._lock:
            out: dict[str, object] = {name: self._counts[name] for name in _TOTALS}
            out["by_path"] = dict(self._paths)
            out["families"] = {
                family: {name: counters[name] for name in _PER_FAMILY}
                for family, counters in self._families.items()
            }
            out["archive_downloads_by_kind"] = dict(self._archives)
        return out

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()
            self._paths.clear()
            self._archives.clear()
            for counters in self._families.values():
                counters.clear()
