"""Each task type's contract: its queue, its work function, its limits; and the one enqueue.

Every RQ job is the same function, the job runner `cl3_worker.runner.run_task`, called with the
task's type, id and parameters; the runner looks the work function up here. A new job type is
a work function plus an entry in `CONTRACTS` (docs/architecture.md, "Jobs").

Functions are named by dotted path so the handler side never imports worker code (pandas must
stay out of the Lambda package). Arguments are JSON-friendly plain values.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import redis
from rq import Queue, Retry
from rq.job import Callback

from cl3_common.redis_conn import redis_errors_translated

QUEUE_INGEST = "cl3-ingest"
QUEUE_ANALYTICS = "cl3-analytics"
QUEUE_EXPORT = "cl3-export"
ALL_QUEUES: tuple[str, ...] = (QUEUE_INGEST, QUEUE_ANALYTICS, QUEUE_EXPORT)
TERMINAL_STATUSES = frozenset({"finished", "failed", "canceled"})

RUNNER = "cl3_worker.runner.run_task"
# Called by RQ when a job ends outside the runner's own handling: its worker died (abandoned),
# it ran out of time, or a bug escaped. It records the failure once no retry is left.
ON_RQ_FAILURE = "cl3_worker.runner.record_rq_failure"
RESULT_TTL_S = 86_400
FAILURE_TTL_S = 7 * 86_400


class TaskType(StrEnum):
    FETCH = "fetch"
    REFRESH = "refresh"
    PLAN_REFRESHES = "plan_refreshes"
    ANALYZE = "analyze"
    EXPORT = "export"
    AUDIT = "audit"
    FUNDING = "funding"  # a futures symbol's funding-rate history over a range
    FUNDING_REFRESH = "funding_refresh"  # [newest stored event, now) of a tracked symbol


@dataclass(frozen=True)
class JobContract:
    queue: str
    work: str  # dotted path of the work function the runner calls
    timeout_s: int
    retries: int  # extra attempts after a crash (a killed worker is retried, resuming)
    result_ttl_s: int = RESULT_TTL_S


CONTRACTS: dict[TaskType, JobContract] = {
    TaskType.FETCH: JobContract(QUEUE_INGEST, "cl3_worker.jobs.fetch.run", 6 * 3600, 2),
    # Incremental: [newest stored candle, now) of one tracked series (cl3_common.refresh).
    TaskType.REFRESH: JobContract(QUEUE_INGEST, "cl3_worker.jobs.refresh.run", 3600, 2, 3600),
    TaskType.PLAN_REFRESHES: JobContract(
        QUEUE_INGEST, "cl3_worker.jobs.plan_refreshes.run", 300, 1
    ),
    TaskType.ANALYZE: JobContract(QUEUE_ANALYTICS, "cl3_worker.jobs.analyze.run", 1800, 1),
    TaskType.EXPORT: JobContract(QUEUE_EXPORT, "cl3_worker.jobs.export.run", 3600, 1),
    # Re-reads a stored range from the exchange (REST weight, archive files), so it queues
    # with ingestion; a crash retry starts over (an audit is read-only unless it repairs).
    TaskType.AUDIT: JobContract(QUEUE_INGEST, "cl3_worker.jobs.audit.run", 6 * 3600, 1),
    TaskType.FUNDING: JobContract(QUEUE_INGEST, "cl3_worker.jobs.funding.run", 3600, 2),
    TaskType.FUNDING_REFRESH: JobContract(
        QUEUE_INGEST, "cl3_worker.jobs.funding.refresh", 3600, 2, 3600
    ),
}


def job_kwargs(
    task_type: TaskType, task_id: str, params: dict[str, Any], owner: str | None = None
) -> dict[str, Any]:
    """The runner's arguments. `owner` is given for scheduled tasks that have no task record
    before they run (the runner then creates it); user tasks are recorded when submitted."""
    kwargs: dict[str, Any] = {"task_type": task_type.value, "task_id": task_id, "params": params}
    if owner is not None:
        kwargs["owner"] = owner
    return kwargs


def rq_options(task_type: TaskType, owner: str) -> dict[str, Any]:
    """What every enqueue of this task type passes to RQ (also used by `cl3 scheduler`)."""
    contract = CONTRACTS[task_type]
    return {
        "timeout": contract.timeout_s,
        "result_ttl": contract.result_ttl_s,
        "failure_ttl": FAILURE_TTL_S,
        # After a crash (worker killed, OOM) the job goes straight back on its queue and
        # resumes from what is stored: no delay, so no RQ scheduler is involved.
        "retry": Retry(max=contract.retries),
        "on_failure": Callback(ON_RQ_FAILURE),
        "meta": {"owner": owner, "type": task_type.value},
    }


def enqueue_task(
    client: redis.Redis,
    task_type: TaskType,
    task_id: str,
    params: dict[str, Any],
    *,
    owner: str,
    unique: bool = False,
) -> None:
    """Puts the task's job on its queue (job id = task id). With `unique`, RQ refuses a second
    job with the same id atomically while one is pending (rq.exceptions.DuplicateJobError)."""
    contract = CONTRACTS[task_type]
    with redis_errors_translated():
        Queue(contract.queue, connection=client).enqueue_call(
            func=RUNNER,
            kwargs=job_kwargs(task_type, task_id, params),
            job_id=task_id,
            unique=unique,
            description=f"{task_type.value} {json.dumps(params, sort_keys=True)}",
            **rq_options(task_type, owner),
        )
