"""The exchange's symbol list and weight budget, cached in Redis for every API instance.

One cache entry per exchange host, so pointing CL3 at another host never serves the previous
host's symbols. A miss is filled by one caller at a time (a short Redis lock): exchangeInfo
weighs 20, and a dozen workers starting together must not spend the budget on it, or on a
small budget draw a 429 and then a ban.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable

import redis

from cl3_common.errors import InvalidSymbol, Unavailable
from cl3_common.exchange.client import BinanceClient, ExchangeInfo
from cl3_common.exchange.errors import ExchangeError
from cl3_common.redis_conn import KEY_PREFIX, redis_errors_translated

FILL_LOCK_S = 15  # longer than one exchangeInfo call with its retries is expected to take
WAIT_STEP_S = 0.05


def catalog_key(base_url: str) -> str:
    host = hashlib.sha256(base_url.rstrip("/").encode()).hexdigest()[:16]
    return f"{KEY_PREFIX}:exchange_info:{host}"


class SymbolCatalog:
    def __init__(
        self,
        client: redis.Redis,
        exchange: BinanceClient,
        ttl_s: int = 3600,
        *,
        wait_s: float = FILL_LOCK_S,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`wait_s`: how long a caller waits for another one filling the cache (short on the
        request path, cl3_common.timeouts)."""
        self._redis = client
        self._exchange = exchange
        self._ttl_s = ttl_s
        self._wait_s = min(wait_s, FILL_LOCK_S)
        self._sleep = sleep
        self._clock = clock
        self.key = catalog_key(exchange.base_url)

    def info(self) -> ExchangeInfo:
        cached = self._cached()
        if cached is not None:
            return cached
        lock = f"{self.key}:filling"
        deadline = self._clock() + self._wait_s
        while True:
            with redis_errors_translated():
                mine = bool(self._redis.set(lock, "1", nx=True, ex=FILL_LOCK_S))
            if mine:
                try:
                    return self._fill()
                finally:
                    with redis_errors_translated():
                        self._redis.delete(lock)
            self._sleep(WAIT_STEP_S)  # someone else is asking the exchange right now
            cached = self._cached()
            if cached is not None:
                return cached
            if self._clock() > deadline:
                raise Unavailable("exchange symbol list is being refreshed; try again",
                                  system="binance")  # fmt: skip

    def _cached(self) -> ExchangeInfo | None:
        with redis_errors_translated():
            cached = self._redis.get(self.key)
        return ExchangeInfo.from_cache(json.loads(cached)) if cached else None

    def _fill(self) -> ExchangeInfo:
        try:
            info = self._exchange.exchange_info()
        except ExchangeError as e:
            raise Unavailable(f"exchange symbol list unavailable: {e}", system="binance") from e
        with redis_errors_translated():
            self._redis.set(self.key, json.dumps(info.to_json()), ex=self._ttl_s)
        return info

    def require_tradable(self, symbol: str) -> str:
        status = self.info().symbols.get(symbol)
        if status is None:
            raise InvalidSymbol(f"unknown symbol {symbol!r} on the exchange")
        if status != "TRADING":
            raise InvalidSymbol(f"symbol {symbol!r} is not trading (status {status})")
        return symbol
