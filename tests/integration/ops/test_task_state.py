"""The one task model: written by TaskRecorder, read by TaskReader, consistent across the
progress hash, the task store and RQ (real Redis and the SQLite store)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from rq.job import Job

from cl3_common.auth import Principal
from cl3_common.errors import NotFinished, TooManyJobs, Unavailable
from cl3_common.store import Stores
from cl3_common.tasks import TaskService, TaskType
from cl3_common.tasks.keys import progress_key
from cl3_common.tasks.progress import LOST_AFTER_MS

NOW = 1_750_000_000_000
USER = Principal(sub="user-state", tier="pro", exp=2**31)
PARAMS = {"symbol": "BTCUSDT", "interval": "1h", "start_ms": NOW - 10**8, "end_ms": NOW}


class Clock:
    def __init__(self) -> None:
        self.ms = NOW

    def __call__(self) -> int:
        return self.ms


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(redis_client, stores: Stores, clock: Clock) -> TaskService:
    return TaskService(redis_client, stores.tasks, clock)


def _submit(service: TaskService, **params: Any) -> str:
    task_id, created = service.submit(USER, TaskType.FETCH, {**PARAMS, **params},
                                      max_concurrent=5)  # fmt: skip
    assert created
    return task_id


def test_a_finished_task_outlives_its_progress_hash(service, redis_client):
    task_id = _submit(service)
    assert service.recorder.started(task_id) == 1
    assert service.recorder.finished(task_id, {"candles_written": 7})
    redis_client.delete(progress_key(task_id))  # expired after 7 days

    state = service.reader.read(task_id, with_result=True)
    assert state.status == "finished" and state.progress == 100 and state.ended_at == NOW
    assert service.result(USER, task_id) == {"task_id": task_id, "type": "fetch",
                                             "candles_written": 7}  # fmt: skip


def test_a_failure_is_recorded_even_while_the_task_store_is_down(service, stores, redis_client):
    task_id = _submit(service)
    service.recorder.started(task_id)

    class DownTasks:
        def __getattr__(self, name: str) -> Any:
            def call(*a: Any, **k: Any) -> Any:
                raise Unavailable("mongodb is unreachable", system="mongodb")

            return call

    down = TaskService(redis_client, DownTasks(), lambda: NOW + 5)  # type: ignore[arg-type]
    error = {"code": "unavailable", "message": "mongodb is unreachable"}
    assert down.recorder.failed(task_id, error)

    body = service.progress(USER, task_id)
    assert body["status"] == "failed" and body["error"] == error and body["ended_at"] == NOW + 5
    with pytest.raises(NotFinished) as refused:
        service.result(USER, task_id)
    assert refused.value.code == "task_failed" and "mongodb is unreachable" in refused.value.message
    assert stores.tasks.get(task_id)["status"] == "started"  # the store was down: Redis has it


def test_a_task_whose_job_vanished_is_reported_lost(service, redis_client, clock):
    task_id = _submit(service)
    Job.fetch(task_id, connection=redis_client).delete()  # e.g. Redis lost the queue
    assert service.progress(USER, task_id)["status"] == "queued"  # within the grace
    clock.ms += LOST_AFTER_MS + 1
    body = service.progress(USER, task_id)
    assert body["status"] == "failed" and body["error"]["code"] == "worker_lost"
    assert body["ended_at"] is not None
    for n in range(5):  # and it no longer counts against the cap of 5
        _submit(service, end_ms=NOW + 1 + n)


def test_the_first_end_wins_in_both_stores(service, stores):
    task_id = _submit(service)
    service.recorder.started(task_id)
    assert service.cancel(USER, task_id) == {"task_id": task_id, "status": "canceled"}
    assert not service.recorder.finished(task_id, {"candles_written": 1})  # too late
    assert not service.recorder.failed(task_id, {"code": "internal", "message": "late"})
    assert service.progress(USER, task_id)["status"] == "canceled"
    doc = stores.tasks.get(task_id)
    assert doc["status"] == "canceled" and doc["error"]["code"] == "canceled"
    assert service.recorder.started(task_id) == 0  # a late attempt does not run


def test_the_cap_counts_pending_tasks_and_an_identical_request_shares_one(service):
    first = _submit(service)
    again, created = service.submit(USER, TaskType.FETCH, PARAMS, max_concurrent=5)
    assert (again, created) == (first, False)
    for n in range(4):
        _submit(service, end_ms=NOW + 1 + n)
    with pytest.raises(TooManyJobs) as refused:
        service.submit(USER, TaskType.FETCH, {**PARAMS, "end_ms": NOW + 9}, max_concurrent=5)
    assert "5 tasks already queued or running" in refused.value.message
    service.recorder.finished(first, {})  # one ends: one more fits
    _submit(service, end_ms=NOW + 9)


def test_progress_state_fields_are_the_documented_ones(service):
    task_id = _submit(service)
    state = service.reader.read(task_id)
    assert dataclasses.asdict(state)["owner"] == USER.sub
    assert set(service.progress(USER, task_id)) == {
        "task_id", "type", "status", "progress", "pages_done", "pages_total", "candles_written",
        "candles_per_s", "eta_s", "error", "created_at", "started_at", "ended_at",
    }  # fmt: skip


def test_a_failed_tasks_requeued_job_runs_it_again(service, stores):
    """An operator requeues a failed job after fixing the cause: the task starts over."""
    task_id = _submit(service)
    service.recorder.started(task_id)
    service.recorder.failed(task_id, {"code": "unavailable", "message": "down"})
    assert service.recorder.started(task_id) == 2
    body = service.progress(USER, task_id)
    assert body["status"] == "started" and body["error"] is None and body["ended_at"] is None
    assert stores.tasks.get(task_id)["error"] is None
    assert service.recorder.finished(task_id, {"candles_written": 3})
    assert service.result(USER, task_id)["candles_written"] == 3
