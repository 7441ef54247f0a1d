"""What operators see, end to end: `cl3 api` and `cl3 worker --metrics-port` as processes
against a private sandbox exchange; `/metrics` of each must hold exactly the counts the test
caused, also for what a work horse recorded before it exited; a forced 429 and 418 show as
counts, WARNING lines and (the ban) in `/health` until it lifts."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from rq import Queue

from cl3_cli.processes import ProcessGroup, free_port
from cl3_sandbox.exchange import SandboxConfig, SandboxExchange
from tests.helpers import wait_until

pytestmark = pytest.mark.e2e

DAY_MS = 86_400_000
# 2023-03-20 06:00 .. 2023-03-22 18:00 of 1m: REST for the partial days, the archive for the
# whole day between them.
START_MS = 1_679_292_000_000
END_MS = START_MS + 2 * DAY_MS + 12 * 3_600_000
KLINES = "/api/v3/klines"


class Samples(dict[tuple[str, frozenset[tuple[str, str]]], float]):
    def value(self, name: str, **labels: str) -> float:
        """The sample with exactly these labels (0 when the series does not exist yet)."""
        return self.get((name, frozenset(labels.items())), 0.0)

    def total(self, name: str, **labels: str) -> float:
        """Sum over every sample of `name` whose labels include these."""
        wanted = set(labels.items())
        return sum(v for (n, ls), v in self.items() if n == name and wanted <= ls)


def scrape(url: str) -> Samples:
    response = requests.get(url, timeout=5)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/plain")
    samples = Samples()
    for family in text_string_to_metric_families(response.text):
        for s in family.samples:
            samples[(s.name, frozenset(s.labels.items()))] = s.value
    return samples


@dataclass
class Stack:
    api: str
    worker_metrics: str
    logs: Path
    exchange: SandboxExchange
    http: requests.Session

    def fetch(self, start_ms: int = START_MS, end_ms: int = END_MS) -> tuple[dict, int]:
        """Submits a fetch and follows it: (final progress, progress polls made)."""
        body = {"symbol": "BTCUSDT", "interval": "1m", "start": start_ms, "end": end_ms}
        answer = self.http.post(f"{self.api}/api/market-data/fetch", json=body)
        assert answer.status_code == 202, answer.text
        task_id = answer.json()["task_id"]
        polls = 0

        def finished() -> dict | None:
            nonlocal polls
            polls += 1
            progress = self.http.get(f"{self.api}/api/task/{task_id}/progress").json()
            return progress if progress["status"] in ("finished", "failed") else None

        final = wait_until(finished, timeout_s=120, interval_s=0.1)
        assert final["status"] == "finished", self.log("worker")[-3000:]
        return final, polls

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text()

    def worker_job_ended(self, count: int) -> None:
        """The horse's end line comes after the progress says finished: wait for it."""
        wait_until(lambda: self.log("worker").count('"job.end"') + self.log("worker").count(
            "event=job.end") >= count, timeout_s=30)  # fmt: skip


@pytest.fixture
def private_exchange() -> Iterator[SandboxExchange]:
    """Its own exchange, so its request counters hold only this test's requests."""
    with SandboxExchange(SandboxConfig(), host="127.0.0.1", port=0) as ex:
        yield ex


def _stack(env, tmp_path, exchange, token, **extra_env: str) -> Iterator[Stack]:
    api_port, metrics_port = free_port(), free_port()
    environ = {**os.environ, **env, "BINANCE_BASE_URL": exchange.url,
               "BINANCE_ARCHIVE_URL": exchange.url, **extra_env}  # fmt: skip
    with ProcessGroup(environ, tmp_path / "logs") as procs:
        api_proc = procs.start("api", "api", "--port", str(api_port))
        worker = procs.start("worker", "worker", "--metrics-port", str(metrics_port))
        base = f"http://127.0.0.1:{api_port}"
        procs.wait_http(f"{base}/health", api_proc)
        procs.wait_http(f"http://127.0.0.1:{metrics_port}/metrics", worker)
        http = requests.Session()
        http.headers["Authorization"] = "Bearer " + token(tier="enterprise")
        yield Stack(base, f"http://127.0.0.1:{metrics_port}/metrics", tmp_path / "logs",
                    exchange, http)  # fmt: skip


