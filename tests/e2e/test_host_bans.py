"""A ban (418) on one market's host stops that host only (API and workers as processes)."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest

from cl3_cli.processes import ProcessGroup
from cl3_common.settings import Settings
from cl3_common.store import SeriesKey, open_stores
from cl3_sandbox.exchange import SandboxConfig, SandboxExchange
from tests.helpers import wait_until

pytestmark = pytest.mark.e2e

DAY_MS = 86_400_000
JAN_2024 = 1_704_067_200_000
DAYS = {"spot": 200, "usdm": 20}


def _submit(api, auth_headers, body: dict) -> str:
    response = api.http.post("/api/market-data/fetch", headers=auth_headers(tier="enterprise"),
                             body=json.dumps(body))  # fmt: skip
    assert response.status_code == 202, response.body
    return json.loads(response.body)["task_id"]


def _status(api, auth_headers, task_id: str) -> str:
    response = api.http.get(f"/api/task/{task_id}/progress",
                            headers=auth_headers(tier="enterprise"))  # fmt: skip
    return json.loads(response.body)["status"]


def test_a_418_on_fapi_stops_fapi_only_while_spot_keeps_ingesting(
    api, auth_headers, env, tmp_path: Path
):
    with SandboxExchange(SandboxConfig(latency_ms=50), port=0) as exchange:
        worker_env = {**os.environ, **env, "BINANCE_BASE_URL": exchange.url,
                      "BINANCE_USDM_BASE_URL": exchange.url,
                      "BINANCE_COINM_BASE_URL": exchange.url,
                      "ARCHIVE_BACKFILL": "false", "FETCH_CONCURRENCY": "2"}  # fmt: skip
        # Spot pages hold 1,000 candles, futures pages 499: spot gets more days to still be
        # running when fapi is banned.
        spot = _submit(
            api,
            auth_headers,
            {
                "symbol": "BTCUSDT",
                "interval": "1m",
                "start": JAN_2024,
                "end": JAN_2024 + DAYS["spot"] * DAY_MS,
            },
        )
        usdm = _submit(
            api,
            auth_headers,
            {
                "symbol": "BTCUSDT",
                "interval": "1m",
                "market": "usdm",
                "start": JAN_2024,
                "end": JAN_2024 + DAYS["usdm"] * DAY_MS,
            },
        )
        samples: list[tuple[float, int, int, int]] = []
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                families = exchange.stats()["families"]
                samples.append((time.monotonic(), families["spot"]["klines_requests"],
                                families["fapi"]["klines_requests"],
                                families["fapi"]["responses_418"]))  # fmt: skip
                time.sleep(0.02)

        with ProcessGroup(worker_env, tmp_path / "logs") as procs:
            procs.start("worker-a", "worker")
            procs.start("worker-b", "worker")

            def both_started() -> bool:
                families = exchange.stats()["families"]
                return all(families[f]["klines_requests"] >= 4 for f in ("spot", "fapi"))

            wait_until(both_started, timeout_s=60)
            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            exchange.inject(418, retry_after=4, path="/fapi/v1/klines")
            wait_until(lambda: all(_status(api, auth_headers, t) == "finished"
                                   for t in (spot, usdm)), timeout_s=180,
                       interval_s=0.2)  # fmt: skip
            stop.set()
            sampler.join()

    banned_at = next(t for t, _, _, bans in samples if bans >= 1)
    during = [(s, f) for t, s, f, _ in samples if banned_at + 0.5 <= t <= banned_at + 3.5]
    assert during, "no sample inside the ban"
    assert during[0][1] == during[-1][1], "a fapi request reached the exchange during its ban"
    assert during[-1][0] > during[0][0], "spot stopped while only fapi was banned"
    assert samples[-1][2] > during[-1][1], "fapi resumed after the ban"
    stores = open_stores(Settings.from_env(env))
    try:
        for market in ("spot", "usdm"):
            key = SeriesKey("BTCUSDT", "1m", market, "trade")
            times = stores.candles.open_times(key, 0, 2**62)
            assert len(times) == len(set(times)) == DAYS[market] * 1440, market
    finally:
        stores.close()
