"""Markets and kinds on candle routes (docs/api.md, "Markets and kinds"; docs/markets.md).

Every candle route takes `market` (spot, usdm, coinm) and `kind` (trade, mark, index,
premium; the last three on futures only), defaulting to spot trade candles so requests
without them mean what they always meant. Index klines belong to a pair, and are stored under
it whichever of the pair's contracts a request names.
"""

from __future__ import annotations

from typing import Any

from pydantic import model_validator
from pydantic_core import PydanticCustomError

from chalicelib.inputs import Inputs
from cl3_common.errors import ApiError
from cl3_common.exchange.markets import INDEX, MARKETS
from cl3_common.exchange.universe import KnownSymbol, SymbolUniverse
from cl3_common.store import SeriesKey, Stores
from cl3_common.store.keys import validate_kind


class SeriesInputs(Inputs):
    """Base of models with `market` and `kind`: a kind, and an interval, must exist on the
    market (mark, index and premium klines and 1s candles are each one market's only)."""

    @model_validator(mode="after")
    def _kind_fits_market(self) -> Any:
        market, kind = getattr(self, "market", None), getattr(self, "kind", None)
        interval = getattr(self, "interval", None)
        try:
            if kind is not None and market is not None:
                validate_kind(market, kind)
            if interval is not None and market is not None:
                MARKETS[market].check_interval(interval)
        except ApiError as e:
            raise PydanticCustomError(e.code, "{message}", {"message": e.message}) from e
        return self


def stored_name(symbol: str, kind: str) -> str:
    """The name a series is stored under: index klines under the pair (BTCUSD_PERP -> BTCUSD)."""
    return symbol.split("_", 1)[0] if kind == INDEX else symbol


def series_key(symbol: str, interval: str, market: str, kind: str) -> SeriesKey:
    return SeriesKey(stored_name(symbol, kind), interval, market, kind)


def require_known(
    universe: SymbolUniverse, key: SeriesKey, start_ms: int, end_ms: int
) -> KnownSymbol:
    """The series' symbol as some source knows it (REST's list, else the archive) in the
    range, or InvalidSymbol (400) before anything is enqueued."""
    return universe.resolve(key.market, key.kind, key.symbol, start_ms, end_ms)


def require_known_or_stored(
    universe: SymbolUniverse, stores: Stores, key: SeriesKey, start_ms: int, end_ms: int
) -> None:
    """For work on stored candles (exports): stored, or a symbol some source knows."""
    if stores.candles.bounds(key) is None:
        require_known(universe, key, start_ms, end_ms)
