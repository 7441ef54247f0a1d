"""The symbol catalogue: one cache entry per exchange host, filled by one caller at a time."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests

from cl3_common.exchange import BinanceClient
from cl3_common.exchange.catalog import SymbolCatalog, catalog_key
from cl3_sandbox.exchange import SandboxConfig, SandboxExchange


def test_concurrent_misses_ask_the_exchange_once(redis_client):
    with SandboxExchange(SandboxConfig(latency_ms=200), port=0) as slow:

        def look_up(_: int) -> int:
            catalog = SymbolCatalog(redis_client, BinanceClient(slow.url, requests.Session()))
            return len(catalog.info().symbols)

        with ThreadPoolExecutor(8) as pool:
            counts = list(pool.map(look_up, range(8)))
        assert len(set(counts)) == 1 and counts[0] > 0
        assert slow.stats()["by_path"]["/api/v3/exchangeInfo"] == 1


def test_each_host_has_its_own_entry(redis_client, exchange):
    with SandboxExchange(SandboxConfig(), port=0) as other:
        first = SymbolCatalog(redis_client, BinanceClient(exchange.url, requests.Session()))
        second = SymbolCatalog(redis_client, BinanceClient(other.url, requests.Session()))
        first.info()
        assert redis_client.exists(catalog_key(exchange.url))
        assert not redis_client.exists(catalog_key(other.url))
        second.info()
        assert other.stats()["by_path"]["/api/v3/exchangeInfo"] == 1
        assert catalog_key(exchange.url) != catalog_key(other.url)
