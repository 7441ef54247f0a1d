"""The numbers of the job running in this process, for its end-of-job log line.

A work horse runs one job at a time, but the job's pager fetches pages on several threads:
one tally per process, guarded by a lock, filled by the same recording calls that update the
metrics.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, fields


@dataclass
class JobTally:
    exchange_requests: int = 0
    weight_spent: int = 0
    gate_wait_s: float = 0.0
    throttled: int = 0
    banned: int = 0
    candles_fetched: int = 0
    candles_stored: int = 0
    store_calls: int = 0
    store_s: float = 0.0
    fallbacks: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, **amounts: float) -> None:
        with self._lock:
            for name, amount in amounts.items():
                setattr(self, name, getattr(self, name) + amount)

    def as_fields(self) -> dict[str, float]:
        with self._lock:
            numbers = {f.name: getattr(self, f.name) for f in fields(self) if f.name[0] != "_"}
        numbers["gate_wait_s"] = round(numbers["gate_wait_s"], 3)
        numbers["store_s"] = round(numbers["store_s"], 3)
        return numbers


class _Current:
    tally: JobTally | None = None


_current = _Current()


def begin_tally() -> JobTally:
    _current.tally = JobTally()
    return _current.tally


def end_tally() -> None:
    _current.tally = None


def add_to_tally(**amounts: float) -> None:
    tally = _current.tally
    if tally is not None:
        tally.add(**amounts)
