"""The exchange's symbol list and weight budget, cached in Redis for every API instance."""

from __future__ import annotations

import json

import redis

from cl3_common.errors import InvalidSymbol, Unavailable
from cl3_common.exchange.client import BinanceClient, ExchangeInfo
from cl3_common.exchange.errors import ExchangeError
from cl3_common.redis_conn import KEY_PREFIX, redis_errors_translated

CATALOG_KEY = f"{KEY_PREFIX}:exchange_info"


class SymbolCatalog:
    def __init__(self, client: redis.Redis, exchange: BinanceClient, ttl_s: int = 3600) -> None:
        self._redis = client
        self._exchange = exchange
        self._ttl_s = ttl_s

    def info(self) -> ExchangeInfo:
        with redis_errors_translated():
            cached = self._redis.get(CATALOG_KEY)
        if cached:
            return ExchangeInfo.from_cache(json.loads(cached))
        try:
            info = self._exchange.exchange_info()
        except ExchangeError as e:
            raise Unavailable(f"exchange symbol list unavailable: {e}", system="binance") from e
        with redis_errors_translated():
            self._redis.set(CATALOG_KEY, json.dumps(info.to_json()), ex=self._ttl_s)
        return info

    def require_tradable(self, symbol: str) -> str:
        status = self.info().symbols.get(symbol)
        if status is None:
            raise InvalidSymbol(f"unknown symbol {symbol!r} on the exchange")
        if status != "TRADING":
            raise InvalidSymbol(f"symbol {symbol!r} is not trading (status {status})")
        return symbol
