"""`cl3 scheduler`: the periodic refresh for deployments without EventBridge (`rq cron`).

RQ's cron scheduler enqueues `cl3_common.refresh.scheduled_refresh` on the ingest queue every
REFRESH_INTERVAL_MINUTES (the first run right at start); a worker runs it, and it enqueues one
unique refresh job per stale tracked series, the same planner the Chalice `@app.schedule`
function uses. Running two schedulers is harmless (refreshes are deduplicated by job id), but
one is enough. The scheduler shows up in `rq info`'s Redis as `rq:cron_scheduler:*`.
"""

from __future__ import annotations

import logging
import os
import socket

import redis
from rq.cron import CronScheduler

from cl3_common.refresh import scheduled_refresh
from cl3_common.settings import Settings
from cl3_common.tasks.contracts import QUEUE_INGEST

CRON_JOB_NAME = "cl3-refresh-tracked-series"
PLANNER_TIMEOUT_S = 300
PLANNER_RESULT_TTL_S = 86_400


def build_cron(
    connection: redis.Redis, settings: Settings, *, interval_s: int | None = None
) -> CronScheduler:
    """A cron scheduler with the refresh planner registered (not started)."""
    cron = CronScheduler(
        connection=connection,
        name=f"cl3-scheduler:{socket.gethostname()}:{os.getpid()}",
        logging_level=logging.INFO,
    )
    cron.register(
        scheduled_refresh,
        queue_name=QUEUE_INGEST,
        interval=interval_s or settings.REFRESH_INTERVAL_MINUTES * 60,
        job_timeout=PLANNER_TIMEOUT_S,
        result_ttl=PLANNER_RESULT_TTL_S,
        failure_ttl=7 * 86_400,
        meta={"owner": "system:scheduler", "type": "refresh-planner"},
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
        f"min via rq cron on queue {QUEUE_INGEST}",
        flush=True,
    )
    cron.start()
    return 0
