"""The API and workers as processes, and what the reliability tests ask of them."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from cl3_cli.processes import ProcessGroup, free_port
from cl3_sandbox.exchange import expected_klines
from tests.helpers import wait_until

FIELDS = ("open_time", "open", "high", "low", "close", "volume", "close_time", "quote_volume",
          "trades", "taker_buy_base", "taker_buy_quote")  # fmt: skip


@dataclass
class Stack:
    base: str
    procs: ProcessGroup
    logs: Path
    http: requests.Session

    def post_fetch(self, symbol: str, interval: str, start: int, end: int) -> str:
        body = {"symbol": symbol, "interval": interval, "start": start, "end": end}
        answer = self.http.post(f"{self.base}/api/market-data/fetch", json=body, timeout=10)
        assert answer.status_code == 202, answer.text
        return str(answer.json()["task_id"])

    def progress(self, task_id: str) -> dict[str, Any]:
        answer = self.http.get(f"{self.base}/api/task/{task_id}/progress", timeout=10)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def wait_ended(self, task_id: str, timeout_s: float = 180) -> dict[str, Any]:
        def ended() -> dict[str, Any] | None:
            progress = self.progress(task_id)
            return progress if progress["status"] in ("finished", "failed", "canceled") else None

        return dict(wait_until(ended, timeout_s=timeout_s, interval_s=0.2))

    def result(self, task_id: str) -> dict[str, Any]:
        answer = self.http.get(f"{self.base}/api/task/{task_id}/result", timeout=10)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def log(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""


@contextmanager
def running_stack(
    env: dict[str, str], logs: Path, token: str, *, workers: int = 1
) -> Iterator[Stack]:
    port = free_port()
    with ProcessGroup({**os.environ, **env}, logs) as procs:
        api = procs.start("api", "api", "--port", str(port))
        for n in range(workers):
            procs.start(f"worker-{n + 1}", "worker")
        base = f"http://127.0.0.1:{port}"
        procs.wait_http(f"{base}/health", api)
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {token}"
        yield Stack(base, procs, logs, http)


def expected_candles(symbol: str, interval: str, start: int, end: int) -> list[dict[str, Any]]:
    """What the sandbox exchange serves for the range, as the API's candles."""
    rows = expected_klines(symbol, interval, start, end - 1, now_ms=end + 10**10)
    return [
        {name: (float(value) if isinstance(value, str) else value)
         for name, value in zip(FIELDS, row, strict=False)}
        for row in rows
    ]  # fmt: skip


def timed(call: Callable[[], requests.Response]) -> tuple[int, float]:
    """(status, seconds) of one request; a request that hangs past 10 s counts as 0."""
    began = time.monotonic()
    try:
        status = call().status_code
    except requests.RequestException:
        status = 0
    return status, time.monotonic() - began
