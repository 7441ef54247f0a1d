"""The symbol catalogue: one cache entry per exchange host, filled by one caller at a time."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import requests

from cl3_common.exchange import BinanceClient
from cl3_common.exchange.catalog import SymbolCatalog, catalog_key
from cl3_common.exchange.markets import MARKETS
from cl3_sandbox.exchange import SETTLED_COINM_SYMBOL, SandboxConfig, SandboxExchange


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


def test_each_market_has_its_own_entry_with_futures_dates(redis_client, exchange):
    catalogs = {
        name: SymbolCatalog(redis_client, BinanceClient(exchange.url, requests.Session(),
                                                        market=MARKETS[name]))
        for name in MARKETS
    }  # fmt: skip
    assert len({c.key for c in catalogs.values()}) == 3
    usdm = catalogs["usdm"].info()
    assert usdm.budget.limit == 2400 and set(usdm.symbols) == {"BTCUSDT", "ETHUSDT"}
    btc = usdm.symbols["BTCUSDT"]
    assert (btc.status, btc.pair, btc.contract_type) == ("TRADING", "BTCUSDT", "PERPETUAL")
    assert (btc.onboard_ms, btc.delivery_ms) == (1_569_398_400_000, 4_133_404_800_000)
    coinm = catalogs["coinm"].info()
    settled = coinm.symbols[SETTLED_COINM_SYMBOL]
    assert settled.status == "DELIVERED" and settled.delivery_ms == 1_680_249_600_000
    assert "BTCUSD" in coinm.pairs and "BTCUSD" not in coinm.symbols
    # Index klines are the pair's: a pair or any of its contracts names them.
    assert catalogs["coinm"].lookup("BTCUSD", "index").pair == "BTCUSD"
    assert catalogs["spot"].info().symbols["LUNAUSDT"].status == "BREAK"


def test_an_unknown_symbol_refreshes_the_list_once_per_interval(redis_client, exchange):
    before = exchange.stats()["by_path"].get("/fapi/v1/exchangeInfo", 0)
    catalog = SymbolCatalog(
        redis_client, BinanceClient(exchange.url, requests.Session(), market=MARKETS["usdm"])
    )
    catalog.info()
    # Cached as it was before ETHUSDT's perpetual was listed: the entry lacks it.
    stale = catalog.info()
    del stale.symbols["ETHUSDT"]
    redis_client.set(catalog.key, json.dumps(stale.to_json()))
    assert catalog.lookup("ETHUSDT") is not None  # a newly listed symbol: refreshed at once
    assert catalog.lookup("NOPEUSDT") is None
    assert catalog.lookup("NOPE2USDT") is None  # within the interval: no second refresh
    sent = exchange.stats()["by_path"]["/fapi/v1/exchangeInfo"] - before
    assert sent == 2  # the first fill and one refresh
