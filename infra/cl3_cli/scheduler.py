"""`cl3 scheduler`: the periodic refresh for deployments without EventBridge (`rq cron`).

RQ's cron scheduler enqueues the `plan_refreshes` task on the ingest queue every
REFRESH_INTERVAL_MINUTES (the first run right at start); a worker runs it through the job
runner like any task, and it enqueues one unique refresh per stale tracked series, the same
planner the Chalice `@app.schedule` function calls (cl3_common.refresh). Running two schedulers
is harmless (refreshes are deduplicated by task id), but one is enough. The scheduler shows up
in `rq info`'s Redis as `rq:cron_scheduler:*`.
"""

from __future__ import annotations

import logging
import os
import socket

import redis
from rq.cron import CronScheduler

from cl3_common.refresh import PLANNER_TASK_ID, SCHEDULER_OWNER
from cl3_common.settings import Settings
from cl3_common.tasks.contracts import CONTRACTS, TaskType, job_kwargs, rq_options

CRON_JOB_NAME = "cl3-plan-refreshes"


def build_cron(
    connection: redis.Redis, settings: Settings, *, interval_s: int | None = None
) -> CronScheduler:
    """A cron scheduler with the refresh planner registered (not started)."""
    from cl3_worker.runner import run_task

    cron = CronScheduler(
        connection=connection,
        name=f"cl3-scheduler:{socket.gethostname()}:{os.getpid()}",
        logging_level=logging.INFO,
    )
    options = rq_options(TaskType.PLAN_REFRESHES, SCHEDULER_OWNER)
    cron.register(
        run_task,
        queue_name=CONTRACTS[TaskType.PLAN_REFRESHES].queue,
        # The planner has no record before it runs: the runner creates it, owner included.
        kwargs=job_kwargs(TaskType.PLAN_REFRESHES, PLANNER_TASK_ID, {}, owner=SCHEDULER_OWNER),
        interval=interval_s or settings.REFRESH_INTERVAL_MINUTES * 60,
        job_timeout=options["timeout"],
        result_ttl=options["result_ttl"],
        failure_ttl=options["failure_ttl"],
        meta=options["meta"],
        name=CRON_JOB_NAME,
    )
    return cron


def run_scheduler(settings: Settings) -> int:
    """Runs until SIGINT/SIGTERM."""
    # No socket timeout: the scheduler sleeps between runs and must not die on idle sockets.
    connection = redis.Redis.from_url(settings.REDIS_URL)
    cron = build_cron(connection, settings)
    print(
        f"cl3 scheduler: refreshing tracked series every {settings.REFRESH_INTERVAL_MINUTES} "
        f"min via rq cron on queue {CONTRACTS[TaskType.PLAN_REFRESHES].queue}",
        flush=True,
    )
    cron.start()
    return 0
