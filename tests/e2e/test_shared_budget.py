"""Two worker processes share one exchange weight budget through Redis: no 429, no 418."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from cl3_cli.processes import ProcessGroup
from cl3_sandbox.exchange import SandboxConfig, SandboxExchange
from tests.helpers import wait_until

pytestmark = pytest.mark.e2e

DAY_MS = 86_400_000
JAN_2024 = 1_704_067_200_000


def test_two_workers_stay_inside_a_scaled_budget(
    api, auth_headers, env, tmp_path: Path, redis_client
):
    # 20 weight per 2 s: 9 klines calls a window for both workers together; 30 are needed,
    # and unpaced the two workers would send them within about two seconds.
    config = SandboxConfig(weight_limit=20, window_s=2, latency_ms=5)
    with SandboxExchange(config, port=0) as exchange:
        worker_env = {**os.environ, **env, "BINANCE_BASE_URL": exchange.url,
                      "ARCHIVE_BACKFILL": "false", "FETCH_CONCURRENCY": "4"}  # fmt: skip
        tasks = []
        for symbol in ("BTCUSDT", "ETHUSDT"):
            body = {"symbol": symbol, "interval": "1m", "start": JAN_2024,
                    "end": JAN_2024 + 10 * DAY_MS}  # fmt: skip
            response = api.http.post("/api/market-data/fetch", headers=auth_headers(),
                                     body=json.dumps(body))  # fmt: skip
            tasks.append(json.loads(response.body)["task_id"])
        # The API validated symbols against the session's sandbox; the workers learn the
        # budget from the exchange they page (its own exchangeInfo, cached per host).
        with ProcessGroup(worker_env, tmp_path / "logs") as procs:
            procs.start("worker-a", "worker")
            procs.start("worker-b", "worker")

            def all_finished() -> bool:
                states = [json.loads(api.http.get(f"/api/task/{t}/progress",
                                                  headers=auth_headers()).body)["status"]
                          for t in tasks]  # fmt: skip
                assert "failed" not in states, states
                return all(s == "finished" for s in states)

            wait_until(all_finished, timeout_s=120, interval_s=0.25)
        stats = exchange.stats()
    assert stats["klines_requests"] >= 30, stats
    assert stats["by_path"]["/api/v3/exchangeInfo"] >= 1, stats
    assert (stats["responses_429"], stats["responses_418"]) == (0, 0), stats
