"""ccxt (binanceusdm, binancecoinm) and python-binance futures calls, as users run them, against
`cl3 api` + the sandbox: each gets exactly what it gets from the sandbox directly, and a second
identical run asks the exchange's futures host for nothing.

Clients are pointed at the mirror the way README.md says; short ranges keep this quick.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ccxt
import ccxt.async_support as ccxt_async
import pytest
import requests
from binance.client import Client as BinanceClient

from cl3_cli.processes import ProcessGroup, free_port
from cl3_sandbox.exchange import FUNDING_SWITCH_MS

pytestmark = pytest.mark.e2e

MINUTE, DAY = 60_000, 86_400_000
SINCE = 1_709_251_200_000 + 17 * MINUTE  # 2024-03-01 00:17, off the page grid on purpose
UNTIL = SINCE + DAY  # 1,441 candles across four pages of 499


@pytest.fixture
def stack(env, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    with ProcessGroup({**os.environ, **env}, tmp_path / "logs") as procs:
        api = procs.start("api", "api", "--port", str(port))
        base = f"http://127.0.0.1:{port}"
        procs.wait_http(f"{base}/health", api)
        yield base


@pytest.fixture
def key(stack: str, token) -> str:
    owner = {"Authorization": f"Bearer {token('fay', 'pro')}"}
    response = requests.post(f"{stack}/api/keys", json={"name": "futures bots"}, headers=owner)
    assert response.status_code == 201, response.text
    return str(response.json()["key"])


def usdm(base: str, key: str | None = None, *, mirror: bool = True) -> ccxt.binanceusdm:
    """ccxt's USDⓈ-M client; `base` is CL3 (mirror) or the sandbox itself."""
    client = ccxt.binanceusdm({"headers": {"X-API-Key": key}} if key else {})
    client.urls["api"]["fapiPublic"] = f"{base}/binance/fapi/v1" if mirror else f"{base}/fapi/v1"
    return client


def fapi_requests(exchange) -> dict[str, int]:
    family = exchange.stats()["families"]["fapi"]
    return {"klines": family["klines_requests"], "funding": family["funding_requests"]}


def paginated(client: Any, price: str | None) -> list:
    params: dict[str, Any] = {"paginate": True, "paginationCalls": 10, "until": UNTIL}
    if price is not None:
        params["price"] = price
    return client.fetch_ohlcv("BTC/USDT:USDT", "1m", since=SINCE, params=params)


@pytest.mark.parametrize("price", [None, "mark", "index", "premiumIndex"])
def test_ccxt_usdm_ohlcv_of_every_price(stack, key, exchange, price):
    expected = paginated(usdm(exchange.url, mirror=False), price)
    assert len(expected) == 1441 and expected[0][0] == SINCE
    assert paginated(usdm(stack, key), price) == expected
    exchange.reset_stats()
    assert paginated(usdm(stack, key), price) == expected  # a new client: markets again too
    assert fapi_requests(exchange)["klines"] == 0


def test_ccxt_async_usdm_and_coinm(stack, key, exchange):
    async def run(base: str, mirror: bool) -> tuple[list, list]:
        linear = ccxt_async.binanceusdm({"headers": {"X-API-Key": key}})
        inverse = ccxt_async.binancecoinm({"headers": {"X-API-Key": key}})
        linear.urls["api"]["fapiPublic"] = (
            f"{base}/binance/fapi/v1" if mirror else f"{base}/fapi/v1"
        )
        inverse.urls["api"]["dapiPublic"] = (
            f"{base}/binance/dapi/v1" if mirror else f"{base}/dapi/v1"
        )
        try:
            params = {"paginate": True, "paginationCalls": 10, "until": UNTIL}
            ohlcv = await linear.fetch_ohlcv("ETH/USDT:USDT", "5m", since=SINCE, params=params)
            # COIN-M: ccxt bounds each request itself (the 200-day window).
            coin = await inverse.fetch_ohlcv("BTC/USD:BTC", "1h", since=SINCE, limit=200)
            return ohlcv, coin
        finally:
            await linear.close()
            await inverse.close()

    expected = asyncio.run(run(exchange.url, mirror=False))
    assert len(expected[0]) == 288 and len(expected[1]) == 200
    assert asyncio.run(run(stack, mirror=True)) == expected
    exchange.reset_stats()
    assert asyncio.run(run(stack, mirror=True)) == expected
    families = exchange.stats()["families"]
    assert families["fapi"]["klines_requests"] == families["dapi"]["klines_requests"] == 0


