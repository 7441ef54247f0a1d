"""`cl3 worker`: an RQ worker on the project's queues, tuned so a crashed job resumes in < 90 s,
with `/metrics` on `--metrics-port` (docs/operations.md, "Metrics and logs").

How RQ 3.0 notices a job whose worker died (SIGKILL, OOM, a lost host):

1. While a job runs, the worker process heartbeats every `job_monitoring_interval` seconds;
   each heartbeat moves the job's entry in the queue's StartedJobRegistry to
   `now + get_heartbeat_ttl()`, which RQ makes `min(interval, time left) + 60`.
2. A dead worker stops heartbeating; once its entry's time has passed, the next *maintenance
   pass* of any live worker (`StartedJobRegistry.cleanup`) calls the job's failure callback
   with AbandonedJobError and, while the job has retries left, puts it straight back on its
   queue (`Retry(max=n)` without intervals: no scheduler, no delay). The next free worker
   takes it and the job resumes from what is stored.
3. A worker runs maintenance only between jobs: before each blocking dequeue, when
   `maintenance_interval` has passed. The dequeue (BLPOP) waits `worker_ttl - 15` seconds.

RQ's defaults (heartbeat 30 s + 60 s, maintenance every 10 minutes, BLPOP 405 s) let a crashed
job wait over 5 minutes. CL3 heartbeats every 5 s with a grace of 30 s (the override below),
and an idle worker wakes every 10 s to run maintenance: a killed worker's job is back on its
queue at most 5 + 30 + 10 = 45 s after the kill, plus the time a worker needs to be free.

The grace is what protects a slow but live worker from having its job taken over: 30 s without
a heartbeat (the worker process blocked that long) is needed for a false alarm, and even then
the retry only repeats idempotent work. The worker's own Redis socket waits up to 5 minutes
(cl3_common.timeouts), so a Redis stall does not make it quit while its work horse runs on.
"""

from __future__ import annotations

import gc
import logging

import redis
from rq import Queue
from rq.job import Job

from cl3_common.settings import Settings
from cl3_common.tasks import ALL_QUEUES
from cl3_common.timeouts import WORKER_REDIS_TIMEOUT_S
from cl3_worker.observed_worker import ObservedWorker

HEARTBEAT_S = 5  # job_monitoring_interval: how often a busy worker says it is alive
HEARTBEAT_GRACE_S = 30  # RQ 3.0 hard-codes 60 s
WORKER_TTL_S = 25  # BLPOP waits worker_ttl - 15 = 10 s, then maintenance may run
MAINTENANCE_S = 10


log = logging.getLogger("cl3.worker")


class CL3Worker(ObservedWorker):
    """RQ's forking worker with a shorter heartbeat grace (see the module docstring), and a
    log line and metrics per job (cl3_worker.observed_worker)."""

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        interval = float(self.job_monitoring_interval)
        if job.timeout and job.timeout > 0:
            interval = min(job.timeout - working_time, interval)
        return int(interval) + HEARTBEAT_GRACE_S


def build_worker(connection: redis.Redis, queue_names: list[str]) -> CL3Worker:
    from cl3_worker.runner import record_horse_killed

    unknown = set(queue_names) - set(ALL_QUEUES)
    if unknown:
        raise SystemExit(f"unknown queues {sorted(unknown)}; known: {', '.join(ALL_QUEUES)}")
    queues = [Queue(name, connection=connection) for name in queue_names or ALL_QUEUES]
    return CL3Worker(
        queues,
        connection=connection,
        job_monitoring_interval=HEARTBEAT_S,
        worker_ttl=WORKER_TTL_S,
        maintenance_interval=MAINTENANCE_S,
        work_horse_killed_handler=record_horse_killed,
    )


def preload_job_code() -> None:
    """Imports every work function (and with them pandas, numpy, pyarrow...) in the worker
    itself. RQ forks a work horse per job: what the worker has imported, the horse inherits
    for free; otherwise every job pays the imports again (pandas alone ~1 s on a busy
    machine, and the archive path's parser threads all waited on it)."""
    import importlib

    import numpy  # noqa: F401
    import pandas  # noqa: F401

    from cl3_common.tasks.contracts import CONTRACTS, RUNNER

    for dotted in (RUNNER, *(contract.work for contract in CONTRACTS.values())):
        importlib.import_module(dotted.rsplit(".", 1)[0])


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
    preload_job_code()
    # Every job runs in a forked work horse: the collector need not walk (and so copy, page
    # by page) the objects the horse inherits. A year of 1m ran ~10% faster (bench/ingest.py).
    gc.freeze()
    connection = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=WORKER_REDIS_TIMEOUT_S)
    # No RQ scheduler: crash retries go straight back on their queue, nothing is delayed.
    worker = build_worker(connection, queue_names)
    return worker.work(burst=burst, logging_level=settings.LOG_LEVEL)


def _serve_metrics(settings: Settings, host: str, port: int) -> None:
    """Counts of this worker and of every job it ran, in files its work horses share."""
    from prometheus_client import start_http_server

    from cl3_common.observability.endpoint import metrics_registry
    from cl3_common.observability.exposition import enable_multiprocess

    enable_multiprocess()  # before any metric exists and before the first fork
    start_http_server(port, addr=host, registry=metrics_registry(settings))
    log.info("metrics on http://%s:%d/metrics", host, port)
