"""GET /binance/fapi/v1/... (USDⓈ-M) and /binance/dapi/v1/... (COIN-M): Binance's futures
market-data API answered by CL3 (cl3_common.mirror; docs/mirror.md): ping, time,
exchangeInfo, klines, markPriceKlines, indexPriceKlines (`pair`), premiumIndexKlines and
fundingRate, with Binance's parameters, limits (500 by default, 1500 at most; fundingRate 100
and 1000), shapes and error codes. Credentials and the per-owner limit as on the spot paths.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalice import Response
from pydantic import Field

from chalicelib.binance_http import binance_response
from chalicelib.declarations import Call, ResponseDoc, RouteGroup
from chalicelib.inputs import NoInputs
from chalicelib.routes.binance_mirror import BinanceQuery, market_mirror
from cl3_common.exchange.markets import COINM, INDEX, MARK, PREMIUM, TRADE, USDM

routes = RouteGroup("binance futures mirror")
FAMILIES = {USDM: "fapi", COINM: "dapi"}
_MARKET_NAMES = {USDM: "USDⓈ-M", COINM: "COIN-M"}
KLINES_PATHS = {TRADE: "klines", MARK: "markPriceKlines", INDEX: "indexPriceKlines",
                PREMIUM: "premiumIndexKlines"}  # fmt: skip
# Operation ids: binance_fapi_mark_price_klines, ...
_SNAKE = {"ping": "ping", "time": "time", "exchangeInfo": "exchange_info",
          "fundingRate": "funding_rate", "klines": "klines",
          "markPriceKlines": "mark_price_klines", "indexPriceKlines": "index_price_klines",
          "premiumIndexKlines": "premium_index_klines"}  # fmt: skip


class FuturesKlinesQuery(BinanceQuery):
    symbol: str | None = Field(None, description="e.g. BTCUSDT, BTCUSD_PERP (mandatory)")
    interval: str | None = Field(None, description="1m ... 1M (no 1s on futures; mandatory)")
    startTime: str | None = Field(None, description="epoch ms")
    endTime: str | None = Field(None, description="epoch ms")
    limit: str | None = Field(None, description="default 500, max 1500")


class IndexKlinesQuery(BinanceQuery):
    pair: str | None = Field(None, description="e.g. BTCUSDT, BTCUSD (mandatory)")
    interval: str | None = Field(None, description="1m ... 1M (mandatory)")
    startTime: str | None = Field(None, description="epoch ms")
    endTime: str | None = Field(None, description="epoch ms")
    limit: str | None = Field(None, description="default 500, max 1500")


class FundingRateQuery(BinanceQuery):
    symbol: str | None = Field(None, description="a perpetual (COIN-M: mandatory)")
    startTime: str | None = Field(None, description="epoch ms, inclusive")
    endTime: str | None = Field(None, description="epoch ms, inclusive")
    limit: str | None = Field(None, description="default 100, max 1000")


KLINES = ResponseDoc(
    "Klines: [open time, open, high, low, close, volume, close time, quote volume (COIN-M: "
    'base volume), trades, taker buy base, taker buy quote, "0"], decimals as strings in the '
    'symbol\'s precision; mark, index and premium klines have "0" volumes and the number of '
    "samples as trades.",
    schema={"type": "array", "items": {"type": "array", "minItems": 12, "maxItems": 12}},
)
FUNDING = ResponseDoc(
    "Funding events, ascending: {symbol, fundingRate, fundingTime, markPrice} (COIN-M: no "
    "markPrice).",
    schema={"type": "array", "items": {"type": "object"}},
)
OBJECT = {"type": "object"}
Handler = Callable[[Call[Any, Any, Any]], Response]


def _named(handler: Handler, name: str) -> Handler:
    handler.__name__ = name  # the operation id, one per route
    return handler


def _declare(market: str) -> None:
    family = FAMILIES[market]
    prefix, label = f"/binance/{family}/v1", _MARKET_NAMES[market]

    def ping(call: Call[NoInputs, BinanceQuery, NoInputs]) -> Response:
        return binance_response({})

    def server_time(call: Call[NoInputs, BinanceQuery, NoInputs]) -> Response:
        return binance_response({"serverTime": call.now_ms})

    def exchange_info(call: Call[NoInputs, BinanceQuery, NoInputs]) -> Response:
        answer = market_mirror(call, market).exchange_info(
            call.query.params(), requests_per_minute=call.plan.requests_per_minute
        )
        return binance_response(answer)

    def funding_rate(call: Call[NoInputs, FundingRateQuery, NoInputs]) -> Response:
        return binance_response(market_mirror(call, market).funding_rates(call.query.params()))

    for path, handler, query, summary, doc in (
        ("ping", ping, BinanceQuery, f"Binance {label} ping: {{}}",
         ResponseDoc("{}", schema=OBJECT)),
        ("time", server_time, BinanceQuery, f"Binance {label} server time",
         ResponseDoc("{serverTime}", schema=OBJECT)),
        ("exchangeInfo", exchange_info, BinanceQuery,
         f"The exchange's {label} exchangeInfo, with rateLimits of your plan",
         ResponseDoc("Binance's exchangeInfo.", schema=OBJECT)),
        ("fundingRate", funding_rate, FundingRateQuery,
         f"Binance {label} funding rate history: from CL3's store, fetched once when missing",
         FUNDING),
    ):  # fmt: skip
        declare = routes.get(f"{prefix}/{path}", binance=True, query=query, summary=summary,
                             responses={200: doc})  # fmt: skip
        declare(_named(handler, f"binance_{family}_{_SNAKE[path]}"))
    for kind, path in KLINES_PATHS.items():
        routes.get(
            f"{prefix}/{path}", binance=True,
            query=IndexKlinesQuery if kind == INDEX else FuturesKlinesQuery,
            summary=f"Binance {label} {path}: from CL3's store, fetched once when missing",
            responses={200: KLINES},
        )(_named(_klines_handler(market, kind), f"binance_{family}_{_SNAKE[path]}"))  # fmt: skip


def _klines_handler(market: str, kind: str) -> Handler:
    def klines(call: Call[NoInputs, Any, NoInputs]) -> Response:
        return binance_response(market_mirror(call, market).klines(call.query.params(), kind))

    return klines


for _market in FAMILIES:
    _declare(_market)
