"""The only writer of task state: the progress hash in Redis and the task store's record.

Every change of a task goes through one method here, in the order that keeps the two stores
consistent for readers (tasks/state.py says which store is the truth for what):

- `submit` admits a user's task (dedupe and job cap, atomically) and records it;
  `create` records a scheduled task afresh under its reused id.
- `started`, `report`: an attempt begins; counters after every page or stage.
- `finished` stores the result before the progress hash says 100 %, so a client that sees
  "finished" can always read the result.
- `failed` / `canceled` update the progress hash first, so the API shows the failure even
  while the task store is unreachable, then the task store. The first terminal status wins.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

from cl3_common.errors import CL3Error, TooManyJobs, Unavailable
from cl3_common.store.protocols import TaskStore
from cl3_common.tasks.progress import ProgressStore
from cl3_common.usage import count_fetched_candles

log = logging.getLogger("cl3.tasks")

CANCELED = {"code": "canceled", "message": "canceled by its owner"}


class TaskRecorder:
    def __init__(
        self,
        progress: ProgressStore,
        tasks: Callable[[], TaskStore],
        clock_ms: Callable[[], int],
    ) -> None:
        self._progress = progress
        self._tasks = tasks  # resolved on use: a worker opens its store only when needed
        self._clock_ms = clock_ms

    # -- creation -------------------------------------------------------------------------
    def submit(
        self,
        owner: str,
        task_type: str,
        params: dict[str, Any],
        *,
        fingerprint: str,
        max_active: int,
    ) -> tuple[str, bool]:
        """(task_id, created): a new task, or the owner's pending one with this fingerprint.

        Raises TooManyJobs when the owner already has `max_active` tasks queued or running.
        """
        admission = self._progress.admit(
            uuid.uuid4().hex, task_type=task_type, owner=owner,
            fingerprint=fingerprint, max_active=max_active,
        )  # fmt: skip
        if admission.task_id is None:
            raise TooManyJobs(
                f"{admission.active} tasks already queued or running; "
                f"your plan allows {max_active}",
                retry_after_s=30,
            )
        if admission.outcome == "created":
            try:
                self._tasks().create(admission.task_id, owner=owner, task_type=task_type,
                                     params=params)  # fmt: skip
            except CL3Error as e:
                self._progress.end(admission.task_id, "failed", e.as_error())
                raise
        return admission.task_id, admission.outcome == "created"

    def create(self, task_id: str, *, owner: str, task_type: str, params: dict[str, Any]) -> None:
        """A fresh record under a reused id (the scheduled refresh and its planner)."""
        tasks = self._tasks()
        tasks.delete(task_id)
        tasks.create(task_id, owner=owner, task_type=task_type, params=params)
        self._progress.create(task_id, task_type=task_type, owner=owner)

    # -- a running attempt ------------------------------------------------------------------
    def started(self, task_id: str) -> int:
        """The attempt number (1 for the first); 0 when the task was canceled or has finished,
        -1 when there is no record of it. A failed task starts again (its job was requeued)."""
        attempt = self._progress.start(task_id)
        if attempt > 0:
            fields: dict[str, Any] = {"status": "started", "error": None, "ended_at": None}
            if attempt == 1:
                fields["started_at"] = self._clock_ms()
            self._tasks().update(task_id, **fields)
        return attempt

    def report(self, task_id: str, percent: int, **counters: Any) -> int:
        """Progress after a page or a stage; returns the percentage, which never goes down."""
        return self._progress.report(task_id, percent, **counters)

    # -- the end --------------------------------------------------------------------------
    def finished(self, task_id: str, result: dict[str, Any]) -> bool:
        """False when the task had ended otherwise first (canceled while it ran)."""
        self._tasks().update(task_id, status="finished", result=result, error=None,
                             ended_at=self._clock_ms())  # fmt: skip
        if self._progress.end(task_id, "finished"):
            # GET /api/usage: a finished fetch/refresh adds its candles to the owner's month,
            # once (only the call that ended the task gets here).
            _, record = self._progress.read(task_id)
            count_fetched_candles(self._progress.client, record, result, self._clock_ms())
            return True
        self._copy_outcome(task_id)  # the earlier end wins in both stores
        return False

    def failed(self, task_id: str, error: dict[str, str], *, status: str = "failed") -> bool:
        """Records the failure (`error` is `{"code", "message"}`); False if it had ended."""
        if not self._progress.end(task_id, status, error):
            return False
        try:
            self._tasks().update(task_id, status=status, error=error, ended_at=self._clock_ms())
        except Unavailable as e:
            # Redis holds the failure for 7 days; readers see it (tasks/state.py).
            log.error("task %s: failure recorded in Redis only, task store down: %s", task_id, e)
        return True

    def canceled(self, task_id: str) -> bool:
        return self.failed(task_id, CANCELED, status="canceled")

    def _copy_outcome(self, task_id: str) -> None:
        _, record = self._progress.read(task_id)
        if record is not None:
            self._tasks().update(task_id, status=record["status"], error=record["error"],
                                 ended_at=record["ended_at"])  # fmt: skip