@pytest.fixture
def stack(env, tmp_path, private_exchange, token) -> Iterator[Stack]:
    yield from _stack(env, tmp_path, private_exchange, token)


def test_metrics_count_exactly_what_an_ingest_caused(stack: Stack):
    final, polls = stack.fetch()
    result = stack.http.get(f"{stack.api}/api/task/{final['task_id']}/result").json()
    assert result["candles_written"] > 0 and result["archive_files"] == 1
    stack.worker_job_ended(1)

    api, worker = scrape(f"{stack.api}/metrics"), scrape(stack.worker_metrics)
    sandbox = stack.exchange.stats()

    # The API: every request this test made, by route template and status.
    http = "cl3_http_requests_total"
    assert api.value(http, method="POST", route="/api/market-data/fetch", status="202") == 1
    assert api.value(http, method="GET", route="/api/task/{task_id}/progress",
                     status="200") == polls  # fmt: skip
    assert api.value(http, method="GET", route="/api/task/{task_id}/result", status="200") == 1
    assert api.value(http, method="GET", route="/health", status="200") == 1  # the start probe
    assert api.total(http) == polls + 3
    assert api.total("cl3_http_request_duration_seconds_count") == polls + 3

    # The worker: one fetch job, run and ended in a work horse that has exited since.
    assert worker.value("cl3_jobs_total", type="fetch", outcome="finished") == 1
    assert worker.total("cl3_jobs_total") == 1
    assert worker.value("cl3_job_duration_seconds_count", type="fetch", outcome="finished") == 1
    assert worker.value("cl3_jobs_running", type="fetch") == 0
    assert worker.value("cl3_candles_stored_total", market="spot") == result["candles_written"]
    fetched = worker.total("cl3_candles_fetched_total")
    assert fetched == result["candles_written"]  # a past range: every candle received is new
    assert worker.value("cl3_candles_fetched_total", source="archive") == 1440  # the whole day
    assert worker.total("cl3_store_operation_duration_seconds_count", store="candles",
                        op="insert") >= 1  # fmt: skip

    # Exchange requests of both processes add up to what the exchange itself counted.
    both = (api, worker)
    klines = sum(s.value("cl3_exchange_requests_total", host="spot", endpoint="klines",
                         status="200") for s in both)  # fmt: skip
    assert klines == sandbox["klines_requests"] == result["rest_pages"]
    assert sum(s.total("cl3_exchange_requests_total", host="spot") for s in both) == (
        sandbox["families"]["spot"]["requests"])  # fmt: skip
    assert sum(s.total("cl3_exchange_weight_spent_total", host="spot") for s in both) == (
        sandbox["weight_used_total"])  # fmt: skip
    assert worker.value("cl3_exchange_requests_total", host="archive", endpoint="zip",
                        status="200") == sandbox["archive_downloads"] == 1  # fmt: skip
    assert worker.value("cl3_exchange_weight_limit", host="spot") == 6000
    assert 0 < worker.value("cl3_exchange_weight_used", host="spot") <= sandbox[
        "weight_used_total"]  # fmt: skip
    assert worker.value("cl3_exchange_gate_wait_seconds_count", host="spot") == klines
    assert worker.total("cl3_exchange_throttled_total") == 0
    assert worker.total("cl3_exchange_banned_total") == 0

    # Shared state read at scrape time, the same from every process.
    for samples in both:
        assert samples.value("cl3_redis_up") == 1
        assert samples.value("cl3_queue_jobs", queue="cl3-ingest", state="queued") == 0
        assert samples.value("cl3_exchange_ban_active", host="spot") == 0

    # Again: everything is stored, so no klines request, no new candle, a second job.
    stack.fetch()
    stack.worker_job_ended(2)
    again = scrape(stack.worker_metrics)
    assert again.value("cl3_jobs_total", type="fetch", outcome="finished") == 2
    assert again.value("cl3_candles_stored_total", market="spot") == result["candles_written"]
    assert stack.exchange.stats()["klines_requests"] == sandbox["klines_requests"]


