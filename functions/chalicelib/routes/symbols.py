"""GET /api/symbols: each market's listed symbols with their status (cached exchangeInfo)."""

from __future__ import annotations

from typing import Any, Literal

from chalicelib.declarations import Call, ResponseDoc, RouteGroup
from chalicelib.fields import Market
from chalicelib.inputs import Inputs, NoInputs
from chalicelib.schemas import Symbols

routes = RouteGroup("symbols")


class SymbolsQuery(Inputs):
    market: Market = "spot"
    status: Literal["trading", "all"] = "trading"


@routes.get(
    "/api/symbols",
    summary="A market's symbols, with their status and, for futures, their dates",
    description=(
        "`status=trading` (the default) lists the symbols trading now; `status=all` also those "
        "halted (`BREAK`) or settled (`DELIVERED`), which can still be fetched for their "
        "history. Symbols removed from the exchange are in no list, but a fetch of them is "
        "served from the archive (docs/markets.md)."
    ),
    query=SymbolsQuery,
    responses={200: ResponseDoc("Sorted symbols.", Symbols)},
)
def symbols(call: Call[NoInputs, SymbolsQuery, NoInputs]) -> dict[str, Any]:
    q = call.query
    listings = call.runtime.universe.symbols(q.market, trading_only=q.status == "trading")
    names = [row["symbol"] for row in listings]
    return {"market": q.market, "status": q.status, "symbols": names, "count": len(names),
            "listings": listings}  # fmt: skip
