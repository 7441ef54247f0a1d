"""REST pages are full whatever the archive's day boundaries (API and worker as processes)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import requests

from cl3_cli.processes import ProcessGroup, free_port
from cl3_common.settings import Settings
from cl3_common.store import SeriesKey, open_stores
from cl3_sandbox.exchange import SandboxConfig, SandboxExchange
from tests.helpers import wait_until

pytestmark = pytest.mark.e2e

MIN = 60_000
START_MS = 1_704_067_200_000 + 7 * 60 * MIN  # 2024-01-01 07:00 UTC: not on a day boundary
TASK = 50_000


def test_two_tasks_of_50000_candles_cost_at_most_102_klines_calls(env, token, tmp_path: Path):
    with SandboxExchange(SandboxConfig(), port=0) as exchange:
        # The archive host has no files: every whole day falls back to REST.
        run_env = {**os.environ, **env, "BINANCE_BASE_URL": exchange.url,
                   "BINANCE_ARCHIVE_URL": f"{exchange.url}/no-files-here"}  # fmt: skip
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        http = requests.Session()
        http.headers["Authorization"] = "Bearer " + token(tier="enterprise")
        with ProcessGroup(run_env, tmp_path / "logs") as procs:
            api = procs.start("api", "api", "--port", str(port))
            procs.start("worker", "worker")
            procs.wait_http(f"{base}/health", api)
            tasks = []
            for i in range(2):
                start = START_MS + i * TASK * MIN
                body = {"symbol": "BTCUSDT", "interval": "1m", "start": start,
                        "end": start + TASK * MIN}  # fmt: skip
                answer = http.post(f"{base}/api/market-data/fetch", json=body, timeout=10)
                assert answer.status_code == 202, answer.text
                tasks.append(answer.json()["task_id"])

            def finished() -> bool:
                states = [http.get(f"{base}/api/task/{t}/progress", timeout=10).json()["status"]
                          for t in tasks]  # fmt: skip
                assert "failed" not in states, (tmp_path / "logs" / "worker.log").read_text()
                return all(s == "finished" for s in states)

            wait_until(finished, timeout_s=120, interval_s=0.1)
            results = [http.get(f"{base}/api/task/{t}/result", timeout=10).json() for t in tasks]
        spot = exchange.stats()["families"]["spot"]
    assert spot["klines_requests"] <= 102, spot
    assert spot["responses_429"] == spot["responses_418"] == 0
    assert [r["rest_pages"] for r in results] == [50, 50]
    assert [r["candles_in_range"] for r in results] == [TASK, TASK]
    stores = open_stores(Settings.from_env(run_env))
    try:
        assert stores.candles.bounds(SeriesKey("BTCUSDT", "1m")).count == 2 * TASK
    finally:
        stores.close()