@pytest.fixture
def json_stack(env, tmp_path, private_exchange, token) -> Iterator[Stack]:
    yield from _stack(env, tmp_path, private_exchange, token, LOG_FORMAT="json",
                      ARCHIVE_BACKFILL="false", FETCH_CONCURRENCY="1")  # fmt: skip


def _json_lines(text: str) -> list[dict]:
    lines = []
    for line in text.splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def test_a_forced_429_and_418_are_counted_logged_and_shown_until_the_ban_lifts(json_stack):
    stack = json_stack
    stack.exchange.inject(429, count=1, retry_after=1, path=KLINES)
    stack.exchange.inject(418, count=1, retry_after=4, path=KLINES)
    stack.exchange.inject(503, count=1, path=KLINES)  # an outage: retried with backoff
    body = {"symbol": "BTCUSDT", "interval": "1m", "start": START_MS,
            "end": START_MS + 3 * 1000 * 60_000}  # fmt: skip
    answer = stack.http.post(f"{stack.api}/api/market-data/fetch", json=body)
    assert answer.status_code == 202, answer.text
    task_id = answer.json()["task_id"]

    def banned() -> dict | None:
        spot = requests.get(f"{stack.api}/health", timeout=5).json()["exchange"]["spot"]
        return spot if spot["banned"] else None

    ban = wait_until(banned, timeout_s=30, interval_s=0.05)
    assert ban["banned_until"] - time.time() * 1000 <= 4_000
    lifted = wait_until(lambda: not banned(), timeout_s=15, interval_s=0.05)
    assert lifted and time.time() * 1000 >= ban["banned_until"]

    def done() -> dict | None:
        progress = stack.http.get(f"{stack.api}/api/task/{task_id}/progress").json()
        return progress if progress["status"] in ("finished", "failed") else None

    assert wait_until(done, timeout_s=60)["status"] == "finished"
    stack.worker_job_ended(1)

    worker = scrape(stack.worker_metrics)
    sandbox = stack.exchange.stats()
    assert worker.value("cl3_exchange_throttled_total", host="spot") == 1
    assert worker.value("cl3_exchange_banned_total", host="spot") == 1
    for status in ("429", "418", "503"):
        assert worker.value("cl3_exchange_requests_total", host="spot", endpoint="klines",
                            status=status) == 1  # fmt: skip
    assert worker.value("cl3_exchange_requests_total", host="spot", endpoint="klines",
                        status="200") == sandbox["klines_requests"] - 3 == 3  # fmt: skip
    assert sandbox["responses_429"] == sandbox["responses_418"] == sandbox["responses_5xx"] == 1
    assert worker.value("cl3_fallbacks_total", kind="exchange_retry") == 1
    assert worker.value("cl3_exchange_ban_active", host="spot") == 0  # lifted by now
    # The ban was waited out at the gate: at least the ban's length.
    assert worker.value("cl3_exchange_gate_wait_seconds_sum", host="spot") >= 3

    lines = _json_lines(stack.log("worker"))
    warnings = [line for line in lines if line.get("level") == "WARNING"]
    throttled = [w for w in warnings if w.get("event") == "exchange.throttled"]
    banned_lines = [w for w in warnings if w.get("event") == "exchange.banned"]
    retried = [w for w in warnings if w.get("event") == "fallback.exchange_retry"]
    assert len(throttled) == len(banned_lines) == len(retried) == 1
    assert retried[0]["host"] == "spot" and "503" in retried[0]["message"]
    assert throttled[0]["host"] == "spot" and throttled[0]["retry_after_s"] == 1
    assert banned_lines[0]["host"] == "spot" and banned_lines[0]["retry_after_s"] == 4
    assert banned_lines[0]["banned_until_ms"] == ban["banned_until"]
    assert banned_lines[0]["logger"] == "cl3.exchange" and "418" in banned_lines[0]["message"]

    ends = [line for line in lines if line.get("event") == "job.end"]
    starts = [line for line in lines if line.get("event") == "job.start"]
    assert len(starts) == len(ends) == 1
    end = ends[0]
    assert (end["type"], end["outcome"], end["job_id"]) == ("fetch", "finished", task_id)
    assert end["throttled"] == 1 and end["banned"] == 1
    assert end["exchange_requests"] == sandbox["klines_requests"] == 6
    assert end["fallbacks"] == 1
    result = stack.http.get(f"{stack.api}/api/task/{task_id}/result").json()
    assert end["candles_stored"] == end["candles_fetched"] == result["candles_written"] == 3000
    assert end["gate_wait_s"] >= 3


