"""`cl3 worker`: an RQ worker on the project's queues."""

from __future__ import annotations

import redis
from rq import Queue, Worker

from cl3_common.settings import Settings
from cl3_common.tasks import ALL_QUEUES


def run_worker(settings: Settings, queue_names: list[str], *, burst: bool) -> bool:
    # No socket timeout here: the worker blocks on BLPOP for longer than any request would.
    connection = redis.Redis.from_url(settings.REDIS_URL)
    unknown = set(queue_names) - set(ALL_QUEUES)
    if unknown:
        raise SystemExit(f"unknown queues {sorted(unknown)}; known: {', '.join(ALL_QUEUES)}")
    queues = [Queue(name, connection=connection) for name in queue_names or ALL_QUEUES]
    # A crashed worker's job is noticed once its heartbeat (monitoring interval + 60 s) lapses
    # and a maintenance pass runs: with these values a crash is retried within ~2 minutes
    # (RQ's defaults: 90 s heartbeat, maintenance every 10 minutes).
    worker = Worker(
        queues, connection=connection, job_monitoring_interval=10, maintenance_interval=60
    )
    # with_scheduler: crash retries are scheduled with a delay and need RQ's scheduler.
    return worker.work(burst=burst, with_scheduler=True, logging_level="INFO")
