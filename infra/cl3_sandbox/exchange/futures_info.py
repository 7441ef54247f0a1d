"""``/fapi/v1/exchangeInfo`` and ``/dapi/v1/exchangeInfo`` bodies, with Binance's field names.

USDⓈ-M symbols carry ``status``; COIN-M symbols carry ``contractStatus`` and ``contractSize``
(and the oddly capitalised ``OrderType``), as in Binance's examples. Perpetuals have
``deliveryDate`` 4133404800000; a delivered quarterly is listed with ``contractStatus``
DELIVERED. Delisted contracts are in neither.
"""

from __future__ import annotations

from .contracts import Contract
from .errors import window_unit
from .sources import COINM

_ORDER_TYPES = ["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET",
                "TRAILING_STOP_MARKET"]  # fmt: skip
_TIME_IN_FORCE = ["GTC", "IOC", "FOK", "GTX", "GTD"]


def rate_limits(weight_limit: int, window_s: int) -> list[dict[str, object]]:
    num, unit = window_unit(window_s)
    return [
        {"rateLimitType": "REQUEST_WEIGHT", "interval": unit, "intervalNum": num,
         "limit": weight_limit},
        {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 1200},
        {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 300},
    ]  # fmt: skip


def _filters(c: Contract) -> list[dict[str, object]]:
    tick = f"{c.tick:.{c.price_decimals}f}".rstrip("0").rstrip(".") if c.tick < 1 else "1"
    step = f"{c.step:.{c.qty_decimals}f}" if c.qty_decimals else "1"
    return [
        {"filterType": "PRICE_FILTER", "minPrice": tick, "maxPrice": "4529764",
         "tickSize": tick},
        {"filterType": "LOT_SIZE", "minQty": step, "maxQty": "1000", "stepSize": step},
        {"filterType": "MARKET_LOT_SIZE", "minQty": step, "maxQty": "120", "stepSize": step},
        {"filterType": "MAX_NUM_ORDERS", "limit": 200},
        {"filterType": "MAX_NUM_ALGO_ORDERS", "limit": 10},
        {"filterType": "PERCENT_PRICE", "multiplierUp": "1.0500", "multiplierDown": "0.9500",
         "multiplierDecimal": "4"},
    ]  # fmt: skip


def _common(c: Contract) -> dict[str, object]:
    return {
        "symbol": c.symbol,
        "pair": c.pair,
        "contractType": c.contract_type,
        "deliveryDate": c.delivery_ms,
        "onboardDate": c.onboard_ms,
    }


def usdm_symbol(c: Contract) -> dict[str, object]:
    return {
        **_common(c),
        "status": c.status,
        "maintMarginPercent": "2.5000",
        "requiredMarginPercent": "5.0000",
        "baseAsset": c.base,
        "quoteAsset": c.quote,
        "marginAsset": c.margin,
        "pricePrecision": c.price_decimals,
        "quantityPrecision": c.qty_decimals,
        "baseAssetPrecision": 8,
        "quotePrecision": 8,
        "underlyingType": "COIN",
        "underlyingSubType": [],
        "settlePlan": 0,
        "triggerProtect": "0.0500",
        "liquidationFee": "0.012500",
        "marketTakeBound": "0.05",
        "maxMoveOrderLimit": 10000,
        "filters": _filters(c),
        "orderTypes": _ORDER_TYPES,
        "timeInForce": _TIME_IN_FORCE,
    }


def coinm_symbol(c: Contract) -> dict[str, object]:
    return {
        "filters": _filters(c),
        "OrderType": _ORDER_TYPES,
        "timeInForce": _TIME_IN_FORCE[:4],
        "liquidationFee": "0.010000",
        "marketTakeBound": "0.05",
        **_common(c),
        "contractStatus": c.status,
        "contractSize": c.contract_size,
        "quoteAsset": c.quote,
        "baseAsset": c.base,
        "marginAsset": c.margin,
        "pricePrecision": c.price_decimals,
        "quantityPrecision": c.qty_decimals,
        "baseAssetPrecision": 8,
        "quotePrecision": 8,
        "equalQtyPrecision": 4,
        "triggerProtect": "0.0500",
        "maintMarginPercent": "2.5000",
        "requiredMarginPercent": "5.0000",
        "underlyingType": "COIN",
        "underlyingSubType": [],
    }


def exchange_info(market: str, contracts: list[Contract], weight_limit: int, window_s: int,
                  now_ms: int) -> dict[str, object]:  # fmt: skip
    limits = rate_limits(weight_limit, window_s)
    if market == COINM:
        return {"exchangeFilters": [], "rateLimits": limits, "serverTime": now_ms,
                "symbols": [coinm_symbol(c) for c in contracts], "timezone": "UTC"}  # fmt: skip
    assets = sorted({c.margin for c in contracts})
    return {
        "timezone": "UTC",
        "serverTime": now_ms,
        "futuresType": "U_MARGINED",
        "rateLimits": limits,
        "exchangeFilters": [],
        "assets": [{"asset": a, "marginAvailable": True, "autoAssetExchange": "0"} for a in assets],
        "symbols": [usdm_symbol(c) for c in contracts],
    }
