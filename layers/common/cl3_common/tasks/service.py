"""Submitting, inspecting and cancelling tasks on behalf of one caller."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

import redis
from rq import Queue, Retry
from rq.command import send_stop_job_command
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job

from cl3_common.auth.principal import Principal
from cl3_common.errors import NotFinished, NotFound, TooManyJobs
from cl3_common.progress import ProgressStore
from cl3_common.redis_conn import as_text, redis_errors_translated
from cl3_common.store.protocols import TaskStore
from cl3_common.tasks.contracts import CONTRACTS, TERMINAL_STATUSES, TaskType
from cl3_common.tasks.keys import active_jobs_key, dedupe_key
from cl3_common.tasks.recorder import TaskRecorder

DEDUPE_TTL_S = 7 * 86_400


class TaskService:
    def __init__(
        self,
        client: redis.Redis,
        progress: ProgressStore,
        tasks: TaskStore,
        recorder: TaskRecorder,
    ) -> None:
        self._redis = client
        self._progress = progress
        self._tasks = tasks
        self._recorder = recorder

    # -- submit -----------------------------------------------------------------------------
    def submit(
        self,
        user: Principal,
        task_type: TaskType,
        params: dict[str, Any],
        *,
        max_concurrent: int,
        identity: dict[str, Any] | None = None,
    ) -> tuple[str, bool]:
        """Enqueue a task, or return the pending identical one: (task_id, created).

        `identity` is what makes two requests "the same" (defaults to the job parameters).
        """
        fingerprint = hashlib.sha256(
            json.dumps([task_type.value, identity or params], sort_keys=True).encode()
        ).hexdigest()[:32]
        key = dedupe_key(user.sub, fingerprint)
        with redis_errors_translated():
            existing = self._redis.get(key)
        if existing:
            existing_id = as_text(existing)
            record = self._progress.get(existing_id)
            if record and self._status(existing_id, record) not in TERMINAL_STATUSES:
                return existing_id, False
        self._check_concurrency(user, max_concurrent)
        task_id = uuid.uuid4().hex
        with redis_errors_translated():
            # Only one of two racing identical requests wins the key; the other reuses its id.
            if not self._redis.set(key, task_id, ex=DEDUPE_TTL_S, nx=not existing):
                winner = self._redis.get(key)
                if winner:
                    return as_text(winner), False
        self._tasks.create(task_id, owner=user.sub, task_type=task_type.value, params=params)
        self._progress.create(task_id, task_type=task_type.value, owner=user.sub)
        contract = CONTRACTS[task_type]
        with redis_errors_translated():
            self._redis.sadd(active_jobs_key(user.sub), task_id)
            Queue(contract.queue, connection=self._redis).enqueue_call(
                func=contract.func,
                kwargs={"task_id": task_id, **params},
                job_id=task_id,
                timeout=contract.timeout_s,
                result_ttl=86_400,
                failure_ttl=7 * 86_400,
                description=f"{task_type.value} {json.dumps(params, sort_keys=True)}",
                # After a crash (worker killed, OOM) the job goes straight back on its queue and
                # resumes from what is stored. No delay: a delayed retry waits for an RQ
                # scheduler, and the crashed worker's scheduler lock outlives it for minutes.
                retry=Retry(max=contract.retries),
                meta={"owner": user.sub, "type": task_type.value},
            )
        return task_id, True

    def _check_concurrency(self, user: Principal, max_concurrent: int) -> None:
        key = active_jobs_key(user.sub)
        with redis_errors_translated():
            members = [as_text(m) for m in self._redis.smembers(key)]
        active = 0
        for task_id in members:
            record = self._progress.get(task_id)
            if record is None or self._status(task_id, record) in TERMINAL_STATUSES:
                with redis_errors_translated():
                    self._redis.srem(key, task_id)  # self-healing after crashed workers
            else:
                active += 1
        if active >= max_concurrent:
            raise TooManyJobs(
                f"{active} tasks already queued or running; your plan allows {max_concurrent}",
                retry_after_s=30,
            )

    # -- inspect ----------------------------------------------------------------------------
    def progress(self, user: Principal, task_id: str) -> dict[str, Any]:
        record = self._owned_progress(user, task_id)
        record["status"] = self._status(task_id, record)
        return {
            "task_id": task_id,
            "type": record["type"],
            "status": record["status"],
            "progress": record["progress"],
            "pages_done": record["pages_done"],
            "pages_total": record["pages_total"],
            "candles_written": record["candles_written"],
            "candles_per_s": record["candles_per_s"],
            "eta_s": record["eta_s"],
            "error": record["error"],
            "created_at": record["created_at"],
            "started_at": record["started_at"],
            "ended_at": record["ended_at"],
        }

    def result(self, user: Principal, task_id: str) -> dict[str, Any]:
        doc = self._tasks.get(task_id)
        if doc is None or doc["owner"] != user.sub:
            raise NotFound(f"no task {task_id!r}")
        if doc["status"] != "finished" or doc.get("result") is None:
            if doc["status"] in TERMINAL_STATUSES:
                error = doc.get("error") or {}
                raise NotFinished(
                    f"task ended {doc['status']} without a result: {error.get('message', '')}"
                )
            raise NotFinished(f"task is {doc['status']}; poll its progress until finished")
        return {"task_id": task_id, "type": doc["type"], **doc["result"]}

    def cancel(self, user: Principal, task_id: str) -> dict[str, Any]:
        record = self._owned_progress(user, task_id)
        status = self._status(task_id, record)
        if status in TERMINAL_STATUSES:
            return {"task_id": task_id, "status": status}
        with redis_errors_translated():
            try:
                job = Job.fetch(task_id, connection=self._redis)
                if job.get_status() == "started":
                    send_stop_job_command(self._redis, task_id)
                else:
                    job.cancel()
            except (NoSuchJobError, InvalidJobOperation):
                pass  # already gone from RQ: recording the cancel is all that is left
        self._recorder.failed(task_id, "canceled", "canceled by its owner", status="canceled")
        return {"task_id": task_id, "status": "canceled"}

    # -- helpers ----------------------------------------------------------------------------
    def _owned_progress(self, user: Principal, task_id: str) -> dict[str, Any]:
        record = self._progress.get(task_id)
        # Someone else's task is indistinguishable from a missing one.
        if record is None or record.get("owner") != user.sub:
            raise NotFound(f"no task {task_id!r}")
        return record

    def _status(self, task_id: str, record: dict[str, Any]) -> str:
        """Our record, corrected by RQ when a job died outside our code (killed, timed out)."""
        status = str(record["status"])
        if status in TERMINAL_STATUSES:
            return status
        with redis_errors_translated():
            try:
                raw = Job.fetch(task_id, connection=self._redis).get_status()
            except NoSuchJobError:
                return status
        rq_status = str(getattr(raw, "value", raw))
        if rq_status in ("failed", "stopped", "canceled"):
            return "canceled" if rq_status == "stopped" else rq_status
        if rq_status == "scheduled":  # waiting for a crash retry
            return "queued"
        return status
