"""GET /binance/api/v3/{ping,time,exchangeInfo,klines,uiKlines}: Binance's spot market-data
API answered by CL3 (cl3_common.mirror; docs/mirror.md), for ccxt, python-binance, freqtrade.

Same parameters, shapes and error bodies as Binance. Every request needs a credential, like
every CL3 endpoint: an API key in `X-MBX-APIKEY` (python-binance sends its key there),
`X-API-Key` or `Authorization: Bearer cl3_...`, or a Supabase token. Requests count against
the owner's per-minute limit of their plan; `X-MBX-USED-WEIGHT-1M` says how many this minute
(each weighs 1). uiKlines is answered with the same candles as klines.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalice import Blueprint, Response

from chalicelib.binance_http import binance_error_response, binance_response
from chalicelib.runtime import Runtime, RuntimeProvider
from cl3_common.auth import Principal
from cl3_common.errors import Unavailable
from cl3_common.mirror.service import BinanceMirror

PREFIX = "/binance/api/v3"
Answer = Callable[[BinanceMirror, Runtime, Principal, dict[str, str]], Any]


class MirrorRoutes:
    def __init__(self, runtime: RuntimeProvider) -> None:
        self.blueprint = Blueprint(__name__)
        self._runtime = runtime

    def get(self, path: str, answer: Answer) -> None:
        blueprint = self.blueprint

        def view() -> Response:
            rt: Runtime | None = None
            try:
                rt = self._runtime.get()
                request = blueprint.current_request
                user = self._admit(rt, request.headers)
                mirror = _mirror(rt)
                return binance_response(answer(mirror, rt, user, first_values(request)))
            except Exception as e:  # Binance-shaped, mapped in one place (binance_http.py)
                return binance_error_response(e, rt.clock() if rt is not None else 0.0)

        view.__name__ = "binance_" + path.rsplit("/", 1)[-1]
        blueprint.route(PREFIX + path, methods=["GET"])(view)

    @staticmethod
    def _admit(rt: Runtime, headers: Any) -> Principal:
        if rt.credentials is None:
            raise Unavailable("credentials are not configured", system="auth")
        user = rt.credentials.authenticate(headers)
        if rt.rate_limiter is not None:
            rt.rate_limiter.check(user, rt.entitlements[user.tier])
        return user


def _mirror(rt: Runtime) -> BinanceMirror:
    if rt.mirror is None:
        raise Unavailable("the Binance mirror is not configured", system="binance")
    return rt.mirror.get()


def first_values(request: Any) -> dict[str, str]:
    """The query as Binance reads it: the first value of a repeated name wins."""
    params = request.query_params
    if not params:
        return {}
    return {name: params.getlist(name)[0] for name in params}


def binance_mirror_routes(runtime: RuntimeProvider) -> MirrorRoutes:
    routes = MirrorRoutes(runtime)
    routes.get("/ping", lambda m, rt, user, q: m.ping())
    routes.get("/time", lambda m, rt, user, q: m.server_time())
    routes.get(
        "/exchangeInfo",
        lambda m, rt, user, q: m.exchange_info(
            q, requests_per_minute=rt.entitlements[user.tier].requests_per_minute
        ),
    )
    routes.get("/klines", lambda m, rt, user, q: m.klines(q))
    routes.get("/uiKlines", lambda m, rt, user, q: m.klines(q))
    return routes
