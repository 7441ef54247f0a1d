"""What a running job reports: progress to Redis, the outcome to the task store."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import redis

from cl3_common.progress import ProgressStore
from cl3_common.redis_conn import redis_errors_translated
from cl3_common.store.protocols import TaskStore
from cl3_common.tasks.keys import active_jobs_key
from cl3_common.usage import count_fetched_candles


class TaskRecorder:
    def __init__(
        self,
        client: redis.Redis,
        progress: ProgressStore,
        tasks: TaskStore,
        clock_ms: Callable[[], int],
    ) -> None:
        self._redis = client
        self.progress = progress
        self._tasks = tasks
        self._clock_ms = clock_ms

    def started(self, task_id: str) -> None:
        self.progress.mark_started(task_id)
        self._tasks.update(task_id, status="started", started_at=self._clock_ms())

    def finished(self, task_id: str, result: dict[str, Any], **progress_fields: Any) -> None:
        # The result is stored before progress says "finished", so a client that sees 100%
        # can always read the result.
        self._tasks.update(task_id, status="finished", result=result, ended_at=self._clock_ms())
        self.progress.finish(task_id, **progress_fields)
        # Hook for GET /api/usage: a finished fetch/refresh adds its candles to the owner's month.
        count_fetched_candles(self._redis, self.progress.get(task_id), result, self._clock_ms())
        self._release(task_id)

    def failed(self, task_id: str, code: str, message: str, status: str = "failed") -> None:
        error = {"code": code, "message": message}
        self._tasks.update(task_id, status=status, error=error, ended_at=self._clock_ms())
        self.progress.fail(task_id, code, message, status=status)
        self._release(task_id)

    def _release(self, task_id: str) -> None:
        record = self.progress.get(task_id)
        if record and record.get("owner"):
            with redis_errors_translated():
                self._redis.srem(active_jobs_key(record["owner"]), task_id)
