"""A task's state, read in one place: `TaskReader.read`, shared by the progress route, the
result route, cancellation and the scheduled refresh.

A task's state lives in three stores, each the source of truth for one thing:

- **The progress hash in Redis** (tasks/progress.py) is the truth for a task's *live* state:
  status, percentage, counters, ETA, error. Workers write it after every page and clients poll
  it, so it must be cheap and atomic (Lua); the admission script counts active tasks from it.
  It expires 7 days after the last change.
- **The task store** (`TaskStore`, SQLite or MongoDB) is the durable record: owner, type,
  parameters, timestamps, the outcome (status and error) and the only copy of the *result*.
  It outlives the hash; when the hash is gone it alone answers.
- **RQ's job status** is never written by CL3. It is consulted for one thing only: a job that
  ended outside our code (its worker killed on the last attempt, dropped from Redis) leaves our
  record saying queued or started; RQ's status then decides (scripts.EFFECTIVE_STATUS), and the
  reader reports the task as failed with an error that says why.

Writes go only through `TaskRecorder` (tasks/recorder.py), which orders them so a reader never
sees "finished" without a result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import redis
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.results import Result

from cl3_common.redis_conn import redis_errors_translated
from cl3_common.store.protocols import TaskStore
from cl3_common.tasks.contracts import TERMINAL_STATUSES
from cl3_common.tasks.progress import ProgressStore

PROGRESS_FIELDS = ("task_id", "type", "status", "progress", "pages_done", "pages_total",
                   "candles_written", "candles_per_s", "eta_s", "error", "created_at",
                   "started_at", "ended_at")  # fmt: skip


@dataclass(frozen=True)
class TaskState:
    task_id: str
    type: str
    owner: str
    status: str  # queued | started | finished | failed | canceled
    progress: int = 0
    pages_done: int = 0
    pages_total: int = 0
    candles_written: int = 0
    candles_per_s: float | None = None
    eta_s: float | None = None
    error: dict[str, str] | None = None
    created_at: int | None = None
    started_at: int | None = None
    ended_at: int | None = None
    attempt: int = 0
    updated_at: int | None = None
    result: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def ended(self) -> bool:
        return self.status in TERMINAL_STATUSES

    def progress_body(self) -> dict[str, Any]:
        """The body of `GET /api/task/{id}/progress`."""
        values = asdict(self)
        return {name: values[name] for name in PROGRESS_FIELDS}


class TaskReader:
    def __init__(
        self, client: redis.Redis, progress: ProgressStore, tasks: Callable[[], TaskStore]
    ) -> None:
        self._redis = client
        self._progress = progress
        self._tasks = tasks

    def read(self, task_id: str, *, with_result: bool = False) -> TaskState | None:
        """The task's state (None when it is unknown); with its result from the task store
        when `with_result` and it finished."""
        status, record = self._progress.read(task_id)
        doc = None
        if record is None or (with_result and status == "finished"):
            doc = self._tasks().get(task_id)
        if record is None:
            if doc is None:
                return None
            # The hash expired: the durable record, judged by the same rule.
            status, _ = self._progress.read(task_id, status=doc["status"],
                                            created_at=doc["created_at"])  # fmt: skip
            record = {**doc, "progress": 100 if doc["status"] == "finished" else 0}
        state = _state(record, status or "failed", doc)
        if status in ("lost", "died", "canceled") and record["status"] not in TERMINAL_STATUSES:
            return self._ended_outside_our_code(state, status)
        return state

    def _ended_outside_our_code(self, state: TaskState, why: str) -> TaskState:
        error, ended_at = _rq_outcome(self._redis, state.task_id, why)
        status = "canceled" if why == "canceled" else "failed"
        ended_at = ended_at or state.updated_at or state.created_at
        return TaskState(
            **{**asdict(state), "status": status, "error": error, "ended_at": ended_at}
        )


def _state(record: dict[str, Any], status: str, doc: dict[str, Any] | None) -> TaskState:
    names = TaskState.__dataclass_fields__
    values = {k: v for k, v in record.items() if k in names and k != "result"}
    values["status"] = status
    values["result"] = doc.get("result") if doc else None
    return TaskState(**values)


_WITHOUT_RQ = {
    "lost": {"code": "worker_lost",
             "message": "the task's job is no longer queued or running (lost); submit it again"},
    "canceled": {"code": "canceled", "message": "the task's job was stopped"},
}  # fmt: skip


def _rq_outcome(client: redis.Redis, task_id: str, why: str) -> tuple[dict[str, str], int | None]:
    """What RQ knows about a job that ended without our record saying so."""
    if why in _WITHOUT_RQ:
        return dict(_WITHOUT_RQ[why]), None
    with redis_errors_translated():
        try:
            job = Job.fetch(task_id, connection=client)
        except NoSuchJobError:
            return {"code": "internal", "message": "the task's job ended unrecorded"}, None
        latest = job.latest_result()
    ended_at = int(job.ended_at.timestamp() * 1000) if job.ended_at else None
    return _error_from(latest), ended_at


def _error_from(latest: Result | None) -> dict[str, str]:
    """The job's own failed result (the runner's shape), else the last line of its traceback."""
    value = latest.return_value if latest is not None else None
    if isinstance(value, dict) and isinstance(value.get("error"), dict):
        return dict(value["error"])
    text = ((latest.exc_string if latest is not None else None) or "").strip()
    last = text.splitlines()[-1] if text else "no details were kept"
    code = "worker_lost" if "Abandoned" in text else "internal"
    return {"code": code, "message": f"the task's job ended unexpectedly: {last}"}
