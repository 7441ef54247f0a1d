"""Submitting, inspecting and cancelling tasks on behalf of one caller (the API's task side)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import redis
from rq.command import send_stop_job_command
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job

from cl3_common.auth.principal import Principal
from cl3_common.errors import CL3Error, NotFinished, NotFound
from cl3_common.redis_conn import redis_errors_translated
from cl3_common.store.protocols import TaskStore
from cl3_common.tasks.contracts import TaskType, enqueue_task
from cl3_common.tasks.progress import ProgressStore
from cl3_common.tasks.recorder import TaskRecorder
from cl3_common.tasks.state import TaskReader, TaskState


class TaskService:
    def __init__(self, client: redis.Redis, tasks: TaskStore, clock_ms: Callable[[], int]) -> None:
        self._redis = client
        progress = ProgressStore(client, clock_ms)
        self.recorder = TaskRecorder(progress, lambda: tasks, clock_ms)
        self.reader = TaskReader(client, progress, lambda: tasks)

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
        Raises TooManyJobs when the caller already has `max_concurrent` tasks pending.
        """
        fingerprint = hashlib.sha256(
            json.dumps([task_type.value, identity or params], sort_keys=True).encode()
        ).hexdigest()[:32]
        task_id, created = self.recorder.submit(
            user.sub, task_type.value, params, fingerprint=fingerprint, max_active=max_concurrent
        )
        if created:
            try:
                enqueue_task(self._redis, task_type, task_id, params, owner=user.sub)
            except CL3Error as e:
                self.recorder.failed(task_id, e.as_error())
                raise
        return task_id, created

    def progress(self, user: Principal, task_id: str) -> dict[str, Any]:
        return self._owned(user, task_id).progress_body()

    def result(self, user: Principal, task_id: str) -> dict[str, Any]:
        state = self._owned(user, task_id, with_result=True)
        if state.status == "finished" and state.result is not None:
            return {"task_id": task_id, "type": state.type, **state.result}
        if state.status in ("failed", "canceled"):
            error = state.error or {"code": state.status, "message": "no details were kept"}
            raise NotFinished(
                f"task {state.status} ({error['code']}): {error['message']}",
                code=f"task_{state.status}",
            )
        # Codes `task_failed` / `task_canceled` above tell a poller to stop; this one to wait.
        raise NotFinished(f"task is {state.status}; poll its progress until finished")

    def cancel(self, user: Principal, task_id: str) -> dict[str, Any]:
        state = self._owned(user, task_id)
        if state.ended:
            return {"task_id": task_id, "status": state.status}
        with redis_errors_translated():
            try:
                job = Job.fetch(task_id, connection=self._redis)
                if job.get_status() == "started":
                    send_stop_job_command(self._redis, task_id)
                else:
                    job.cancel()
            except (NoSuchJobError, InvalidJobOperation):
                pass  # already gone from RQ: recording the cancel is all that is left
        self.recorder.canceled(task_id)
        final = self.reader.read(task_id)
        return {"task_id": task_id, "status": final.status if final else "canceled"}

    def _owned(self, user: Principal, task_id: str, *, with_result: bool = False) -> TaskState:
        state = self.reader.read(task_id, with_result=with_result)
        # Someone else's task is indistinguishable from a missing one.
        if state is None or state.owner != user.sub:
            raise NotFound(f"no task {task_id!r}")
        return state
