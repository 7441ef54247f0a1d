"""A job's start and end as operators see them: one log line each, with its numbers, and the
jobs metrics (count and duration by task type and outcome, jobs running).

Outcomes: `finished`; `failed` (the task failed, or RQ has no retry left); `retried` (RQ runs
it again); `skipped` (nothing to do); `stopped` (canceled while running); `lost` (the process
running it died: killed, out of memory).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from cl3_common.observability.logs import log_event
from cl3_common.observability.metrics import metrics
from cl3_common.observability.tally import JobTally, begin_tally, end_tally

log = logging.getLogger("cl3.jobs")


@dataclass
class JobRun:
    job_id: str
    task_type: str
    queue: str
    retries_left: int | None = None
    _began: float = field(default=0.0, repr=False)
    _tally: JobTally | None = field(default=None, repr=False)

    def started(self) -> None:
        self._began = time.monotonic()
        self._tally = begin_tally()
        metrics().jobs_running.labels(self.task_type).inc()
        log_event(
            log, logging.INFO, "job.start", f"job {self.job_id} ({self.task_type}) started",
            job_id=self.job_id, type=self.task_type, queue=self.queue,
            retries_left=self.retries_left,
        )  # fmt: skip

    def ended(self, outcome: str, *, error: str | None = None, **numbers: Any) -> None:
        seconds = time.monotonic() - self._began
        m = metrics()
        m.jobs.labels(self.task_type, outcome).inc()
        m.job_duration.labels(self.task_type, outcome).observe(seconds)
        m.jobs_running.labels(self.task_type).dec()
        if outcome == "retried":  # the end line below is the fallback's WARNING
            m.fallbacks.labels("job_retry").inc()
        tallied = self._tally.as_fields() if self._tally is not None else {}
        end_tally()
        level = logging.INFO if outcome in ("finished", "skipped") else logging.WARNING
        fields: dict[str, Any] = dict(
            job_id=self.job_id, type=self.task_type, queue=self.queue, outcome=outcome,
            duration_s=round(seconds, 3), **tallied, **numbers,
        )  # fmt: skip
        if error:
            fields["error"] = error
        log_event(log, level, "job.end",
                  f"job {self.job_id} ({self.task_type}) {outcome} in {seconds:.2f} s",
                  **fields)  # fmt: skip


def job_lost(job_id: str, task_type: str, queue: str, outcome: str, reason: str) -> None:
    """A job whose process died (or was stopped) before it could report its own end."""
    metrics().jobs.labels(task_type, outcome).inc()
    log_event(
        log, logging.WARNING, "job.end", f"job {job_id} ({task_type}) {outcome}: {reason}",
        job_id=job_id, type=task_type, queue=queue, outcome=outcome, error=reason,
    )  # fmt: skip
