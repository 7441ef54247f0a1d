"""Which symbols are fetchable: REST's lists per market, then the archive (sandbox over HTTP)."""

from __future__ import annotations

import time

import pytest
import requests

from cl3_common.errors import InvalidRequest, InvalidSymbol
from cl3_common.exchange import BinanceClient
from cl3_common.exchange.archive_probe import FUNDING, ArchiveProbe
from cl3_common.exchange.catalog import SymbolCatalog
from cl3_common.exchange.markets import MARKETS
from cl3_common.exchange.universe import SymbolUniverse
from cl3_sandbox.exchange import DELISTED_SPOT_SYMBOL, DELISTED_USDM_SYMBOL, SETTLED_COINM_SYMBOL

DAY = 86_400_000
Y2018, Y2022, Y2024 = 1_514_764_800_000, 1_640_995_200_000, 1_704_067_200_000


@pytest.fixture
def universe(redis_client, exchange) -> SymbolUniverse:
    session = requests.Session()
    catalogs = {
        name: SymbolCatalog(redis_client, BinanceClient(exchange.url, session, market=market))
        for name, market in MARKETS.items()
    }
    probe = ArchiveProbe(exchange.url, session, redis_client,
                         clock_ms=lambda: int(time.time() * 1000))  # fmt: skip
    return SymbolUniverse(catalogs.__getitem__, probe)


def test_listed_symbols_of_any_status_are_known_from_rest(universe):
    assert universe.resolve("spot", "trade", "LUNAUSDT", Y2024, Y2024 + DAY).on_rest
    settled = universe.resolve("coinm", "trade", SETTLED_COINM_SYMBOL, Y2022, Y2022 + DAY)
    assert settled.on_rest and settled.listing.status == "DELIVERED"
    # Index klines belong to the pair, whichever of its contracts names them.
    index = universe.resolve("coinm", "index", "BTCUSD_PERP", Y2024, Y2024 + DAY)
    assert (index.symbol, index.on_rest) == ("BTCUSD", True)


def test_delisted_symbols_are_known_from_the_archive_within_their_history(universe, exchange):
    spot = universe.resolve("spot", "trade", DELISTED_SPOT_SYMBOL, Y2018, Y2018 + 90 * DAY)
    assert (spot.symbol, spot.on_rest) == (DELISTED_SPOT_SYMBOL, False)
    mark = universe.resolve("usdm", "mark", DELISTED_USDM_SYMBOL, Y2022 + 3 * DAY, Y2022 + 5 * DAY)
    assert not mark.on_rest
    funding = universe.resolve_funding("usdm", DELISTED_USDM_SYMBOL, Y2022, Y2022 + 60 * DAY)
    assert not funding.on_rest
    # After its delisting the archive has nothing of it: no source knows it there.
    with pytest.raises(InvalidSymbol):
        universe.resolve("usdm", "trade", "SRMUSDT_GONE", Y2024, Y2024 + 90 * DAY)


def test_a_symbol_no_source_knows_is_invalid(universe, exchange):
    before = exchange.stats()["requests"]
    with pytest.raises(InvalidSymbol, match="NOPEUSDT"):
        universe.resolve("spot", "trade", "NOPEUSDT", Y2018, Y2024)
    # At most a handful of small probes (checksums of sampled months), never a scan.
    assert exchange.stats()["requests"] - before <= 8
    with pytest.raises(InvalidSymbol):
        universe.resolve_funding("coinm", "NOPEUSD_PERP", Y2024, Y2024 + DAY)
    with pytest.raises(InvalidRequest, match="futures"):
        universe.resolve_funding("spot", "BTCUSDT", Y2024, Y2024 + DAY)


def test_an_archive_answer_is_cached(universe, exchange, redis_client):
    probe = ArchiveProbe(exchange.url, requests.Session(), redis_client,
                         clock_ms=lambda: int(time.time() * 1000))  # fmt: skip
    assert probe.knows("spot", "trade", DELISTED_SPOT_SYMBOL, Y2018, Y2018 + 40 * DAY)
    before = exchange.stats()["requests"]
    assert probe.knows("spot", "trade", DELISTED_SPOT_SYMBOL, Y2018, Y2018 + 40 * DAY)
    assert exchange.stats()["requests"] == before
    assert probe.knows("usdm", FUNDING, DELISTED_USDM_SYMBOL, Y2022, Y2022 + 40 * DAY)
    assert not probe.knows("usdm", FUNDING, DELISTED_USDM_SYMBOL, Y2024, Y2024 + 40 * DAY)
