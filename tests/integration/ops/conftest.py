"""Fixtures of the operations tests: moto's server as a real AWS endpoint, seeded series."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from cl3_common import ssm
from cl3_common.intervals import add_candles
from cl3_common.store import Row, SeriesKey, Stores

REGION = "us-east-1"
# Its own Redis database: these tests run workers and schedulers that must not meet the jobs
# of other test runs sharing the same local Redis.
OPS_REDIS_DB = 11


@pytest.fixture
def redis_url(redis_base: str) -> str:
    return f"{redis_base}/{OPS_REDIS_DB}"


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws_env(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """Credentials for moto (any value works) and the endpoint, for this process and children."""
    values = {
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    ssm.clear_cache()
    yield values
    ssm.clear_cache()


@pytest.fixture
def aws_client(aws_env: dict[str, str]) -> Callable[[str], Any]:
    def make(service: str) -> Any:
        return boto3.client(service, endpoint_url=aws_env["AWS_ENDPOINT_URL"], region_name=REGION)

    return make


@pytest.fixture
def bucket(aws_client: Callable[[str], Any]) -> str:
    name = f"cl3-exports-{uuid.uuid4().hex[:8]}"
    aws_client("s3").create_bucket(Bucket=name)
    return name


def candle_row(interval: str, open_ms: int, close: float = 100.0) -> Row:
    close_ms = add_candles(open_ms, interval, 1) - 1
    return (open_ms, close_ms, close - 1.0, close + 2.0, close - 2.0, close, 10.5, 1050.25, 42,
            5.25, 525.125)  # fmt: skip


@pytest.fixture
def seed_candles(stores: Stores) -> Callable[..., list[int]]:
    """Stores `count` consecutive candles ending with the one opening at `last_open_ms`."""

    def seed(symbol: str, interval: str, last_open_ms: int, count: int = 3) -> list[int]:
        opens = [add_candles(last_open_ms, interval, -i) for i in reversed(range(count))]
        rows = [candle_row(interval, t, 100.0 + i) for i, t in enumerate(opens)]
        stores.candles.insert(SeriesKey(symbol, interval), rows)
        return opens

    return seed
