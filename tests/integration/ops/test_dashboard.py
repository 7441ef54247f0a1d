"""rq-dashboard against the test Redis: it answers and lists the project's queues."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Iterator

import pytest
import requests
from rq import Queue

from cl3_cli.processes import free_port
from cl3_common.tasks import ALL_QUEUES
from tests.helpers import wait_until


@pytest.fixture
def dashboard(redis_url: str, redis_client) -> Iterator[str]:
    exe = shutil.which("rq-dashboard")
    assert exe, "rq-dashboard is a dev dependency"
    port = free_port()
    proc = subprocess.Popen(
        [exe, "--bind", "127.0.0.1", "--port", str(port), "--redis-url", redis_url],
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        try:
            return requests.get(base + "/", timeout=1).status_code == 200
        except requests.ConnectionError:
            return False

    try:
        wait_until(up, timeout_s=20, interval_s=0.1)
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_dashboard_answers_and_lists_the_queues(dashboard, redis_client):
    for name in ALL_QUEUES:  # a queue exists for RQ once something was enqueued on it
        Queue(name, connection=redis_client).enqueue_call(func="builtins.print", args=(name,))

    page = requests.get(dashboard + "/", timeout=5)
    assert page.status_code == 200 and "rq dashboard" in page.text.lower()

    listed = requests.get(dashboard + "/0/data/queues.json", timeout=5)
    assert listed.status_code == 200
    queues = {q["name"]: q["count"] for q in listed.json()["queues"]}
    assert set(ALL_QUEUES) <= set(queues)
    assert all(queues[name] == 1 for name in ALL_QUEUES)
