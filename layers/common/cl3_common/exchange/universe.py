"""Every symbol CL3 can fetch: what each market's REST API lists, plus what the archive keeps.

A symbol that is not trading (delisted, `BREAK`, settled) is still fetchable for what its
sources hold; only a symbol no source knows is `invalid_symbol`. The REST list is asked
first (cached, refreshed once when it does not know the name), then the archive.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cl3_common.errors import InvalidRequest, InvalidSymbol
from cl3_common.exchange.archive_probe import FUNDING, ArchiveProbe
from cl3_common.exchange.catalog import SymbolCatalog
from cl3_common.exchange.client import SymbolInfo
from cl3_common.exchange.markets import INDEX, SPOT, TRADE

TRADING = "TRADING"


@dataclass(frozen=True)
class KnownSymbol:
    market: str
    kind: str
    symbol: str  # the stored name: for index klines the pair
    listing: SymbolInfo | None  # None: no longer listed, only the archive has it

    @property
    def on_rest(self) -> bool:
        return self.listing is not None


class SymbolUniverse:
    def __init__(self, catalog: Callable[[str], SymbolCatalog], probe: ArchiveProbe | None) -> None:
        self.catalog = catalog  # the market's catalogue (built on first use)
        self._probe = probe

    def listed(self, market: str, symbol: str, kind: str = TRADE) -> bool:
        """Whether the market's REST API lists the symbol; a delisted one is served by the
        archive alone."""
        return self.catalog(market).lookup(symbol, kind) is not None

    def resolve(
        self, market: str, kind: str, symbol: str, start_ms: int, end_ms: int
    ) -> KnownSymbol:
        """The series' symbol if REST or the archive knows it; else InvalidSymbol."""
        listing = self.catalog(market).lookup(symbol, kind)
        if listing is not None:
            name = symbol
            if kind == INDEX and listing.pair and symbol != listing.pair:
                name = listing.pair  # index klines are the pair's, whichever contract named it
            return KnownSymbol(market, kind, name, listing)
        name = symbol.split("_", 1)[0] if kind == INDEX else symbol
        if self._probe is not None and self._probe.knows(market, kind, name, start_ms, end_ms):
            return KnownSymbol(market, kind, name, None)
        raise InvalidSymbol(_unknown(market, symbol))

    def resolve_funding(self, market: str, symbol: str, start_ms: int, end_ms: int) -> KnownSymbol:
        if market == SPOT:
            raise InvalidRequest("funding rates exist only for futures markets (usdm, coinm)")
        listing = self.catalog(market).lookup(symbol, TRADE)
        if listing is not None:
            return KnownSymbol(market, TRADE, symbol, listing)
        catalog_market = self.catalog(market).market
        if (
            self._probe is not None
            and catalog_market.funding_archive
            and self._probe.knows(market, FUNDING, symbol, start_ms, end_ms)
        ):
            return KnownSymbol(market, TRADE, symbol, None)
        raise InvalidSymbol(_unknown(market, symbol))

    def symbols(self, market: str, *, trading_only: bool) -> list[dict[str, Any]]:
        """The market's listed symbols with their status (and, for futures, their dates)."""
        info = self.catalog(market).info()
        rows = []
        for listing in sorted(info.symbols.values(), key=lambda i: i.symbol):
            if trading_only and listing.status != TRADING:
                continue
            row: dict[str, Any] = {"symbol": listing.symbol, "status": listing.status}
            if market != SPOT:
                row.update(pair=listing.pair, contract_type=listing.contract_type,
                           onboard_date=listing.onboard_ms,
                           delivery_date=listing.delivery_ms)  # fmt: skip
            rows.append(row)
        return rows


def _unknown(market: str, symbol: str) -> str:
    return (
        f"unknown symbol {symbol!r} on {market}: the exchange does not list it and the "
        "archive has no file of it in the requested range"
    )
