"""Backends failing mid-task, with the API and a worker as processes.

- kill -9 of the MongoDB wire server (the `mongodb` backend), restarted 15 s later;
- SIGSTOP of Redis for 15 s;
- an archive host that refuses connections.

Meanwhile every request answers within 3 s (503 where it needs the failed backend); afterwards
the task finishes with exactly the candles the exchange serves.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cl3_cli.processes import free_port
from cl3_cli.services import LocalServices
from cl3_common.settings import Settings
from cl3_common.store import SeriesKey, open_stores, row_to_api
from tests.e2e.stack import Stack, expected_candles, running_stack, timed
from tests.helpers import wait_until

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
JAN_2024 = 1_704_067_200_000
MINUTE_MS = 60_000
OUTAGE_S = 15
REPLY_WITHIN_S = 3.0


@pytest.fixture
def slow_exchange_env(env: dict[str, str]) -> Iterator[dict[str, str]]:
    """About 1 s a REST page, one page at a time: a 10,000-candle fetch takes ~10 s."""
    from cl3_sandbox.exchange import SandboxConfig, SandboxExchange

    with SandboxExchange(SandboxConfig(latency_ms=1000), port=0) as exchange:
        yield {**env, "BINANCE_BASE_URL": exchange.url, "BINANCE_ARCHIVE_URL": exchange.url,
               "ARCHIVE_BACKFILL": "false", "FETCH_CONCURRENCY": "1"}  # fmt: skip


def _pid(services: LocalServices, name: str) -> int:
    return int((services.home / "run" / f"{name}.pid").read_text().strip())


def _sample_during(stack: Stack, task_id: str, seconds: float) -> list[tuple[str, int, float]]:
    """Requests of every kind, one after another, for `seconds`: (what, status, duration)."""
    urls = {
        "health": f"{stack.base}/health",
        "candles": f"{stack.base}/api/market-data/BTCUSDT/1m?limit=5",
        "progress": f"{stack.base}/api/task/{task_id}/progress",
    }
    samples = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for what, url in urls.items():
            status, took = timed(lambda url=url: stack.http.get(url, timeout=10))
            samples.append((what, status, took))
    statuses = sorted({s for _, s, _ in samples})
    print(f"{len(samples)} requests during the outage: statuses {statuses}, "
          f"slowest {max(t for *_, t in samples):.2f} s")  # fmt: skip
    return samples


def _assert_complete(stack: Stack, env: dict[str, str], task_id: str, start: int, end: int):
    final = stack.wait_ended(task_id, timeout_s=240)
    assert final["status"] == "finished", (final, stack.log("worker-1"))
    assert final["error"] is None and final["ended_at"] is not None and final["progress"] == 100
    expected = expected_candles("BTCUSDT", "1m", start, end)
    result = stack.result(task_id)
    assert result["candles_in_range"] == len(expected) and result["gaps"] == []
    # Read back through the store as a worker does (FerretDB scans for every query, too slow
    # for the API's 2.5 s request budget on a loaded machine).
    stores = open_stores(Settings.from_env(env))
    try:
        stored = [
            row_to_api(r) for r in stores.candles.read(SeriesKey("BTCUSDT", "1m"), start, end)
        ]
        kept = stores.candles.bounds(SeriesKey("BTCUSDT", "1m"))
    finally:
        stores.close()
    assert kept is not None and kept.count == len(expected)  # what coverage reports
    assert len(stored) == len(expected)
    for candle, want in zip(stored, expected, strict=True):
        assert candle == want


def test_a_killed_mongodb_server_is_waited_out(slow_exchange_env, token, tmp_path):
    mongo = LocalServices(tmp_path / "ferretdb", mongo_port=free_port(),
                          tools_dir=ROOT / ".cl3" / "tools")  # fmt: skip
    mongo.up(log=lambda m: None, which=("mongo",))
    env = {**slow_exchange_env, "STORE_BACKEND": "mongodb", "MONGODB_URI": mongo.mongodb_uri,
           "MONGODB_DB": "cl3_outage"}  # fmt: skip
    start, end = JAN_2024, JAN_2024 + 10_000 * MINUTE_MS
    try:
        with running_stack(env, tmp_path / "logs", token(tier="enterprise")) as stack:
            task_id = stack.post_fetch("BTCUSDT", "1m", start, end)
            wait_until(lambda: stack.progress(task_id)["pages_done"] >= 2, timeout_s=60)
            os.kill(_pid(mongo, "mongo"), signal.SIGKILL)
            samples = _sample_during(stack, task_id, OUTAGE_S)
            mongo.up(log=lambda m: None, which=("mongo",))  # the same data directory
            _assert_complete(stack, env, task_id, start, end)
    finally:
        mongo.down(log=lambda m: None, which=("mongo",))

    assert all(took < REPLY_WITHIN_S for _, _, took in samples), max(t for *_, t in samples)
    by_kind = {what: {s for w, s, _ in samples if w == what} for what, _, _ in samples}
    assert by_kind["health"] == {503} and by_kind["candles"] == {503}
    assert by_kind["progress"] == {200}  # live progress lives in Redis, which is up
    assert len(samples) >= 3 * 3


def test_a_stalled_redis_is_waited_out(env, token, tmp_path, slow_exchange_env):
    redis_home = LocalServices(tmp_path / "redis", redis_port=free_port())
    redis_home.up(log=lambda m: None, which=("redis",))
    stack_env = {**slow_exchange_env, "REDIS_URL": redis_home.redis_url}
    start, end = JAN_2024, JAN_2024 + 10_000 * MINUTE_MS
    pid = _pid(redis_home, "redis")
    try:
        with running_stack(stack_env, tmp_path / "logs", token(tier="enterprise")) as stack:
            task_id = stack.post_fetch("BTCUSDT", "1m", start, end)
            wait_until(lambda: stack.progress(task_id)["pages_done"] >= 2, timeout_s=60)
            os.kill(pid, signal.SIGSTOP)
            try:
                samples = _sample_during(stack, task_id, OUTAGE_S)
            finally:
                os.kill(pid, signal.SIGCONT)
            _assert_complete(stack, stack_env, task_id, start, end)
    finally:
        redis_home.down(log=lambda m: None, which=("redis",))

    assert all(took < REPLY_WITHIN_S for _, _, took in samples), max(t for *_, t in samples)
    assert {status for _, status, _ in samples} == {503}  # everything needs Redis (auth, health)
    assert len(samples) >= 3 * 2


def test_a_closed_archive_host_falls_back_to_rest_with_a_warning(env, token, tmp_path):
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    stack_env = {**env, "BINANCE_ARCHIVE_URL": closed, "ARCHIVE_BACKFILL": "true"}
    start, end = JAN_2024 + 90 * MINUTE_MS, JAN_2024 + 3 * 1440 * MINUTE_MS  # 2 whole days
    with running_stack(stack_env, tmp_path / "logs", token(tier="enterprise")) as stack:
        task_id = stack.post_fetch("BTCUSDT", "1m", start, end)
        _assert_complete(stack, stack_env, task_id, start, end)
        result = stack.result(task_id)
    assert result["archive_files"] == 0 and result["rest_pages"] >= 5
    assert len(result["warnings"]) == 1
    assert "archive unreachable: ConnectionError" in result["warnings"][0]
    assert "2 archive files could not be used" in result["warnings"][0]
