"""GET /api/symbols: the exchange's tradable symbols (from the cached exchangeInfo)."""

from __future__ import annotations

from typing import Any

from chalicelib.router import Router
from chalicelib.runtime import RuntimeProvider
from cl3_common.auth import Principal


def symbol_routes(runtime: RuntimeProvider) -> Router:
    router = Router(__name__, runtime)

    @router.route("/api/symbols")
    def symbols(user: Principal) -> dict[str, Any]:
        info = router.runtime.universe.catalog("spot").info()
        tradable = sorted(s for s, i in info.symbols.items() if i.status == "TRADING")
        return {"symbols": tradable, "count": len(tradable)}

    return router
