from __future__ import annotations

import json
import time

import requests
from rq import Queue

from cl3_common.exchange import RedisWeightGate
from cl3_common.exchange.hosts import ExchangeHosts
from cl3_common.refresh import plan_refreshes
from cl3_common.store import SeriesKey
from tests.helpers import wait_until

IDLE_QUEUE = {"queued": 0, "started": 0, "scheduled": 0, "deferred": 0, "failed": 0}
NO_BAN = {"banned": False, "banned_until": None, "paused_until": None}


def _health(api) -> dict:
    response = api.http.get("/health")
    assert response.status_code == 200, response.body
    assert response.headers["Cache-Control"] == "no-store"
    return json.loads(response.body)


def _gate(settings, redis_client, market: str = "spot") -> RedisWeightGate:
    """A host's gate exactly as workers build it (same Redis keys)."""
    hosts = ExchangeHosts(settings, redis_client, requests.Session(), clock=time.time,
                          sleep=time.sleep)  # fmt: skip
    return hosts.gate(market)


def test_health_reports_both_backends_up(api):
    assert _health(api) == {
        "status": "ok",
        "redis": True,
        "mongo": True,
        "store": {"backend": "sqlite", "ok": True},
        "exchange": {"spot": NO_BAN, "usdm": NO_BAN, "coinm": NO_BAN},
        "queues": {
            "cl3-ingest": IDLE_QUEUE,
            "cl3-analytics": IDLE_QUEUE,
            "cl3-export": IDLE_QUEUE,
        },
        "refresh": {"last_run_at": None, "age_s": None, "interval_s": 900},
    }


def test_a_ban_shows_until_it_expires(api, settings, redis_client):
    until = time.time() + 1.5
    _gate(settings, redis_client).ban(until)

    banned = _health(api)
    assert banned["status"] == "ok"  # reads still work during a ban
    assert banned["exchange"]["spot"] == {
        "banned": True, "banned_until": int(until * 1000), "paused_until": None,
    }  # fmt: skip
    assert banned["exchange"]["usdm"] == banned["exchange"]["coinm"] == NO_BAN

    lifted = wait_until(lambda: not _health(api)["exchange"]["spot"]["banned"], timeout_s=5)
    assert lifted
    assert time.time() >= until
    assert _health(api)["exchange"]["spot"] == NO_BAN


def test_each_host_has_its_own_breakers(api, settings, redis_client):
    _gate(settings, redis_client, "usdm").pause(30)
    _gate(settings, redis_client, "coinm").ban(time.time() + 60)
    exchange = _health(api)["exchange"]
    assert exchange["spot"] == NO_BAN
    usdm = exchange["usdm"]
    assert usdm["banned"] is False and usdm["paused_until"] is not None
    assert 29_000 <= usdm["paused_until"] - time.time() * 1000 <= 30_500
    assert exchange["coinm"]["banned"] is True and exchange["coinm"]["paused_until"] is None


def test_queue_depths_count_jobs_but_name_no_symbol(api, redis_client):
    queue = Queue("cl3-ingest", connection=redis_client)
    for i in range(3):
        queue.enqueue_call(func="builtins.print", kwargs={"symbol": "SECRETUSDT", "i": i})
    Queue("cl3-export", connection=redis_client).enqueue_call(func="builtins.print")

    response = api.http.get("/health")
    body = json.loads(response.body)
    assert body["queues"]["cl3-ingest"] == {**IDLE_QUEUE, "queued": 3}
    assert body["queues"]["cl3-export"] == {**IDLE_QUEUE, "queued": 1}
    assert body["queues"]["cl3-analytics"] == IDLE_QUEUE
    assert b"SECRETUSDT" not in response.body


def test_the_age_of_the_last_scheduled_refresh(api, redis_client, stores):
    stores.series.track(SeriesKey("BTCUSDT", "1h"))
    ran_at_ms = int(time.time() * 1000) - 42_000  # as if the scheduler ran 42 s ago
    plan_refreshes(redis_client, stores, ran_at_ms)

    refresh = _health(api)["refresh"]
    assert refresh["last_run_at"] == ran_at_ms
    assert 42 <= refresh["age_s"] < 50
    assert refresh["interval_s"] == 900
