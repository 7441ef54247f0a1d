"""The job runner: every RQ job is `run_task`, and every task's state changes go through it.

`run_task(task_type, task_id, params)` looks the task type's work function up in
`cl3_common.tasks.contracts.CONTRACTS` and runs it as one *attempt*:

    started  ->  work(task, **params) -> result  ->  finished(result + warnings)

- An outage (any `RetryableError`: the store, Redis, the exchange after its own retries) is
  waited out with exponential backoff; each new attempt resumes from what is stored (the work
  functions are idempotent). The task fails `unavailable` once no attempt has made progress
  for `Settings.OUTAGE_WAIT_S` (an outage, not the task's age, uses up the patience).
- Any other error of our family fails the task with its `{"code", "message"}`
  (`CL3Error.as_error`), and the job returns `{"status": "failed", "error": {...}}` without an
  RQ retry: retrying cannot help.
- Anything else is a bug or a death outside our code (killed horse, RQ's timeout, a lost
  worker). RQ keeps the traceback and retries a crash while the contract allows;
  `record_rq_failure` (RQ's failure callback) and `record_horse_killed` record the task as
  failed once no retry is left.

A work function takes a `RunningTask` (its id, the worker's clients, `report` and `warn`) and
the task's parameters, returns the task's result, and raises our errors.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rq.job import Job
from rq.timeouts import JobTimeoutException
from tenacity import RetryCallState, Retrying, retry_if_exception_type, wait_random_exponential

from cl3_common.errors import CL3Error, PermanentError, RetryableError
from cl3_common.tasks.contracts import CONTRACTS, TaskType
from cl3_worker.context import WorkerContext, get_context

log = logging.getLogger("cl3.worker")

Work = Callable[..., dict[str, Any]]


@dataclass
class Patience:
    """How long an outage may last: from the first failed attempt since the task last made
    progress, i.e. raised its percentage (tenacity's `after` and `stop` hooks)."""

    budget_s: float
    clock: Callable[[], float]
    since: float | None = None
    progressed: bool = False
    best_percent: int = -1

    def reported(self, percent: int) -> None:
        if percent > self.best_percent:
            self.best_percent = percent
            self.progressed = True

    def attempt_failed(self, state: RetryCallState) -> None:
        if self.since is None or self.progressed:
            self.since = self.clock()
        self.progressed = False

    def exhausted(self, state: RetryCallState) -> bool:
        return self.since is not None and self.clock() - self.since >= self.budget_s


@dataclass
class RunningTask:
    """What a work function sees of its task."""

    task_id: str
    type: TaskType
    ctx: WorkerContext
    attempt: int
    patience: Patience
    warnings: list[str] = field(default_factory=list)

    def report(self, percent: int, **counters: Any) -> None:
        """Progress after a page or stage (`pages_done`, `pages_total`, `candles_written`,
        `candles_per_s`, `eta_s`, `stage`); the percentage never goes down."""
        self.patience.reported(self.ctx.recorder.report(self.task_id, percent, **counters))

    def warn(self, message: str) -> None:
        """Something the caller should know that did not fail the task (the result's
        `warnings`), e.g. an archive that could not be used."""
        if message not in self.warnings:
            self.warnings.append(message)
            log.warning("task %s: %s", self.task_id, message)


def run_task(
    task_type: str, task_id: str, params: dict[str, Any], owner: str | None = None
) -> dict[str, Any]:
    """RQ entry point of every job (cl3_common.tasks.contracts.RUNNER)."""
    return execute(get_context(), task_type, task_id, params, owner)


def execute(
    ctx: WorkerContext,
    task_type: str,
    task_id: str,
    params: dict[str, Any],
    owner: str | None = None,
) -> dict[str, Any]:
    """Runs the task with the given clients: `{"status": "finished", ...}` or the one
    failed-result shape `{"status": "failed", "error": {"code", "message"}}`."""
    kind = TaskType(task_type)
    work: Work = _import(CONTRACTS[kind].work)
    patience = Patience(ctx.settings.OUTAGE_WAIT_S, ctx.clock)
    retrying = Retrying(
        retry=retry_if_exception_type(RetryableError),
        after=patience.attempt_failed,
        stop=patience.exhausted,
        wait=wait_random_exponential(multiplier=0.5, max=10),
        sleep=ctx.sleep,
        before_sleep=_log_outage(task_id),
        reraise=True,
    )
    try:
        return retrying(_attempt, ctx, kind, task_id, params, owner, work, patience)
    except RetryableError as e:  # an outage that outlasted OUTAGE_WAIT_S
        waited = f"still unavailable after {patience.budget_s:.0f} s of retries: {e}"
        return _failed(ctx, task_id, {"code": e.code, "message": waited})
    except CL3Error as e:  # retrying cannot help
        return _failed(ctx, task_id, e.as_error())


def _attempt(
    ctx: WorkerContext,
    kind: TaskType,
    task_id: str,
    params: dict[str, Any],
    owner: str | None,
    work: Work,
    patience: Patience,
) -> dict[str, Any]:
    if owner is not None:
        # A scheduled run under a reused id: a fresh record, unless this is a crash retry.
        state = ctx.reader.read(task_id)
        if state is None or state.ended:
            ctx.recorder.create(task_id, owner=owner, task_type=kind.value, params=params)
    attempt = ctx.recorder.started(task_id)
    if attempt == 0:
        log.info("task %s was canceled or has finished; nothing to do", task_id)
        return {"status": "skipped", "task_id": task_id}
    if attempt < 0:
        raise PermanentError(f"no record of task {task_id!r}", system="cl3", code="not_found")
    task = RunningTask(task_id, kind, ctx, attempt, patience)
    result = {**work(task, **params), "warnings": task.warnings}
    ctx.recorder.finished(task_id, result)
    return {"status": "finished", "task_id": task_id, "warnings": task.warnings}


def _failed(ctx: WorkerContext, task_id: str, error: dict[str, str]) -> dict[str, Any]:
    """The one failed-result shape of every job type."""
    log.warning("task %s failed (%s): %s", task_id, error["code"], error["message"])
    try:
        ctx.recorder.failed(task_id, error)
    except RetryableError as e:  # Redis down too: RQ's failed result is all that is left
        log.error("task %s: could not record its failure: %s", task_id, e)
    return {"status": "failed", "error": error}


def _log_outage(task_id: str) -> Callable[[RetryCallState], None]:
    def before_sleep(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        log.warning("task %s: %s; resuming in %.1f s (attempt %d)",
                    task_id, error, wait, state.attempt_number)  # fmt: skip

    return before_sleep


def _import(dotted: str) -> Work:
    module, _, name = dotted.rpartition(".")
    work: Work = getattr(importlib.import_module(module), name)
    return work


# -- deaths outside the runner's own handling ----------------------------------------------
def record_rq_failure(job: Job, connection: Any, exc_type: Any, exc: Any, tb: Any) -> None:
    """RQ's failure callback: a bug escaped, the job timed out, or its worker was lost."""
    if job.should_retry:
        return  # RQ runs it again; that attempt speaks for the task
    _record_death(job, death_error(job, exc_type, exc))


def record_horse_killed(job: Job, retpid: int, ret_val: int, rusage: Any) -> None:
    """The worker saw its work horse die (OOM killer, a signal) without a failure callback."""
    if job.should_retry:
        return
    error = {"code": "worker_lost",
             "message": f"the process running the task died (wait status {ret_val})"}  # fmt: skip
    _record_death(job, error)


def death_error(job: Job, exc_type: Any, exc: Any) -> dict[str, str]:
    if exc_type is not None and issubclass(exc_type, JobTimeoutException):
        return {"code": "timeout", "message": f"the task ran longer than its {job.timeout} s limit"}
    if exc_type is not None and exc_type.__name__ == "AbandonedJobError":
        return {"code": "worker_lost",
                "message": "the worker running the task died and no retry was left"}  # fmt: skip
    if isinstance(exc, CL3Error):
        return exc.as_error()
    return {"code": "internal", "message": f"{getattr(exc_type, '__name__', 'error')}: {exc}"}


def _record_death(job: Job, error: dict[str, str]) -> None:
    task_id = str((job.kwargs or {}).get("task_id") or job.id)
    try:
        get_context().recorder.failed(task_id, error)
    except CL3Error as e:
        log.error("task %s: could not record its failure %s: %s", task_id, error, e)
