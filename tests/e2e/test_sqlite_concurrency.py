"""The embedded store under real concurrency: two workers ingest two series into one SQLite
file while the API's threads read from it. Nobody may see "database is locked"."""

from __future__ import annotations

import os
import threading
from collections import Counter
from pathlib import Path

import pytest
import requests

from cl3_cli.processes import ProcessGroup, free_port
from cl3_sandbox.exchange import expected_klines
from tests.helpers import wait_until

pytestmark = pytest.mark.e2e

DAY_MS = 86_400_000
START = 1_704_067_200_000 + 6 * 3_600_000  # 2024-01-01T06:00Z: REST pages and archive days
END = START + 6 * DAY_MS


def test_two_workers_and_api_reads_share_the_file(env, token, tmp_path: Path):
    port = free_port()
    logs = tmp_path / "logs"
    base = f"http://127.0.0.1:{port}"
    statuses: Counter[int] = Counter()
    stop = threading.Event()

    def read_while_ingesting() -> None:
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {token('reader', 'enterprise')}"
        while not stop.is_set():
            for url in (f"{base}/api/market-data/BTCUSDT/1m?start={START}&limit=5000",
                        f"{base}/api/market-data/coverage"):  # fmt: skip
                statuses[http.get(url, timeout=10).status_code] += 1

    with ProcessGroup({**os.environ, **env, "FETCH_CONCURRENCY": "8"}, logs) as procs:
        api = procs.start("api", "api", "--port", str(port))
        procs.start("worker-a", "worker")
        procs.start("worker-b", "worker")
        procs.wait_http(f"{base}/health", api)
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {token('writer', 'enterprise')}"
        tasks = []
        for symbol in ("BTCUSDT", "ETHUSDT"):
            body = {"symbol": symbol, "interval": "1m", "start": START, "end": END}
            answer = http.post(f"{base}/api/market-data/fetch", json=body, timeout=10)
            assert answer.status_code == 202, answer.text
            tasks.append(answer.json()["task_id"])
        readers = [threading.Thread(target=read_while_ingesting) for _ in range(3)]
        for reader in readers:
            reader.start()

        def finished() -> bool:
            states = [http.get(f"{base}/api/task/{t}/progress", timeout=10).json()["status"]
                      for t in tasks]  # fmt: skip
            assert "failed" not in states, states
            return all(s == "finished" for s in states)

        try:
            wait_until(finished, timeout_s=180, interval_s=0.2)
        finally:
            stop.set()
            for reader in readers:
                reader.join()
        results = [http.get(f"{base}/api/task/{t}/result", timeout=10).json() for t in tasks]

    expected = len(expected_klines("BTCUSDT", "1m", START, END - 1, now_ms=END + DAY_MS))
    assert [r["candles_in_range"] for r in results] == [expected, expected]
    assert set(statuses) == {200} and sum(statuses.values()) > 20, statuses
    for log in logs.iterdir():
        assert "locked" not in log.read_text().lower(), log.name
