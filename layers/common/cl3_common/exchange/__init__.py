"""The Binance spot market-data API: client, shared weight budget, symbol catalogue."""

from cl3_common.exchange.client import BinanceClient, ExchangeInfo
from cl3_common.exchange.errors import (
    ExchangeBanned,
    ExchangeError,
    ExchangeRejected,
    ExchangeThrottled,
    ExchangeUnavailable,
)
from cl3_common.exchange.gate import RedisWeightGate, WeightBudget

__all__ = [
    "BinanceClient",
    "ExchangeBanned",
    "ExchangeError",
    "ExchangeInfo",
    "ExchangeRejected",
    "ExchangeThrottled",
    "ExchangeUnavailable",
    "RedisWeightGate",
    "WeightBudget",
]
