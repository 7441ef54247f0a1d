"""GET /api/symbols: the exchange's tradable symbols (from the cached exchangeInfo)."""

from __future__ import annotations

from typing import Any

from chalicelib.declarations import Call, ResponseDoc, RouteGroup
from chalicelib.inputs import NoInputs
from chalicelib.schemas import Symbols

routes = RouteGroup("symbols")


@routes.get(
    "/api/symbols",
    summary="The exchange's trading symbols",
    responses={200: ResponseDoc("Sorted symbols.", Symbols)},
)
def symbols(call: Call[NoInputs, NoInputs, NoInputs]) -> dict[str, Any]:
    info = call.runtime.catalog.info()
    tradable = sorted(s for s, status in info.symbols.items() if status == "TRADING")
    return {"symbols": tradable, "count": len(tradable)}
