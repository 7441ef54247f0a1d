"""`cl3 scheduler`: rq cron enqueues the refresh planner; a worker turns it into refreshes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from rq import Queue
from rq.cron import CronScheduler
from rq.job import Job

from cl3_cli.scheduler import CRON_JOB_NAME, build_cron
from cl3_common.intervals import align_down
from cl3_common.refresh import PLANNER_TASK_ID, refresh_task_id
from cl3_common.store import SeriesKey
from cl3_common.tasks.contracts import QUEUE_INGEST, RUNNER
from tests.helpers import wait_until

HOUR_MS = 3_600_000

ETH_1H = SeriesKey("ETHUSDT", "1h")


def _planner_jobs(queue: Queue) -> list[Job]:
    return [j for j in queue.get_jobs()
            if j.func_name == RUNNER and j.kwargs["task_type"] == "plan_refreshes"]  # fmt: skip


def test_rq_cron_enqueues_the_planner_every_interval(redis_client, settings):
    queue = Queue(QUEUE_INGEST, connection=redis_client)
    cron = build_cron(redis_client, settings, interval_s=1)
    assert [j.name for j in cron.get_jobs()] == [CRON_JOB_NAME]

    assert len(cron.enqueue_jobs()) == 1  # an interval job runs once right away
    assert cron.enqueue_jobs() == []  # not due yet
    time.sleep(1.05)
    assert len(cron.enqueue_jobs()) == 1
    jobs = _planner_jobs(queue)
    assert len(jobs) == 2 and all(j.meta["type"] == "plan_refreshes" for j in jobs)
    assert all(j.kwargs["task_id"] == PLANNER_TASK_ID for j in jobs)


def test_cl3_scheduler_process_leads_to_the_refresh(
    redis_client, env, stores, seed_candles, run_worker_burst
):
    now = int(time.time() * 1000)
    stale_open = align_down(now, "1h") - 4 * HOUR_MS
    seed_candles("ETHUSDT", "1h", stale_open)
    stores.series.track(ETH_1H, first_ms=stale_open)
    queue = Queue(QUEUE_INGEST, connection=redis_client)

    proc = subprocess.Popen(
        [sys.executable, "-m", "cl3_cli", "scheduler"],
        env={**os.environ, **env, "REFRESH_INTERVAL_MINUTES": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until(lambda: _planner_jobs(queue), timeout_s=20)
        schedulers = CronScheduler.all(redis_client)
        assert len(schedulers) == 1 and schedulers[0].pid == proc.pid
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=15)
    assert proc.returncode == 0, output
    assert "refreshing tracked series every 1 min" in output
    assert CronScheduler.all(redis_client) == []  # it deregistered on SIGTERM

    # A worker runs the planner, which enqueues the refresh, which the same worker runs.
    done = run_worker_burst(QUEUE_INGEST)
    assert done.returncode == 0, done.stderr[-3000:]
    task = stores.tasks.get(refresh_task_id(ETH_1H))
    assert task is not None and task["status"] == "finished", done.stderr[-3000:]
    assert task["result"]["candles_written"] >= 3
    planner = stores.tasks.get(PLANNER_TASK_ID)  # the planner is a task like any other
    assert planner["status"] == "finished" and planner["owner"] == "system:scheduler"
    assert planner["result"]["enqueued"] == ["ETHUSDT 1h"]
