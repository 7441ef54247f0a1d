"""Markets and kinds on candle routes (docs/api.md, "Markets and kinds").

Every candle route takes `market` (spot, usdm, coinm) and `kind` (trade, mark, index,
premium; the last three on futures only), defaulting to spot trade candles so requests
without them mean what they always meant. Stored futures series can be read; fetching,
analysing or exporting them waits for futures ingestion, and says so with a 400 rather than
storing spot candles under a futures key.
"""

from __future__ import annotations

from typing import Any

from pydantic import model_validator
from pydantic_core import PydanticCustomError

from chalicelib.inputs import Inputs
from cl3_common.errors import ApiError, InvalidRequest, InvalidSymbol
from cl3_common.exchange.catalog import SymbolCatalog
from cl3_common.store.keys import DEFAULT_MARKET, validate_kind

# The markets the workers can fetch from today; the one place to widen when futures land.
SERVED_MARKETS: tuple[str, ...] = (DEFAULT_MARKET,)


class SeriesInputs(Inputs):
    """Base of models with `market` and `kind`: a kind must exist on its market."""

    @model_validator(mode="after")
    def _kind_fits_market(self) -> Any:
        market, kind = getattr(self, "market", None), getattr(self, "kind", None)
        if kind is not None and market is not None:
            try:
                validate_kind(market, kind)
            except ApiError as e:
                raise PydanticCustomError(e.code, "{message}", {"message": e.message}) from e
        return self


def require_served_market(market: str) -> None:
    if market not in SERVED_MARKETS:
        raise InvalidRequest(
            f"market {market!r} can be read but not fetched, analysed or exported yet; "
            f"use one of {', '.join(SERVED_MARKETS)}"
        )


def require_listed(catalog: SymbolCatalog, symbol: str) -> None:
    """The exchange lists the symbol, whatever its trading status (delisted data is kept)."""
    if symbol not in catalog.info().symbols:
        raise InvalidSymbol(f"unknown symbol {symbol!r} on the exchange")
