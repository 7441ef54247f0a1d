"""Which series exist: on REST (what ``exchangeInfo`` lists) and in the archives (more).

REST knows the listed spot pairs (TRADING or BREAK), the live USDⓈ-M/COIN-M contracts, the
current and next COIN-M quarterlies and the settled quarterly. The archives also keep delisted
pairs and every delivered quarterly, which is what makes survivorship-free backtests possible;
their REST klines answer -1121 like Binance's.
"""

from __future__ import annotations

import threading

from .config import SandboxConfig
from .contracts import UNDERLYINGS, Contract, listed_quarterlies, parse_quarterly
from .derivatives import FuturesTrade, PriceKind
from .sources import (
    COINM,
    INDEX,
    PRICE_ONLY,
    SPOT,
    TRADE,
    USDM,
    Format,
    Series,
    spot_series,
)
from .symbols import DELISTED, SymbolSpec, symbol_map

FUTURES_KINDS = (TRADE, "mark", INDEX, "premium")


def contract_format(contract: Contract) -> Format:
    if contract.market == COINM:
        return Format(price=contract.price_decimals, volume=0, quote=8)
    return Format(price=contract.price_decimals, volume=contract.qty_decimals, quote=5)


class Catalog:
    def __init__(self, config: SandboxConfig) -> None:
        self.spot = symbol_map(config.symbols)
        self.delisted = symbol_map(config.delisted)
        self.contracts = {(c.market, c.symbol): c for c in config.contracts}
        self._underlyings = {**symbol_map(UNDERLYINGS), **self.delisted, **self.spot}
        self._cache: dict[tuple, Series] = {}
        self._lock = threading.Lock()

    def underlying(self, contract: Contract) -> SymbolSpec:
        return self._underlyings[contract.underlying]

    def contract(self, market: str, symbol: str, archives: bool, now_ms: int) -> Contract | None:
        """A contract by symbol, if REST (or, with ``archives``, the archive) knows it."""
        fixed = self.contracts.get((market, symbol))
        if fixed is not None:
            return fixed if archives or fixed.status != DELISTED else None
        if market != COINM:
            return None
        if archives:
            return parse_quarterly(symbol)
        return next((c for c in listed_quarterlies(now_ms) if c.symbol == symbol), None)

    def pair_contract(self, market: str, pair: str, archives: bool) -> Contract | None:
        """The contract whose index klines stand for ``pair`` (its perpetual)."""
        for contract in self.contracts.values():
            mine = contract.market == market and contract.pair == pair and contract.perpetual
            if mine and (archives or contract.status != DELISTED):
                return contract
        return None

    def series(self, market: str, kind: str, name: str, *, archives: bool = False,
               now_ms: int = 0) -> Series | None:  # fmt: skip
        """The series ``name`` of this market and kind, if it is served (REST or archives)."""
        if market == SPOT:
            spec = self.spot.get(name) or (self.delisted.get(name) if archives else None)
            if kind != TRADE or spec is None:
                return None
            return self._cached((SPOT, kind, name), lambda: spot_series(spec))
        if market not in (USDM, COINM) or kind not in FUTURES_KINDS:
            return None
        if kind == INDEX:
            contract = self.pair_contract(market, name, archives)
        else:
            contract = self.contract(market, name, archives, now_ms)
        if contract is None:
            return None
        return self._cached((market, kind, name), lambda: self._futures(contract, kind, name))

    def _futures(self, contract: Contract, kind: str, name: str) -> Series:
        underlying = self.underlying(contract)
        life = (contract.onboard_ms, contract.end_ms)
        if kind == TRADE:
            model = FuturesTrade(contract, underlying)
            return Series(contract.market, kind, name, *life, contract_format(contract), model)
        model = PriceKind(kind, contract, underlying)
        return Series(contract.market, kind, name, *life, PRICE_ONLY, model)

    def _cached(self, key: tuple, build) -> Series:
        with self._lock:
            hit = self._cache.get(key)
            if hit is None:
                hit = self._cache[key] = build()
            return hit
