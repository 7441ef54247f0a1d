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
from cl3_common.store.candles import CandleStore, candle_id, ms_to_dt

REGION = "us-east-1"
# Its own Redis database: these tests run workers and schedulers that must not meet the jobs
# of other test runs sharing the same local Redis.
OPS_REDIS_DB = 11


@pytest.fixture
def redis_url(services: tuple[str, str]) -> str:
    return f"{services[0]}/{OPS_REDIS_DB}"


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


def candle_doc(symbol: str, interval: str, open_ms: int, close: float = 100.0) -> dict[str, Any]:
    close_ms = add_candles(open_ms, interval, 1) - 1
    return {
        "_id": candle_id(symbol, interval, open_ms),
        "symbol": symbol,
        "interval": interval,
        "open_time": ms_to_dt(open_ms),
        "close_time": ms_to_dt(close_ms),
        "open": close - 1.0,
        "high": close + 2.0,
        "low": close - 2.0,
        "close": close,
        "volume": 10.5,
        "quote_volume": 1050.25,
        "trades": 42,
        "taker_buy_base": 5.25,
        "taker_buy_quote": 525.125,
    }


@pytest.fixture
def seed_candles(mongo_db: Any) -> Callable[..., list[int]]:
    """Stores `count` consecutive candles ending with the one opening at `last_open_ms`."""

    def seed(symbol: str, interval: str, last_open_ms: int, count: int = 3) -> list[int]:
        opens = [add_candles(last_open_ms, interval, -i) for i in reversed(range(count))]
        docs = [candle_doc(symbol, interval, t, 100.0 + i) for i, t in enumerate(opens)]
        CandleStore(mongo_db).insert(docs)
        return opens

    return seed
