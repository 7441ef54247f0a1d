"""ccxt and python-binance, as users run them, against `cl3 api` + a worker + the sandbox.

Each client is pointed at the mirror the way README.md says, and gets exactly what it gets
from the exchange directly; a second identical run costs the exchange no klines request.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import ccxt
import ccxt.async_support as ccxt_async
import pytest
import requests
from binance.client import Client as BinanceClient

from cl3_cli.processes import ProcessGroup, free_port

pytestmark = pytest.mark.e2e

MINUTE = 60_000
SINCE = 1_709_251_200_000 + 17 * MINUTE  # 2024-03-01 00:17, off the page grid on purpose
UNTIL = SINCE + 3 * 86_400_000  # three days across five pages
GAP_START = 1_679_661_600_000  # the sandbox's outage of 2023-03-24 12:40 .. 14:00


@pytest.fixture
def stack(env, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    with ProcessGroup({**os.environ, **env}, tmp_path / "logs") as procs:
        api = procs.start("api", "api", "--port", str(port))
        procs.start("worker", "worker")
        base = f"http://127.0.0.1:{port}"
        procs.wait_http(f"{base}/health", api)
        yield base


@pytest.fixture
def key(stack: str, token) -> str:
    owner = {"Authorization": f"Bearer {token('erin', 'pro')}"}
    response = requests.post(f"{stack}/api/keys", json={"name": "bots"}, headers=owner)
    assert response.status_code == 201, response.text
    return str(response.json()["key"])


def ccxt_config(key: str | None) -> dict:
    config: dict = {"options": {"fetchMarkets": {"types": ["spot"]}}}
    if key:
        config["headers"] = {"X-API-Key": key}
    return config


def ccxt_sync(api_url: str, key: str | None = None) -> ccxt.binance:
    client = ccxt.binance(ccxt_config(key))
    client.urls["api"]["public"] = api_url
    return client


def fetch_sync(api_url: str, key: str | None, symbol: str, since: int, until: int) -> list:
    client = ccxt_sync(api_url, key)
    params = {"paginate": True, "paginationCalls": 100, "until": until}
    return client.fetch_ohlcv(symbol, "1m", since=since, params=params)


def fetch_async(api_url: str, key: str | None, symbol: str, since: int, until: int) -> list:
    async def run() -> list:
        client = ccxt_async.binance(ccxt_config(key))
        client.urls["api"]["public"] = api_url
        try:
            params = {"paginate": True, "paginationCalls": 100, "until": until}
            return await client.fetch_ohlcv(symbol, "1m", since=since, params=params)
        finally:
            await client.close()

    return asyncio.run(run())


def python_binance(api_url: str, key: str | None) -> BinanceClient:
    class Pointed(BinanceClient):
        API_URL = api_url  # python-binance formats it; a URL without {} stays as it is

    return Pointed(api_key=key)


def test_ccxt_sync_and_async_get_what_the_exchange_serves(stack, key, exchange):
    mirror, direct = f"{stack}/binance/api/v3", f"{exchange.url}/api/v3"
    for fetch in (fetch_sync, fetch_async):
        expected = fetch(direct, None, "BTC/USDT", SINCE, UNTIL)
        assert len(expected) == 3 * 1440 + 1
        exchange.reset_stats()
        assert fetch(mirror, key, "BTC/USDT", SINCE, UNTIL) == expected
        exchange.reset_stats()
        assert fetch(mirror, key, "BTC/USDT", SINCE, UNTIL) == expected
        assert exchange.stats()["klines_requests"] == 0


def test_ccxt_across_an_exchange_outage(stack, key, exchange):
    since, until = GAP_START - 2000 * MINUTE, GAP_START + 2000 * MINUTE
    expected = fetch_sync(f"{exchange.url}/api/v3", None, "ETH/USDT", since, until)
    assert len(expected) == 4001 - 80
    assert fetch_sync(f"{stack}/binance/api/v3", key, "ETH/USDT", since, until) == expected
    exchange.reset_stats()
    assert fetch_async(f"{stack}/binance/api/v3", key, "ETH/USDT", since, until) == expected
    assert exchange.stats()["klines_requests"] == 0


def test_python_binance_historical_klines_field_for_field(stack, key, exchange):
    start, end = str(SINCE), str(UNTIL)
    expected = python_binance(f"{exchange.url}/api", None).get_historical_klines(
        "ETHBTC", "1m", start, end
    )
    assert len(expected) == 3 * 1440 + 1 and isinstance(expected[0][1], str)
    mirrored = python_binance(f"{stack}/binance/api", key)
    assert mirrored.get_historical_klines("ETHBTC", "1m", start, end) == expected
    exchange.reset_stats()
    again = python_binance(f"{stack}/binance/api", key)  # pings the mirror on construction
    assert again.get_historical_klines("ETHBTC", "1m", start, end) == expected
    assert exchange.stats()["klines_requests"] == 0


def test_clients_see_binance_errors_not_cl3_ones(stack, key, tmp_path, redis_client):
    client = ccxt_sync(f"{stack}/binance/api/v3", key)
    with pytest.raises(ccxt.BadSymbol):
        client.publicGetKlines({"symbol": "NOPEUSDT", "interval": "1m"})
    anonymous = ccxt_sync(f"{stack}/binance/api/v3", None)
    with pytest.raises(ccxt.AuthenticationError):
        anonymous.fetch_ohlcv("BTC/USDT", "1m", since=SINCE, limit=5)
    revoked = ccxt_sync(f"{stack}/binance/api/v3", "cl3_" + "x" * 40)
    with pytest.raises(ccxt.AuthenticationError):
        revoked.publicGetKlines({"symbol": "BTCUSDT", "interval": "1m"})
    # Whatever happened, the key is in no log line and in no Redis key or value.
    logs = "".join(p.read_text(errors="replace") for p in (tmp_path / "logs").glob("*"))
    assert "cl3 api listening" in logs  # the captured output of the API process itself
    assert key[4:] not in logs
    for name in redis_client.scan_iter("*"):
        assert key[4:].encode() not in name
        if redis_client.type(name) == b"string":
            assert key[4:].encode() not in (redis_client.get(name) or b"")


def test_ten_concurrent_ccxt_clients_cost_each_page_once(stack, key, exchange):
    """The year-long version with throughput is bench/mirror.py; 30 days keep this quick."""
    since = 1_693_526_400_000 + 7 * MINUTE  # 2023-09-01 00:07
    until = since + 30 * 86_400_000
    expected = fetch_sync(f"{exchange.url}/api/v3", None, "BNB/USDT", since, until)

    async def one() -> list:
        client = ccxt_async.binance(ccxt_config(key))
        client.urls["api"]["public"] = f"{stack}/binance/api/v3"
        try:
            params = {"paginate": True, "paginationCalls": 100, "until": until}
            return await client.fetch_ohlcv("BNB/USDT", "1m", since=since, params=params)
        finally:
            await client.close()

    async def ten() -> list[list]:
        return list(await asyncio.gather(*(one() for _ in range(10))))

    exchange.reset_stats()
    results = asyncio.run(ten())
    assert all(rows == expected for rows in results)
    stats = exchange.stats()
    pages = until // (1000 * MINUTE) - since // (1000 * MINUTE) + 1
    assert stats["by_path"]["/api/v3/klines"] == pages  # each page of the grid once
    assert (stats["responses_429"], stats["responses_418"]) == (0, 0)