def test_failed_and_lost_jobs_are_counted_by_outcome(stack: Stack, redis_client):
    queue = Queue("cl3-ingest", connection=redis_client)
    queue.enqueue_call(func="builtins.int", args=("not a number",), meta={"type": "probe"})
    # The horse dies without a word (as under the OOM killer): its worker reports it.
    queue.enqueue_call(func="os._exit", args=(3,), meta={"type": "probe"})

    def both_ended() -> Samples | None:
        samples = scrape(stack.worker_metrics)
        return samples if samples.total("cl3_jobs_total", type="probe") == 2 else None

    worker = wait_until(both_ended, timeout_s=60, interval_s=0.2)
    assert worker.value("cl3_jobs_total", type="probe", outcome="failed") == 1
    assert worker.value("cl3_jobs_total", type="probe", outcome="lost") == 1
    assert worker.value("cl3_jobs_running", type="probe") == 0  # the dead horse's gauge cleared
    log = stack.log("worker")
    assert "outcome=failed" in log and 'error="ValueError: invalid literal' in log
    assert "outcome=lost" in log and "work horse died" in log


def test_metrics_can_be_switched_off(env, tmp_path, private_exchange):
    api_port, metrics_port = free_port(), free_port()
    environ = {**os.environ, **env, "BINANCE_BASE_URL": private_exchange.url,
               "METRICS_ENABLED": "false"}  # fmt: skip
    with ProcessGroup(environ, tmp_path / "logs") as procs:
        api_proc = procs.start("api", "api", "--port", str(api_port))
        worker = procs.start("worker", "worker", "--metrics-port", str(metrics_port))
        procs.wait_http(f"http://127.0.0.1:{api_port}/health", api_proc)
        answer = requests.get(f"http://127.0.0.1:{api_port}/metrics", timeout=5)
        assert answer.status_code == 404
        assert answer.json()["error"]["code"] == "not_found"
        # The worker runs (it registers with RQ) but serves no metrics port.
        wait_until(lambda: "Listening on" in (tmp_path / "logs/worker.log").read_text())
        assert worker.poll() is None
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=2)


def test_an_unusable_archive_file_is_a_fallback_with_a_warning(stack: Stack):
    stack.exchange.corrupt_archive("BTCUSDT-1m-2023-03-21.zip")
    final, _ = stack.fetch()
    stack.worker_job_ended(1)
    result = stack.http.get(f"{stack.api}/api/task/{final['task_id']}/result").json()
    assert result["archive_files"] == 0  # the day came from REST pages instead

    worker = scrape(stack.worker_metrics)
    assert worker.value("cl3_fallbacks_total", kind="archive_to_rest") == 1
    assert worker.value("cl3_candles_fetched_total", source="archive") == 0
    assert worker.value("cl3_candles_stored_total", market="spot") == result["candles_written"]
    warning = [line for line in stack.log("worker").splitlines()
               if "event=fallback.archive_to_rest" in line]  # fmt: skip
    assert len(warning) == 1 and " WARNING cl3.fallback: " in warning[0]
    assert "BTCUSDT-1m-2023-03-21.zip" in warning[0] and "paging them from REST" in warning[0]
