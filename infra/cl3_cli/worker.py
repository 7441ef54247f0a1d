"""`cl3 worker`: an RQ worker on the project's queues, with `/metrics` when asked."""

from __future__ import annotations

import logging

import redis
from rq import Queue

from cl3_common.settings import Settings
from cl3_common.tasks import ALL_QUEUES

log = logging.getLogger("cl3.worker")


def run_worker(
    settings: Settings,
    queue_names: list[str],
    *,
    burst: bool,
    metrics_port: int | None = None,
    metrics_host: str = "127.0.0.1",
) -> bool:
    if metrics_port is not None and settings.METRICS_ENABLED:
        _serve_metrics(settings, metrics_host, metrics_port)
    from cl3_worker.observed_worker import ObservedWorker

    # No socket timeout here: the worker blocks on BLPOP for longer than any request would.
    connection = redis.Redis.from_url(settings.REDIS_URL)
    unknown = set(queue_names) - set(ALL_QUEUES)
    if unknown:
        raise SystemExit(f"unknown queues {sorted(unknown)}; known: {', '.join(ALL_QUEUES)}")
    queues = [Queue(name, connection=connection) for name in queue_names or ALL_QUEUES]
    # A crashed worker's job is noticed once its heartbeat (monitoring interval + 60 s) lapses
    # and a maintenance pass runs: with these values a crash is retried within ~2 minutes
    # (RQ's defaults: 90 s heartbeat, maintenance every 10 minutes).
    worker = ObservedWorker(
        queues, connection=connection, job_monitoring_interval=10, maintenance_interval=60
    )
    # with_scheduler: crash retries are scheduled with a delay and need RQ's scheduler.
    return worker.work(burst=burst, with_scheduler=True, logging_level=settings.LOG_LEVEL)


def _serve_metrics(settings: Settings, host: str, port: int) -> None:
    """Counts of this worker and of every job it ran, in files its work horses share."""
    from prometheus_client import start_http_server

    from cl3_common.observability.endpoint import metrics_registry
    from cl3_common.observability.exposition import enable_multiprocess

    enable_multiprocess()  # before any metric exists and before the first fork
    start_http_server(port, addr=host, registry=metrics_registry(settings))
    log.info("metrics on http://%s:%d/metrics", host, port)
