"""The RQ worker `cl3 worker` runs: RQ's forking worker plus a log line and metrics per job.

Each job runs in a forked work horse. The horse reports its own start and end (with the numbers
its recording calls tallied); a horse that dies before it can (killed, out of memory, or
stopped on request) is reported by the worker that watched it. Metrics written in the horse
survive its exit (cl3_common.observability.exposition).
"""

from __future__ import annotations

from typing import Any

from rq import Queue, Retry, Worker
from rq.job import Job, JobStatus

from cl3_common.observability.exposition import become_horse, horse_exited
from cl3_common.observability.jobs import JobRun, job_lost


def task_type(job: Job) -> str:
    meta_type = (job.meta or {}).get("type")
    if meta_type:
        return str(meta_type)
    declared = (job.kwargs or {}).get("task_type")
    return str(declared) if declared else str(job.func_name).rsplit(".", 1)[-1]


def outcome_of(job: Job, performed: bool) -> str:
    """What became of the job once RQ has handled its return or exception."""
    if performed:
        result = getattr(job, "_result", None)
        if isinstance(result, Retry):
            return "retried"
        status = result.get("status") if isinstance(result, dict) else None
        return status if status in ("failed", "skipped") else "finished"
    status = job.get_status(refresh=False)
    if status == JobStatus.STOPPED:
        return "stopped"
    return "failed" if status == JobStatus.FAILED else "retried"


def result_numbers(job: Job) -> dict[str, Any]:
    """What the job's return adds to its end line: how many warnings the task recorded."""
    result = getattr(job, "_result", None)
    warnings = result.get("warnings") if isinstance(result, dict) else None
    return {"warnings": len(warnings)} if isinstance(warnings, list) else {}


def _returned_error(job: Job, outcome: str) -> str | None:
    result = getattr(job, "_result", None)
    if outcome != "failed" or not isinstance(result, dict):
        return None
    return str(result.get("error"))


class ObservedWorker(Worker):
    _last_error: str | None = None

    # -- in the work horse -----------------------------------------------------------------
    def perform_job(self, job: Job, queue: Queue, execution: Any) -> bool:
        become_horse()
        run = JobRun(job.id, task_type(job), queue.name, retries_left=job.retries_left)
        run.started()
        performed = False
        try:
            performed = super().perform_job(job, queue, execution)
        finally:
            outcome = outcome_of(job, performed)
            error = self._last_error if not performed else _returned_error(job, outcome)
            run.ended(outcome, error=error, **result_numbers(job))
        return performed

    def handle_exception(self, job: Job, *exc_info: Any) -> None:
        exc_type, exc_value = exc_info[0], exc_info[1]
        self._last_error = f"{getattr(exc_type, '__name__', 'error')}: {exc_value}"
        super().handle_exception(job, *exc_info)

    # -- in the worker, around each horse --------------------------------------------------
    def execute_job(self, job: Job, queue: Queue) -> None:
        try:
            super().execute_job(job, queue)
        finally:
            horse_exited()

    def handle_work_horse_killed(self, job: Job, retpid: Any, ret_val: Any, rusage: Any) -> None:
        horse_exited()  # its "running" gauge goes before its end is counted
        job_lost(job.id, task_type(job), job.origin, "lost",
                 f"work horse died (wait status {ret_val})")  # fmt: skip
        super().handle_work_horse_killed(job, retpid, ret_val, rusage)

    def _handle_stopped_job(self, job: Job, queue: Queue, execution: Any) -> None:
        horse_exited()
        job_lost(job.id, task_type(job), queue.name, "stopped", "stopped on request")
        super()._handle_stopped_job(job, queue, execution)
