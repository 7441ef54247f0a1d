"""The scheduled refresh through chalice.test.Client: one unique refresh per stale series."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from chalice.test import Client
from rq import Queue
from rq.job import Job, JobStatus

from chalicelib.factory import create_app
from chalicelib.runtime import Runtime
from chalicelib.scheduled import REFRESH_FUNCTION_NAME
from cl3_common.intervals import add_candles, align_down
from cl3_common.refresh import (
    enqueue_refresh,
    funding_refresh_task_id,
    is_stale,
    refresh_task_id,
)
from cl3_common.settings import Settings
from cl3_common.store import FundingKey, SeriesKey
from cl3_common.tasks import TaskService
from cl3_common.tasks.contracts import QUEUE_INGEST, RUNNER

HOUR_MS = 3_600_000
BTC_1H = SeriesKey("BTCUSDT", "1h")
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def frozen_now_ms() -> int:
    return int(time.time() * 1000)


@pytest.fixture
def scheduled_app(settings: Settings, frozen_now_ms: int) -> Iterator[Client]:
    runtime = Runtime.from_settings(settings, clock=lambda: frozen_now_ms / 1000)
    with Client(create_app(lambda: runtime)) as client:
        yield client
    runtime.stores.close()


@pytest.fixture
def tracked(runtime: Runtime, seed_candles: Any, frozen_now_ms: int) -> dict[str, list[str]]:
    """Two stale series, one fresh, one tracked without candles, one stale but untracked."""
    now = frozen_now_ms
    last_closed_1h = align_down(now, "1h") - HOUR_MS
    seed_candles("BTCUSDT", "1h", last_closed_1h - 5 * HOUR_MS)  # 5 closed candles missing
    seed_candles("BNBUSDT", "1d", align_down(now, "1d") - 3 * 24 * HOUR_MS)
    seed_candles("ETHUSDT", "1h", last_closed_1h)  # the newest closed candle is stored
    seed_candles("XRPUSDT", "1h", last_closed_1h - 10 * HOUR_MS)  # stale, never tracked
    for symbol, interval in (("BTCUSDT", "1h"), ("BNBUSDT", "1d"), ("ETHUSDT", "1h"),
                             ("SOLUSDT", "1h")):  # fmt: skip
        runtime.stores.series.track(SeriesKey(symbol, interval), first_ms=now - 30 * 24 * HOUR_MS)
    return {
        "stale": [refresh_task_id(BTC_1H), refresh_task_id(SeriesKey("BNBUSDT", "1d"))],
        "fresh": ["ETHUSDT 1h"],
        "empty": ["SOLUSDT 1h"],
    }


def _invoke(client: Client) -> dict[str, Any]:
    event = client.events.generate_cw_event(
        source="aws.events",
        detail_type="Scheduled Event",
        detail={},
        resources=["arn:aws:events:us-east-1:123456789012:rule/refresh_tracked_series-event"],
    )
    response = client.lambda_.invoke(REFRESH_FUNCTION_NAME, event)
    return response.payload


def test_staleness_is_one_interval_past_the_newest_candle():
    opened = 1_700_000_000_000 - 1_700_000_000_000 % HOUR_MS
    assert not is_stale(opened, "1h", opened + 2 * HOUR_MS - 1)
    assert is_stale(opened, "1h", opened + 2 * HOUR_MS)
    assert not is_stale(None, "1h", opened + 100 * HOUR_MS)
    jan = 1_704_067_200_000  # 2024-01-01: a 1M candle; February's closes on 2024-03-01
    assert not is_stale(jan, "1M", add_candles(jan, "1M", 2) - 1)
    assert is_stale(jan, "1M", add_candles(jan, "1M", 2))


def test_one_refresh_per_stale_series_and_none_extra_when_invoked_twice(
    scheduled_app, tracked, redis_client
):
    queue = Queue(QUEUE_INGEST, connection=redis_client)

    first = _invoke(scheduled_app)
    assert sorted(queue.job_ids) == sorted(tracked["stale"])
    assert sorted(first["enqueued"]) == ["BNBUSDT 1d", "BTCUSDT 1h"]
    assert first["fresh"] == tracked["fresh"] and first["empty"] == tracked["empty"]
    assert first["checked"] == 4

    job = Job.fetch(refresh_task_id(BTC_1H), connection=redis_client)
    assert job.func_name == RUNNER
    assert job.kwargs == {
        "task_type": "refresh",
        "task_id": refresh_task_id(BTC_1H),
        "params": {"symbol": "BTCUSDT", "interval": "1h", "market": "spot", "kind": "trade"},
    }
    assert job.meta["type"] == "refresh"

    second = _invoke(scheduled_app)
    assert second["enqueued"] == [] and sorted(second["pending"]) == ["BNBUSDT 1d", "BTCUSDT 1h"]
    assert sorted(queue.job_ids) == sorted(tracked["stale"])  # still exactly one per series


def test_refresh_jobs_bring_series_up_to_date(
    scheduled_app, tracked, redis_client, stores, run_worker_burst, frozen_now_ms
):
    _invoke(scheduled_app)
    done = run_worker_burst(QUEUE_INGEST)
    assert done.returncode == 0, done.stderr[-3000:]

    newest = stores.candles.bounds(BTC_1H)
    assert newest is not None
    last_closed = align_down(int(time.time() * 1000), "1h") - HOUR_MS
    assert newest.last_open_time >= min(last_closed, align_down(frozen_now_ms, "1h") - HOUR_MS)
    task = stores.tasks.get(refresh_task_id(BTC_1H))
    assert task["status"] == "finished" and task["owner"] == "system:scheduler"
    assert task["type"] == "refresh" and task["result"]["candles_written"] >= 5
    assert task["result"]["start"] == align_down(frozen_now_ms, "1h") - 6 * HOUR_MS
    assert task["result"]["warnings"] == [] and task["error"] is None

    # Fresh now: the next scheduled run enqueues nothing.
    again = _invoke(scheduled_app)
    assert again["enqueued"] == [] and "BTCUSDT 1h" in again["fresh"]
    assert Queue(QUEUE_INGEST, connection=redis_client).count == 0


def test_a_failed_refresh_does_not_block_the_next_one(redis_client, stores):
    tasks = TaskService(redis_client, stores.tasks, lambda: int(time.time() * 1000))
    job_id = refresh_task_id(BTC_1H)
    assert enqueue_refresh(redis_client, tasks, BTC_1H) is True
    assert enqueue_refresh(redis_client, tasks, BTC_1H) is False  # pending

    # Its worker died on the last attempt: RQ failed the job, our record still says queued.
    job = Job.fetch(job_id, connection=redis_client)
    queue = Queue(QUEUE_INGEST, connection=redis_client)
    queue.remove(job_id)
    job.set_status(JobStatus.FAILED)
    state = tasks.reader.read(job_id)
    assert state is not None and state.status == "failed" and state.error["code"] == "internal"
    assert enqueue_refresh(redis_client, tasks, BTC_1H) is True  # the failed one is replaced
    assert queue.job_ids == [job_id]
    assert Job.fetch(job_id, connection=redis_client).get_status() == "queued"
    assert tasks.reader.read(job_id).status == "queued"  # a fresh record for the new run


def test_the_lambda_handler_works_without_app_py(env, tracked, redis_client):
    """In AWS the rule invokes `chalicelib.scheduled.refresh_tracked_series` on its own."""
    code = (
        "import json; from chalicelib.scheduled import refresh_tracked_series as handler; "
        "print(json.dumps(handler({'detail-type': 'Scheduled Event', 'source': 'aws.events', "
        "'detail': {}, 'resources': [], 'time': '2024-01-01T00:00:00Z', 'region': 'us-east-1', "
        "'account': '1', 'id': 'x', 'version': '0'}, None)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT / "functions", env={**os.environ, **env},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert sorted(report["enqueued"]) == ["BNBUSDT 1d", "BTCUSDT 1h"]
    assert Queue(QUEUE_INGEST, connection=redis_client).count == 2


def test_tracked_funding_series_are_refreshed_once_the_next_event_is_due(
    scheduled_app, runtime, redis_client, stores, run_worker_burst, frozen_now_ms, exchange
):
    """A funding series someone fetched is refreshed from its newest stored event to now."""
    btc, eth = FundingKey("usdm", "BTCUSDT"), FundingKey("usdm", "ETHUSDT")

    def served(symbol: str, start: int) -> tuple:  # the exchange's event at or after `start`
        (row,) = requests.get(
            f"{exchange.url}/fapi/v1/fundingRate",
            timeout=10,
            params={"symbol": symbol, "startTime": start, "limit": 1},
        ).json()
        return (row["fundingTime"], float(row["fundingRate"]), None, None)

    last_8h = frozen_now_ms - frozen_now_ms % (8 * HOUR_MS)
    # BTCUSDT: its newest event two intervals ago (one more is due); ETHUSDT: the latest one.
    stores.funding.insert(btc, [served("BTCUSDT", last_8h - 16 * HOUR_MS)])
    latest_eth = requests.get(
        f"{exchange.url}/fapi/v1/fundingRate", timeout=10, params={"symbol": "ETHUSDT", "limit": 1}
    ).json()[0]
    stores.funding.insert(eth, [(latest_eth["fundingTime"], 0.0001, None, 4)])
    for key in (btc, eth, FundingKey("coinm", "BTCUSD_PERP")):
        runtime.stores.funding.track(key)
    report = _invoke(scheduled_app)
    assert report["enqueued"] == ["BTCUSDT funding (usdm)"]
    assert report["fresh"] == ["ETHUSDT funding (usdm)"]
    assert report["empty"] == ["BTCUSD_PERP funding (coinm)"]
    task_id = funding_refresh_task_id(btc)
    assert Queue(QUEUE_INGEST, connection=redis_client).job_ids == [task_id]
    assert _invoke(scheduled_app)["pending"] == ["BTCUSDT funding (usdm)"]

    done = run_worker_burst(QUEUE_INGEST)
    assert done.returncode == 0, done.stderr[-3000:]
    task = stores.tasks.get(task_id)
    assert task["status"] == "finished" and task["type"] == "funding_refresh", task
    events = stores.funding.read(btc, last_8h - 16 * HOUR_MS, frozen_now_ms + 1)
    assert [e[0] // HOUR_MS * HOUR_MS for e in events] == [
        last_8h - 16 * HOUR_MS,
        last_8h - 8 * HOUR_MS,
        last_8h,
    ]
    # The seeded event lacked its interval and mark price: the refresh (which reads a day back
    # to measure intervals) filled them in, and measured the new events.
    assert [e[3] for e in events] == [8, 8, 8] and all(e[2] is not None for e in events)
