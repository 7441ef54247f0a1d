"""cl3.client and `cl3 fetch` against `cl3 api` + `cl3 worker` processes and the sandbox.

Every endpoint is round-tripped through the client (fetch with wait=True included), and every
error status the API can give comes back as its exception class carrying the API's code.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pandas as pd
import pytest
import requests
from moto.server import ThreadedMotoServer
from rich.console import Console

from cl3.client import (
    BadRequest,
    Client,
    Conflict,
    Forbidden,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
    TaskFailed,
    TooManyRequests,
    Unauthorized,
    UnprocessableEntity,
    UnsupportedMediaType,
)
from cl3_cli.processes import ProcessGroup, free_port
from cl3_sandbox.exchange import expected_klines

pytestmark = pytest.mark.e2e

START, END = "2024-01-01T00:00:00Z", "2024-01-08T00:00:00Z"
START_MS, HOUR_MS = 1_704_067_200_000, 3_600_000
WEEK_OF_HOURS = 7 * 24


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def stack_env(env, moto_endpoint) -> dict[str, str]:
    bucket = f"cl3-client-{uuid.uuid4().hex[:8]}"
    aws = {"AWS_ENDPOINT_URL": moto_endpoint, "AWS_REGION": "us-east-1",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing", "EXPORT_BUCKET": bucket}  # fmt: skip
    boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1",
                 aws_access_key_id="testing", aws_secret_access_key="testing",
                 ).create_bucket(Bucket=bucket)  # fmt: skip
    return {**os.environ, **env, **aws}


@pytest.fixture
def stack(stack_env, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    with ProcessGroup(stack_env, tmp_path / "logs") as procs:
        api = procs.start("api", "api", "--port", str(port))
        procs.start("worker", "worker")
        base = f"http://127.0.0.1:{port}"
        procs.wait_http(f"{base}/health", api)
        yield base


def start_api(procs: ProcessGroup, name: str) -> str:
    port = free_port()
    proc = procs.start(name, "api", "--port", str(port))
    base = f"http://127.0.0.1:{port}"
    procs.wait_http(f"{base}/health", proc)
    return base


def test_the_client_round_trips_every_endpoint(stack, token):
    out = io.StringIO()
    client = Client(stack, token("client-user", "enterprise"), poll_interval_s=0.05,
                    console=Console(file=out, force_terminal=False, width=100))  # fmt: skip

    assert client.health()["status"] == "ok"
    assert "/api/usage" in client.openapi()["paths"]
    assert "BTCUSDT" in client.symbols()["symbols"]
    assert client.usage()["tier"] == "enterprise"

    frame = client.fetch("BTCUSDT", "1h", START, END)  # wait=True: progress bar, then the data
    expected = expected_klines("BTCUSDT", "1h", START_MS, START_MS + WEEK_OF_HOURS * HOUR_MS - 1,
                               now_ms=START_MS + 10**10)  # fmt: skip
    assert len(frame) == WEEK_OF_HOURS
    assert str(frame.index.tz) == "UTC" and frame.index.name == "open_time"
    assert frame.index[0] == pd.Timestamp(START)
    assert list(frame["close"]) == [float(k[4]) for k in expected]
    assert list(frame["trades"]) == [int(k[8]) for k in expected]
    assert "100%" in out.getvalue() and "finished" in out.getvalue()

    accepted = client.fetch("ETHUSDT", "1h", START, END, wait=False)
    assert client.progress(accepted["task_id"])["task_id"] == accepted["task_id"]
    assert client.wait(accepted["task_id"])["status"] == "finished"
    result = client.result(accepted["task_id"])
    assert result["type"] == "fetch" and result["candles_written"] == WEEK_OF_HOURS
    assert client.cancel(accepted["task_id"]) == {
        "task_id": accepted["task_id"],
        "status": "finished",
    }

    page = client.candles("BTCUSDT", "1h", START, limit=10)
    assert [c["open_time"] for c in page["candles"]] == [START_MS + i * HOUR_MS for i in range(10)]
    assert page["next_cursor"]
    assert client.candles_csv("BTCUSDT", "1h", START, limit=3).count("\n") == 4
    assert sum(1 for _ in client.iter_candles("BTCUSDT", "1h", START, END)) == WEEK_OF_HOURS
    series = {(s["symbol"], s["interval"]): s for s in client.coverage()["series"]}
    assert series[("BTCUSDT", "1h")]["count"] == WEEK_OF_HOURS

    document = client.analyze("BTCUSDT", "1h", params={"fast": 5, "slow": 20}, wait=True)
    assert document["symbol"] == "BTCUSDT" and document["params"]["slow"] == 20
    assert client.seasonality("BTCUSDT", "1h")["computed_at"] == document["computed_at"]
    assert client.heatmap_png("BTCUSDT", "1h").startswith(b"\x89PNG\r\n\x1a\n")

    exported = client.export("BTCUSDT", "1h", START, END, format="csv", wait=True)
    assert exported["rows"] == WEEK_OF_HOURS
    download = requests.get(exported["url"], timeout=10)
    assert download.status_code == 200 and download.text.count("\n") == WEEK_OF_HOURS + 1

    audit = client.audit("BTCUSDT", "1h", START, END, wait=True)
    assert audit["type"] == "audit" and audit["differences"] == []
    assert audit["candles"]["stored"] == audit["candles"]["rest"] == WEEK_OF_HOURS
    (btc,) = client.coverage("BTCUSDT", "1h")["series"]
    assert btc["gaps"] == [] and "gaps" not in client.coverage(gaps=False)["series"][0]
    filled = client.candles("BTCUSDT", "1h", START, END, resample="1d", fill="null", limit=3)
    assert [c["sources"] for c in filled["candles"]] == [24, 24, 24]

    usage = client.usage()
    assert usage["this_month"]["candles_fetched"] == 2 * WEEK_OF_HOURS
    assert usage["jobs"]["running"] == 0

    coinm = client.symbols("coinm", "all")
    assert "BTCUSD_PERP" in coinm["symbols"] and coinm["count"] == len(coinm["listings"])
    funding = client.submit_funding("usdm", "BTCUSDT", START, END)
    assert client.wait(funding["task_id"])["status"] == "finished"
    events = client.funding("usdm", "BTCUSDT", START, END)
    assert len(events) == 21 and {e["interval_hours"] for e in events} == {8}


def test_each_error_status_is_its_exception_with_the_api_code(stack, stack_env, token, tmp_path):
    waits: list[float] = []
    client = Client(stack, token("errors", "pro"), sleep=waits.append, max_wait_s=120,
                    progress=False)  # fmt: skip
    with pytest.raises(BadRequest) as e400:
        client.candles("BTC-USDT", "1h")
    with pytest.raises(Unauthorized) as e401:
        Client(stack, "not-a-token").symbols()
    with pytest.raises(Forbidden) as e403:
        Client(stack, token("free-user", "free")).fetch("BTCUSDT", "1h", START)
    with pytest.raises(NotFound) as e404:
        client.progress("0123456789abcdef")
    with pytest.raises(MethodNotAllowed) as e405:
        client.request("PUT", "/api/symbols")
    with pytest.raises(PayloadTooLarge) as e413:
        client.analyze("BTCUSDT", "1h", params={"pad": "x" * 70_000})
    with pytest.raises(UnsupportedMediaType) as e415:
        client.request("POST", "/api/market-data/fetch", data="<fetch/>",
                       headers={"Content-Type": "application/xml"})  # fmt: skip
    with pytest.raises(UnprocessableEntity) as e422:
        client.analyze("SOLUSDT", "1h")  # nothing stored
    codes = [e.value.code for e in (e400, e401, e403, e404, e405, e413, e415, e422)]
    assert codes == ["invalid_symbol", "unauthorized", "subscription_required", "not_found",
                     "method_not_allowed", "payload_too_large", "unsupported_media_type",
                     "insufficient_data"]  # fmt: skip
    assert waits == []  # none of those is retried

    free = Client(stack, token("hammer", "free"), sleep=waits.append, max_retries=2,
                  max_wait_s=120)  # fmt: skip
    for _ in range(60):
        free.symbols()
    with pytest.raises(TooManyRequests) as e429:
        free.symbols()
    assert e429.value.code == "rate_limited"
    assert len(waits) == 2 and all(50 <= w <= 60 for w in waits)  # Retry-After, honoured

    # No worker on this Redis db, so a task stays queued: 409 before it ends, then canceled.
    idle_env = {**stack_env, "REDIS_URL": stack_env["REDIS_URL"].rsplit("/", 1)[0] + "/9"}
    dead_env = {**stack_env, "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
    with ProcessGroup(idle_env, tmp_path / "idle") as procs:
        idle = Client(start_api(procs, "idle-api"), token("queue-user", "pro"), progress=False)
        task_id = idle.fetch("BTCUSDT", "1h", START, END, wait=False)["task_id"]
        with pytest.raises(Conflict) as e409:
            idle.result(task_id)
        assert e409.value.code == "not_finished"
        idle.cancel(task_id)
        with pytest.raises(TaskFailed) as failed:
            idle.wait(task_id)
        assert (failed.value.status, failed.value.code) == ("canceled", "canceled")
    with ProcessGroup(dead_env, tmp_path / "dead") as procs:
        waits.clear()
        down = Client(start_api(procs, "dead-api"), token("x", "pro"), sleep=waits.append)
        with pytest.raises(ServiceUnavailable) as e503:
            down.symbols()
        assert e503.value.code == "unavailable" and waits == [5.0, 5.0, 5.0]
        assert down.health()["status"] == "degraded"  # health says so, without raising


def test_cl3_fetch_writes_csv_and_parquet(stack, stack_env, token, tmp_path):
    env = {**stack_env, "CL3_API_URL": stack, "CL3_TOKEN": token("cli-user", "pro")}

    def cl3_fetch(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cl3_cli", "fetch", "BTCUSDT", "1h", "--start", START,
             "--end", END, *args], env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip

    done = cl3_fetch("--out", str(tmp_path / "week.parquet"))
    assert done.returncode == 0, done.stderr
    assert f"{WEEK_OF_HOURS} candles" in done.stderr
    parquet = pd.read_parquet(tmp_path / "week.parquet")
    done = cl3_fetch("--out", str(tmp_path / "week.csv"), "--quiet")
    assert done.returncode == 0, done.stderr
    csv = pd.read_csv(tmp_path / "week.csv", index_col="open_time")
    assert len(parquet) == len(csv) == WEEK_OF_HOURS
    assert list(parquet["close"]) == list(csv["close"])
    stdout = cl3_fetch("--quiet")
    assert stdout.stdout.splitlines()[0].startswith("open_time,open,high,low,close")

    refused = subprocess.run(
        [sys.executable, "-m", "cl3_cli", "fetch", "BTCUSDT", "7m", "--start", START],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert refused.returncode == 1 and "invalid_interval" in refused.stderr
