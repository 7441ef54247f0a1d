"""The progress hash in Redis: a task's live state, one hash per task, kept 7 days.

Written only through `TaskRecorder` and read only through `TaskReader` (tasks/state.py); every
change is one Lua script (tasks/scripts.py), so concurrent writers and readers never see half a
transition. Values are stored as strings; `decode` turns a hash back into typed fields.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis

from cl3_common.redis_conn import as_text, redis_errors_translated
from cl3_common.tasks import scripts
from cl3_common.tasks.keys import (
    ACTIVE_PREFIX,
    ACTIVE_SUFFIX,
    PROGRESS_PREFIX,
    PROGRESS_SUFFIX,
    RQ_JOB_PREFIX,
    active_jobs_key,
    dedupe_key,
    progress_key,
    rq_job_key,
)

PROGRESS_TTL_S = 7 * 86_400
DEDUPE_TTL_S = 7 * 86_400
# A task whose RQ job does not exist this long after it was created was lost (its submitter
# died between recording and enqueueing, or RQ dropped the job).
LOST_AFTER_MS = 60_000
_INT_FIELDS = ("progress", "pages_done", "pages_total", "candles_written", "attempt")
_OPTIONAL_INT_FIELDS = ("created_at", "started_at", "ended_at", "updated_at")
_FLOAT_FIELDS = ("eta_s", "candles_per_s")


@dataclass(frozen=True)
class Admission:
    outcome: str  # "created" | "existing" | "refused"
    task_id: str | None
    active: int = 0


class ProgressStore:
    def __init__(self, client: redis.Redis, clock_ms: Callable[[], int]) -> None:
        self._redis = client
        self._clock_ms = clock_ms
        self._read = client.register_script(scripts.READ)
        self._admit = client.register_script(scripts.ADMIT)
        self._start = client.register_script(scripts.START)
        self._report = client.register_script(scripts.REPORT)
        self._end = client.register_script(scripts.END)

    @property
    def client(self) -> redis.Redis:
        return self._redis

    def initial(self, task_id: str, *, task_type: str, owner: str) -> dict[str, Any]:
        now = self._clock_ms()
        return {"task_id": task_id, "type": task_type, "owner": owner, "status": "queued",
                "progress": 0, "pages_done": 0, "pages_total": 0, "candles_written": 0,
                "attempt": 0, "eta_s": "", "candles_per_s": "", "error": "", "stage": "",
                "created_at": now, "started_at": "", "ended_at": "", "updated_at": now}  # fmt: skip

    # -- writes (TaskRecorder) ----------------------------------------------------------------
    def admit(
        self, task_id: str, *, task_type: str, owner: str, fingerprint: str, max_active: int
    ) -> Admission:
        """Dedupe, cap and creation in one atomic step (scripts.ADMIT)."""
        record = self.initial(task_id, task_type=task_type, owner=owner)
        pairs = [str(v) for item in record.items() for v in item]
        args = [max_active, task_id, DEDUPE_TTL_S, self._clock_ms(), LOST_AFTER_MS, PROGRESS_TTL_S,
                PROGRESS_PREFIX, PROGRESS_SUFFIX, RQ_JOB_PREFIX, *pairs]  # fmt: skip
        keys = [active_jobs_key(owner), dedupe_key(owner, fingerprint), progress_key(task_id)]
        with redis_errors_translated():
            outcome, value = (as_text(v) for v in self._admit(keys=keys, args=args))
        if outcome == "refused":
            return Admission(outcome, None, int(value))
        return Admission(outcome, value)

    def create(self, task_id: str, *, task_type: str, owner: str) -> None:
        """A fresh record under `task_id`, replacing any earlier one (scheduled tasks)."""
        record = self.initial(task_id, task_type=task_type, owner=owner)
        with redis_errors_translated():
            pipe = self._redis.pipeline()
            pipe.delete(progress_key(task_id))
            pipe.hset(progress_key(task_id), mapping=record)  # type: ignore[arg-type]
            pipe.expire(progress_key(task_id), PROGRESS_TTL_S)
            pipe.execute()

    def start(self, task_id: str) -> int:
        """The attempt number; 0 when the task has ended already, -1 when it is unknown."""
        with redis_errors_translated():
            return int(self._start(keys=[progress_key(task_id)],
                                   args=[self._clock_ms(), PROGRESS_TTL_S]))  # fmt: skip

    def report(self, task_id: str, percent: int, **fields: Any) -> int:
        """Raises the percentage (never lowers it) and sets the other counters."""
        args: list[Any] = [max(0, min(100, int(percent))), PROGRESS_TTL_S]
        for name, value in {**fields, "updated_at": self._clock_ms()}.items():
            args.extend([name, "" if value is None else value])
        with redis_errors_translated():
            return int(self._report(keys=[progress_key(task_id)], args=args))

    def end(self, task_id: str, status: str, error: dict[str, str] | None = None) -> bool:
        """The terminal status (the first one wins); False when the task had ended already."""
        now = self._clock_ms()
        args: list[Any] = [status, PROGRESS_TTL_S, ACTIVE_PREFIX, ACTIVE_SUFFIX, task_id,
                           "ended_at", now, "updated_at", now,
                           "error", json.dumps(error) if error else ""]  # fmt: skip
        with redis_errors_translated():
            return int(self._end(keys=[progress_key(task_id)], args=args)) == 1

    # -- reads (TaskReader) -------------------------------------------------------------------
    def read(
        self, task_id: str, *, status: str = "", created_at: int | None = None
    ) -> tuple[str | None, dict[str, Any] | None]:
        """(effective status, decoded hash). `status` / `created_at` stand in for an expired
        hash (from the task store); the status is None for a task neither knows."""
        args: list[Any] = [self._clock_ms(), LOST_AFTER_MS, status, created_at or 0]
        with redis_errors_translated():
            effective, flat = self._read(keys=[progress_key(task_id), rq_job_key(task_id)],
                                         args=args)  # fmt: skip
        raw = {as_text(flat[i]): as_text(flat[i + 1]) for i in range(0, len(flat), 2)}
        return (as_text(effective) or None), (decode(raw) if raw else None)


def decode(raw: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = dict(raw)
    for name in _INT_FIELDS:
        out[name] = int(float(raw.get(name) or 0))
    for name in _OPTIONAL_INT_FIELDS:
        out[name] = int(raw[name]) if raw.get(name) else None
    for name in _FLOAT_FIELDS:
        out[name] = round(float(raw[name]), 3) if raw.get(name) else None
    out["error"] = json.loads(raw["error"]) if raw.get("error") else None
    return out