def test_ccxt_funding_rate_history(stack, key, exchange):
    since, until = FUNDING_SWITCH_MS - 30 * DAY, FUNDING_SWITCH_MS + 30 * DAY

    def history(client: ccxt.binanceusdm) -> list:
        params = {"paginate": True, "until": until}
        rows = client.fetch_funding_rate_history("ETH/USDT:USDT", since=since, params=params)
        return [{k: v for k, v in row.items() if k != "datetime"} for row in rows]

    expected = history(usdm(exchange.url, mirror=False))
    assert len(expected) == 30 * 3 + 30 * 6  # every 8 h, then every 4 h
    assert {row["info"]["markPrice"] != "" for row in expected} == {True}
    assert history(usdm(stack, key)) == expected  # `info` too: the exchange's own strings
    exchange.reset_stats()
    assert history(usdm(stack, key)) == expected
    assert fapi_requests(exchange)["funding"] == 0


def python_binance(base: str, key: str | None, *, mirror: bool = True) -> BinanceClient:
    prefix = f"{base}/binance" if mirror else base

    class Pointed(BinanceClient):
        API_URL = f"{prefix}/api"  # the start-up ping
        FUTURES_URL = f"{prefix}/fapi"
        FUTURES_COIN_URL = f"{prefix}/dapi"

    return Pointed(api_key=key)


def test_python_binance_futures_klines_field_for_field(stack, key, exchange):
    def run(client: BinanceClient) -> list:
        one = client.futures_klines(symbol="BTCUSDT", interval="1h", startTime=SINCE, limit=1500)
        history = client.futures_historical_klines("ETHUSDT", "1m", str(SINCE), str(UNTIL))
        coin = client.futures_coin_klines(symbol="BTCUSD_PERP", interval="15m", endTime=SINCE)
        return [one, history, coin]

    expected = run(python_binance(exchange.url, None, mirror=False))
    assert [len(part) for part in expected] == [1500, 1441, 500]
    assert isinstance(expected[1][0][1], str)
    assert run(python_binance(stack, key)) == expected  # all 12 fields, as strings
    exchange.reset_stats()
    assert run(python_binance(stack, key)) == expected
    families = exchange.stats()["families"]
    assert families["fapi"]["klines_requests"] == families["dapi"]["klines_requests"] == 0


def test_a_fapi_ban_reaches_no_client_as_a_418(stack, key, exchange):
    # One ccxt client on all three APIs, as freqtrade's futures mode configures it (README).
    client = ccxt.binance({"headers": {"X-API-Key": key}})
    for api, path in (("public", "api/v3"), ("fapiPublic", "fapi/v1"), ("dapiPublic", "dapi/v1")):
        client.urls["api"][api] = f"{stack}/binance/{path}"
    client.load_markets()  # every market type: spot, linear and inverse exchangeInfo
    stored = client.fetch_ohlcv("BTC/USDT:USDT", "1h", since=SINCE, limit=100)
    exchange.inject(418, count=1, retry_after=60, path="/fapi/v1/klines")
    # Binance's 429 -1003, which ccxt raises as DDoSProtection (back off, retry later).
    with pytest.raises(ccxt.DDoSProtection, match="-1003"):
        client.fetch_ohlcv("ETH/USDT:USDT", "1h", since=SINCE, limit=100)
    with pytest.raises(ccxt.DDoSProtection, match="-1003"):  # the ban holds for every fapi miss
        client.fetch_ohlcv("BTC/USDT:USDT", "1h", since=SINCE - 30 * DAY, limit=100)
    assert client.fetch_ohlcv("BTC/USDT:USDT", "1h", since=SINCE, limit=100) == stored
    again = ccxt.binance({"headers": {"X-API-Key": key}})  # a bot starting during the ban
    for api, path in (("public", "api/v3"), ("fapiPublic", "fapi/v1"), ("dapiPublic", "dapi/v1")):
        again.urls["api"][api] = f"{stack}/binance/{path}"
    assert again.fetch_ohlcv("BTC/USDT:USDT", "1h", since=SINCE, limit=100) == stored
    candles = again.fetch_ohlcv("BTC/USDT", "1h", since=SINCE, limit=100)  # spot: its own host
    assert len(candles) == 100 and candles[0][0] == SINCE - 17 * MINUTE + 60 * MINUTE
    coin = again.fetch_ohlcv("BTC/USD:BTC", "1h", since=SINCE, limit=100)  # COIN-M: its own
    assert len(coin) == 100
    assert exchange.stats()["families"]["fapi"]["responses_418"] == 1
