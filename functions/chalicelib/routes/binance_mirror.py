"""GET /binance/api/v3/{ping,time,exchangeInfo,klines,uiKlines}: Binance's spot market-data
API answered by CL3 (cl3_common.mirror; docs/mirror.md), for ccxt, python-binance, freqtrade
(the futures paths: binance_futures.py).

Same parameters, shapes and error bodies as Binance (`binance=True`: errors go through
binance_http.py). Every request needs a credential, as everywhere: an API key in
`X-MBX-APIKEY` (python-binance sends its key there), `X-API-Key` or `Authorization: Bearer
cl3_...`, or a Supabase token. Each request counts once against the owner's per-minute limit,
which `X-MBX-USED-WEIGHT-1M` reports. uiKlines is answered with the same candles as klines.
"""

from __future__ import annotations

from typing import Any

from chalice import Response
from pydantic import ConfigDict, Field

from chalicelib.binance_http import binance_response
from chalicelib.declarations import Call, ResponseDoc, RouteGroup
from chalicelib.inputs import Inputs, NoInputs
from cl3_common.errors import Unavailable
from cl3_common.exchange.markets import SPOT
from cl3_common.mirror.service import MarketMirror

routes = RouteGroup("binance mirror")
PREFIX = "/binance/api/v3"


class BinanceQuery(Inputs):
    """Passed on as sent: the mirror reads it as Binance does, with Binance's errors."""

    model_config = ConfigDict(extra="allow", frozen=True)

    def params(self) -> dict[str, str]:
        sent = {k: v for k, v in self.model_dump(exclude_none=True).items()}
        return {k: str(v) for k, v in {**sent, **(self.model_extra or {})}.items()}


class KlinesQuery(BinanceQuery):
    symbol: str | None = Field(None, description="e.g. BTCUSDT (mandatory)")
    interval: str | None = Field(None, description="1s, 1m ... 1M (mandatory)")
    startTime: str | None = Field(None, description="epoch ms")
    endTime: str | None = Field(None, description="epoch ms")
    limit: str | None = Field(None, description="default 500, max 1000")
    timeZone: str | None = Field(None, description="e.g. 8 or -05:30 (passed through)")


class ExchangeInfoQuery(BinanceQuery):
    symbol: str | None = None
    symbols: str | None = Field(None, description='e.g. ["BTCUSDT","ETHUSDT"]')
    symbolStatus: str | None = Field(None, description="TRADING, HALT or BREAK")


KLINES = ResponseDoc(
    "Klines: [open time, open, high, low, close, volume, close time, quote volume, trades, "
    'taker buy base, taker buy quote, "0"], decimals as strings.',
    schema={"type": "array", "items": {"type": "array", "minItems": 12, "maxItems": 12}},
)


def market_mirror(call: Call[Any, Any, Any], market: str = SPOT) -> MarketMirror:
    if call.runtime.mirror is None:
        raise Unavailable("the Binance mirror is not configured", system="binance")
    return call.runtime.mirror.get().market(market)


@routes.get(f"{PREFIX}/ping", binance=True, query=BinanceQuery, summary="Binance's ping: {}",
            responses={200: ResponseDoc("{}", schema={"type": "object"})})  # fmt: skip
def binance_ping(call: Call[NoInputs, BinanceQuery, NoInputs]) -> Response:
    return binance_response({})


@routes.get(f"{PREFIX}/time", binance=True, query=BinanceQuery, summary="Binance's server time",
            responses={200: ResponseDoc("{serverTime}", schema={"type": "object"})})  # fmt: skip
def binance_time(call: Call[NoInputs, BinanceQuery, NoInputs]) -> Response:
    return binance_response({"serverTime": call.now_ms})


@routes.get(
    f"{PREFIX}/exchangeInfo",
    binance=True,
    query=ExchangeInfoQuery,
    summary="The exchange's exchangeInfo, with rateLimits of your plan",
    responses={200: ResponseDoc("Binance's exchangeInfo.", schema={"type": "object"})},
)
def binance_exchange_info(call: Call[NoInputs, ExchangeInfoQuery, NoInputs]) -> Response:
    answer = market_mirror(call).exchange_info(
        call.query.params(), requests_per_minute=call.plan.requests_per_minute
    )
    return binance_response(answer)


@routes.get(
    f"{PREFIX}/klines",
    binance=True,
    query=KlinesQuery,
    summary="Binance klines: from CL3's store, fetched once for everyone when missing",
    responses={200: KLINES},
)
def binance_klines(call: Call[NoInputs, KlinesQuery, NoInputs]) -> Response:
    return binance_response(market_mirror(call).klines(call.query.params()))


@routes.get(
    f"{PREFIX}/uiKlines",
    binance=True,
    query=KlinesQuery,
    summary="Binance uiKlines: the same candles as klines",
    responses={200: KLINES},
)
def binance_ui_klines(call: Call[NoInputs, KlinesQuery, NoInputs]) -> Response:
    return binance_response(market_mirror(call).klines(call.query.params()))
