"""Which queue and which worker function each task type uses.

Functions are named by dotted path so the handler side never imports worker code (pandas
must stay out of the Lambda package). Arguments are JSON-friendly plain values.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

QUEUE_INGEST = "cl3-ingest"
QUEUE_ANALYTICS = "cl3-analytics"
QUEUE_EXPORT = "cl3-export"
ALL_QUEUES: tuple[str, ...] = (QUEUE_INGEST, QUEUE_ANALYTICS, QUEUE_EXPORT)
TERMINAL_STATUSES = frozenset({"finished", "failed", "canceled", "stopped"})


class TaskType(StrEnum):
    FETCH = "fetch"
    REFRESH = "refresh"
    ANALYZE = "analyze"
    EXPORT = "export"
    FUNDING = "funding"  # a futures symbol's funding-rate history over a range


@dataclass(frozen=True)
class JobContract:
    queue: str
    func: str
    timeout_s: int
    retries: int  # extra attempts after a crash (a killed worker is retried, resuming)


CONTRACTS: dict[TaskType, JobContract] = {
    TaskType.FETCH: JobContract(QUEUE_INGEST, "cl3_worker.jobs.fetch.fetch_klines", 6 * 3600, 2),
    # Incremental: [newest stored candle, now) of a tracked series (see cl3_common.refresh).
    TaskType.REFRESH: JobContract(QUEUE_INGEST, "cl3_worker.jobs.refresh.refresh_series", 3600, 2),
    TaskType.ANALYZE: JobContract(
        QUEUE_ANALYTICS, "cl3_worker.jobs.analyze.analyze_series", 1800, 1
    ),
    TaskType.EXPORT: JobContract(QUEUE_EXPORT, "cl3_worker.jobs.export.export_range", 3600, 1),
    TaskType.FUNDING: JobContract(QUEUE_INGEST, "cl3_worker.jobs.funding.fetch_funding", 3600, 2),
}
