"""Ingestion under failure: bans, killed workers, shared budgets (API and workers as processes)."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from rq import Queue, Worker
from rq.job import Job
from rq.registry import StartedJobRegistry

from cl3_cli.processes import ProcessGroup
from cl3_common.settings import Settings
from cl3_common.store import SeriesKey, open_stores
from cl3_sandbox.exchange import SandboxConfig, SandboxExchange, expected_klines
from tests.helpers import wait_until

pytestmark = pytest.mark.e2e

DAY_MS = 86_400_000
JAN_2024 = 1_704_067_200_000


@pytest.fixture
def slow_exchange() -> Iterator[SandboxExchange]:
    with SandboxExchange(SandboxConfig(latency_ms=25), port=0) as ex:
        yield ex


@pytest.fixture
def worker_env(env, slow_exchange) -> dict[str, str]:
    return {**os.environ, **env, "BINANCE_BASE_URL": slow_exchange.url,
            "BINANCE_ARCHIVE_URL": slow_exchange.url, "ARCHIVE_BACKFILL": "false",
            "FETCH_CONCURRENCY": "2"}  # fmt: skip


def _submit(api, auth_headers, symbol: str, days: int, start_ms: int = JAN_2024) -> str:
    body = {"symbol": symbol, "interval": "1m", "start": start_ms, "end": start_ms + days * DAY_MS}
    response = api.http.post("/api/market-data/fetch", headers=auth_headers(tier="enterprise"),
                             body=json.dumps(body))  # fmt: skip
    assert response.status_code == 202, response.body
    return json.loads(response.body)["task_id"]


def _progress(api, auth_headers, task_id: str) -> dict:
    response = api.http.get(
        f"/api/task/{task_id}/progress", headers=auth_headers(tier="enterprise")
    )
    return json.loads(response.body)


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _stored_ids(env, symbol: str) -> list[int]:
    """Open times of every stored candle of the series (the store's keys: unique by design;
    the count kept by the writers must agree with them)."""
    key = SeriesKey(symbol, "1m")
    stores = open_stores(Settings.from_env(env))
    try:
        # Read while a worker may be writing: the count kept with each write can only grow
        # between the two looks, and the keys read in between must lie within it.
        before = stores.candles.bounds(key)
        times = stores.candles.open_times(key, 0, 2**62)
        after = stores.candles.bounds(key)
    finally:
        stores.close()
    low = before.count if before else 0
    high = after.count if after else 0
    assert low <= len(times) <= high
    return times


def test_a_418_stops_every_worker_until_retry_after(
    api, auth_headers, worker_env, slow_exchange, env, tmp_path: Path, redis_client
):
    tasks = [_submit(api, auth_headers, "BTCUSDT", 20), _submit(api, auth_headers, "ETHUSDT", 20)]
    samples: list[tuple[float, int, int]] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            stats = slow_exchange.stats()
            samples.append((time.monotonic(), int(stats["klines_requests"]),
                            int(stats["responses_418"])))  # fmt: skip
            time.sleep(0.02)

    with ProcessGroup(worker_env, tmp_path / "logs") as procs:
        procs.start("worker-a", "worker")
        procs.start("worker-b", "worker")
        wait_until(lambda: slow_exchange.stats()["klines_requests"] >= 6, timeout_s=60)
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        slow_exchange.inject(418, retry_after=3)
        wait_until(lambda: all(_progress(api, auth_headers, t)["status"] == "finished"
                               for t in tasks), timeout_s=120, interval_s=0.2)  # fmt: skip
        stop.set()
        sampler.join()

    banned_at = next(t for t, _, bans in samples if bans >= 1)
    during = [n for t, n, _ in samples if banned_at + 0.5 <= t <= banned_at + 2.8]
    assert during and during[0] == during[-1], "a request reached the exchange during the ban"
    assert samples[-1][1] > during[-1], "work resumed after the ban"
    for task, symbol in zip(tasks, ("BTCUSDT", "ETHUSDT"), strict=True):
        ids = _stored_ids(env, symbol)
        assert len(ids) == len(set(ids)) == 20 * 1440, task


@pytest.fixture
def crash_env(env) -> Iterator[dict[str, str]]:
    """About 0.4 s a page, two in flight: a 30-day 1m fetch (44 pages) takes ~9 s."""
    with SandboxExchange(SandboxConfig(latency_ms=400), port=0) as ex:
        yield {**os.environ, **env, "BINANCE_BASE_URL": ex.url, "BINANCE_ARCHIVE_URL": ex.url,
               "ARCHIVE_BACKFILL": "false", "FETCH_CONCURRENCY": "2"}  # fmt: skip


def _busy_worker(redis_client, task_id: str) -> Worker:
    def found() -> Worker | None:
        return next((w for w in Worker.all(connection=redis_client)
                     if w.get_current_job_id() == task_id), None)  # fmt: skip

    return wait_until(found, timeout_s=30)


def _kill_worker_and_horse(pid: int) -> None:
    """kill -9 of the worker and its work horse (RQ puts the horse in a process group of its
    own); the parent first, so it cannot notice the horse die and clean up after it."""
    children = _children(pid)
    for victim in (pid, *children):
        os.kill(victim, signal.SIGKILL)


def test_a_killed_workers_job_resumes_within_90_s_on_another_worker(
    api, auth_headers, crash_env, env, tmp_path: Path, redis_client
):
    task = _submit(api, auth_headers, "SOLUSDT", 30)  # 44 REST pages
    with ProcessGroup(crash_env, tmp_path / "logs") as procs:
        first = procs.start("worker-1", "worker")
        wait_until(lambda: _progress(api, auth_headers, task)["pages_done"] >= 4, timeout_s=60)
        procs.start("worker-2", "worker")  # idle, waiting for work
        wait_until(lambda: len(Worker.all(connection=redis_client)) == 2, timeout_s=30)
        assert _busy_worker(redis_client, task).pid == first.pid
        wait_until(lambda: _progress(api, auth_headers, task)["pages_done"] >= 8, timeout_s=60)
        _kill_worker_and_horse(first.pid)
        killed_at = time.monotonic()
        first.wait()
        partial = len(_stored_ids(env, "SOLUSDT"))
        assert 0 < partial < 30 * 1440
        seen_before = _progress(api, auth_headers, task)["progress"]

        # Resumed: the other worker runs it and stores more candles.
        wait_until(lambda: len(_stored_ids(env, "SOLUSDT")) > partial, timeout_s=120,
                   interval_s=0.5)  # fmt: skip
        resumed_after_s = time.monotonic() - killed_at
        print(f"the killed worker's job resumed after {resumed_after_s:.1f} s")
        assert resumed_after_s < 90
        seen: list[int] = []

        def finished() -> bool:
            progress = _progress(api, auth_headers, task)
            seen.append(progress["progress"])
            return progress["status"] == "finished"

        wait_until(finished, timeout_s=120, interval_s=0.1)

    assert all(p >= seen_before for p in seen) and seen == sorted(seen) and seen[-1] == 100
    ids = _stored_ids(env, "SOLUSDT")
    expected = expected_klines("SOLUSDT", "1m", JAN_2024, JAN_2024 + 30 * DAY_MS - 1,
                               now_ms=JAN_2024 + 60 * DAY_MS)  # fmt: skip
    assert ids == [r[0] for r in expected]  # complete, ascending, no duplicates
    result = json.loads(api.http.get(f"/api/task/{task}/result",
                                     headers=auth_headers(tier="enterprise")).body)  # fmt: skip
    assert result["candles_in_range"] == len(expected) and result["gaps"] == []
    assert result["pages_skipped"] >= 8, result  # resumed: stored pages were not fetched again
    assert Queue("cl3-ingest", connection=redis_client).count == 0


def test_a_worker_lost_on_the_last_attempt_fails_the_task_with_its_reason(
    api, auth_headers, crash_env, env, tmp_path: Path, redis_client, monkeypatch
):
    """RQ's abandoned-job handling calls our failure callback, which records the failure."""
    task = _submit(api, auth_headers, "SOLUSDT", 30)
    job = Job.fetch(task, connection=redis_client)
    job.retries_left = 0  # as if earlier attempts had died already
    job.save()
    with ProcessGroup(crash_env, tmp_path / "logs") as procs:
        victim = procs.start("worker-1", "worker")
        wait_until(lambda: _progress(api, auth_headers, task)["pages_done"] >= 4, timeout_s=60)
        _kill_worker_and_horse(victim.pid)
        victim.wait()
    assert _progress(api, auth_headers, task)["status"] == "started"  # nobody recorded it yet

    # A live worker's maintenance pass (here, in this process, its heartbeat long expired).
    for name, value in crash_env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr("cl3_worker.context._cached", None)
    StartedJobRegistry("cl3-ingest", connection=redis_client).cleanup(timestamp=time.time() + 120)

    progress = _progress(api, auth_headers, task)
    assert progress["status"] == "failed" and progress["ended_at"] is not None
    assert progress["error"]["code"] == "worker_lost"
    answer = api.http.get(f"/api/task/{task}/result", headers=auth_headers(tier="enterprise"))
    assert answer.status_code == 409
    assert json.loads(answer.body)["error"]["code"] == "task_failed"
