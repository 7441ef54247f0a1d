"""The whole ingestion path with the API and a worker as separate processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from rq import Worker

from cl3_cli.processes import ProcessGroup, free_port
from cl3_common.settings import Settings
from cl3_common.store import SeriesKey, open_stores
from cl3_sandbox.exchange import expected_klines
from tests.helpers import wait_until

pytestmark = pytest.mark.e2e

# 2023-03-23T00:30Z .. 2023-03-25T22:30Z of 1m: REST pages for the partial days, the archive
# for the whole day between them, across a known exchange gap.
START_MS = 1_679_531_400_000
END_MS = 1_679_783_400_000
GAP_START_MS, GAP_END_MS = 1_679_661_600_000, 1_679_666_400_000  # 2023-03-24 12:40 .. 14:00


@pytest.fixture(params=["sqlite", "mongodb"])
def backend_env(request, env) -> dict[str, str]:
    """The embedded default, and the `mongodb` backend of deployments (on FerretDB here)."""
    if request.param == "sqlite":
        return env
    return request.getfixturevalue("mongo_env")


@pytest.fixture
def stack(backend_env, tmp_path: Path):
    port = free_port()
    with ProcessGroup({**os.environ, **backend_env}, tmp_path / "logs") as procs:
        api_proc = procs.start("api", "api", "--port", str(port))
        procs.start("worker", "worker")
        base = f"http://127.0.0.1:{port}"
        procs.wait_http(f"{base}/health", api_proc)
        yield base, tmp_path / "logs"


def _fetch_and_follow(http: requests.Session, base: str) -> tuple[str, list[int], dict]:
    answer = http.post(
        f"{base}/api/market-data/fetch",
        json={
            "symbol": "BTCUSDT",
            "interval": "1m",
            "start": START_MS,
            "end": "2023-03-25T22:30:00Z",
        },
    )
    assert answer.status_code == 202, answer.text
    task_id = answer.json()["task_id"]
    seen: list[int] = []

    def finished() -> dict | None:
        response = http.get(f"{base}/api/task/{task_id}/progress")
        assert response.status_code == 200, response.text
        progress = response.json()
        seen.append(progress["progress"])
        return progress if progress["status"] in ("finished", "failed") else None

    final = wait_until(finished, timeout_s=120, interval_s=0.05)
    return task_id, seen, final


def test_fetch_stores_exactly_what_the_exchange_served(stack, backend_env, token, request):
    base, logs = stack
    http = requests.Session()
    http.headers["Authorization"] = "Bearer " + token(tier="enterprise")

    task_id, seen, final = _fetch_and_follow(http, base)
    assert final["status"] == "finished", (logs / "worker.log").read_text()[-3000:]
    assert seen == sorted(seen) and seen[-1] == 100
    assert final["pages_done"] == final["pages_total"] == 5  # 2 + 2 REST pages, 1 archive day

    expected = expected_klines("BTCUSDT", "1m", START_MS, END_MS - 1, now_ms=END_MS + 10**9)
    assert len(expected) == (END_MS - START_MS) // 60_000 - 80  # the exchange's own 80-min gap
    result = http.get(f"{base}/api/task/{task_id}/result").json()
    assert result["type"] == "fetch"
    assert (result["rest_pages"], result["archive_files"]) == (4, 1)
    assert result["candles_written"] == result["candles_in_range"] == len(expected)
    assert result["gaps"] == [{"start": GAP_START_MS, "end": GAP_END_MS, "missing": 80,
                               "cause": "exchange_outage"}]  # fmt: skip
    assert result["rejected_pages"] == [] and result["no_data"] == []

    stored, cursor = [], None
    while True:
        params = {"start": START_MS, "end": END_MS, "limit": 1000}
        if cursor:
            params["cursor"] = cursor
        page = http.get(f"{base}/api/market-data/BTCUSDT/1m", params=params).json()
        stored.extend(page["candles"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(stored) == len(expected)
    for candle, row in zip(stored, expected, strict=True):
        assert candle == {
            "open_time": row[0],
            "open": float(row[1]),
            "high": float(row[2]),
            "low": float(row[3]),
            "close": float(row[4]),
            "volume": float(row[5]),
            "close_time": row[6],
            "quote_volume": float(row[7]),
            "trades": row[8],
            "taker_buy_base": float(row[9]),
            "taker_buy_quote": float(row[10]),
        }

    # Run it again: the same data, nothing new written, nothing duplicated.
    _, _, again = _fetch_and_follow(http, base)
    assert again["status"] == "finished" and again["candles_written"] == 0
    stores = open_stores(Settings.from_env(backend_env))
    try:
        times = stores.candles.open_times(SeriesKey("BTCUSDT", "1m"), 0, 2**62)
        bounds = stores.candles.bounds(SeriesKey("BTCUSDT", "1m"))
    finally:
        stores.close()
    assert times == [r[0] for r in expected]
    assert bounds is not None and bounds.count == len(expected)
    if backend_env["STORE_BACKEND"] == "mongodb":  # the documents as MongoDB holds them
        raw = request.getfixturevalue("mongo_db")
        ids = [d["_id"] for d in raw["candles"].find({}, {"_id": 1})]
        assert sorted(ids) == sorted(f"BTCUSDT_1m_{t}" for t in times)


@pytest.mark.parametrize("backend_env", ["sqlite"], indirect=True)
def test_rq_info_shows_the_queue_and_the_worker(stack, env, redis_client):
    # The worker registers once it has imported the job code (a second or two after start).
    wait_until(lambda: Worker.count(connection=redis_client) == 1, timeout_s=30, interval_s=0.1)
    info = subprocess.run(
        [sys.executable, "-m", "rq.cli", "info", "--url", env["REDIS_URL"]],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if info.returncode != 0:  # older entry point name
        info = subprocess.run(
            ["rq", "info", "--url", env["REDIS_URL"]], capture_output=True, text=True, timeout=60
        )
    assert info.returncode == 0, info.stderr
    assert "cl3-ingest" in info.stdout
    assert "1 workers" in info.stdout or "1 worker" in info.stdout
