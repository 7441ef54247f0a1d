"""The refresh job: the fetch job over [newest stored candle, now) of one tracked series.

The range is decided when the job runs, not when it was planned, so a refresh that waited in
the queue still ends at "now". Its bookkeeping (a `tasks` document and a progress hash, owner
`system:scheduler`) lives under the job's deterministic id, so the latest refresh of every
series can be read in MongoDB without the collection growing with each run.
"""

from __future__ import annotations

import logging
from typing import Any

from rq import get_current_job

from cl3_common.progress import ProgressStore
from cl3_common.refresh import SCHEDULER_OWNER, newest_stored_open_ms, refresh_job_id
from cl3_common.store import SeriesKey
from cl3_common.tasks import TaskType
from cl3_worker.context import WorkerContext, get_context
from cl3_worker.jobs.fetch import run_fetch

log = logging.getLogger("cl3.worker.refresh")


def refresh_series(
    symbol: str, interval: str, market: str = "spot", kind: str = "trade"
) -> dict[str, Any]:
    """RQ entry point (see cl3_common.tasks.contracts)."""
    key = SeriesKey(symbol, interval, market, kind)
    job = get_current_job()
    task_id = job.id if job is not None else refresh_job_id(key)
    return run_refresh(get_context(), task_id, key)


def run_refresh(ctx: WorkerContext, task_id: str, key: SeriesKey) -> dict[str, Any]:
    now_ms = int(ctx.clock() * 1000)
    start_ms = newest_stored_open_ms(ctx.stores, key)
    if start_ms is None:
        log.info("refresh %s: nothing stored yet, nothing to continue", key.label())
        return {**key.to_json(), "status": "skipped", "reason": "empty"}
    _reset_bookkeeping(ctx, task_id, key, start_ms, now_ms)
    # The newest stored candle is re-read on purpose: the insert is duplicate-safe and the
    # range then always holds at least one candle.
    return run_fetch(ctx, task_id, key, start_ms, now_ms)


def _reset_bookkeeping(
    ctx: WorkerContext, task_id: str, key: SeriesKey, start_ms: int, end_ms: int
) -> None:
    def clock_ms() -> int:
        return int(ctx.clock() * 1000)

    params = {**key.to_json(), "start_ms": start_ms, "end_ms": end_ms}
    ctx.stores.tasks.delete(task_id)
    ctx.stores.tasks.create(
        task_id, owner=SCHEDULER_OWNER, task_type=TaskType.REFRESH.value, params=params
    )
    ProgressStore(ctx.redis, clock_ms).create(
        task_id, task_type=TaskType.REFRESH.value, owner=SCHEDULER_OWNER
    )
