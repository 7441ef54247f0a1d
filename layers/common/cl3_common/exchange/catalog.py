"""The exchange's symbol list and weight budget, cached in Redis for every API instance.

One cache entry per market and exchange host, so pointing CL3 at another host never serves
the previous host's symbols. A miss is filled by one caller at a time (a short Redis lock):
exchangeInfo weighs 20 on spot, and a dozen workers starting together must not spend the
budget on it, or on a small budget draw a 429 and then a ban.

A symbol the cached list does not know may have been listed since it was cached: `lookup`
then refreshes the list at once, but at most once per `REFRESH_EVERY_S` per entry, so a
stream of requests for a symbol that does not exist cannot turn into a stream of
exchangeInfo calls.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable

import redis

from cl3_common.errors import Unavailable
from cl3_common.exchange.client import BinanceClient, ExchangeInfo, SymbolInfo
from cl3_common.exchange.errors import ExchangeError
from cl3_common.exchange.markets import INDEX
from cl3_common.redis_conn import KEY_PREFIX, redis_errors_translated

FILL_LOCK_S = 15  # longer than one exchangeInfo call with its retries is expected to take
WAIT_STEP_S = 0.05
REFRESH_EVERY_S = 30  # an unknown symbol refreshes the list at most this often


def host_id(base_url: str) -> str:
    return hashlib.sha256(base_url.rstrip("/").encode()).hexdigest()[:16]


def catalog_key(base_url: str, family: str = "spot") -> str:
    return f"{KEY_PREFIX}:exchange_info:{family}:{host_id(base_url)}"


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
        refresh_every_s: int = REFRESH_EVERY_S,
    ) -> None:
        """`wait_s`: how long a caller waits for another one filling the cache (short on the
        request path, cl3_common.timeouts)."""
        self._redis = client
        self._exchange = exchange
        self._ttl_s = ttl_s
        self._wait_s = min(wait_s, FILL_LOCK_S)
        self._sleep = sleep
        self._clock = clock
        self._refresh_every_s = refresh_every_s
        self.market = exchange.market
        self.key = catalog_key(exchange.base_url, exchange.market.family)

    def info(self) -> ExchangeInfo:
        cached = self._cached()
        return cached if cached is not None else self._fill_once(refill=False)

    def refresh(self) -> ExchangeInfo:
        """A fresh list if none was fetched in the last `refresh_every_s`, else the cached one."""
        with redis_errors_translated():
            mine = bool(self._redis.set(f"{self.key}:refreshed", "1", nx=True,
                                        ex=self._refresh_every_s))  # fmt: skip
        if not mine:
            return self.info()
        return self._fill_once(refill=True)

    def lookup(self, symbol: str, kind: str = "trade") -> SymbolInfo | None:
        """The symbol (for index klines: the pair, or a contract standing for it) as listed,
        refreshing the list once when it is not in the cached one."""
        found = _find(self.info(), symbol, kind)
        if found is None:
            found = _find(self.refresh(), symbol, kind)
        return found

    # -- the cache entry --------------------------------------------------------------------
    def _fill_once(self, *, refill: bool) -> ExchangeInfo:
        """Fill (or refill) the entry; while another caller does it, wait for its result."""
        lock = f"{self.key}:filling"
        deadline = self._clock() + self._wait_s
        while True:
            with redis_errors_translated():
                mine = bool(self._redis.set(lock, "1", nx=True, ex=FILL_LOCK_S))
            if mine:
                try:
                    cached = None if refill else self._cached()  # filled while we waited?
                    return cached if cached is not None else self._fill()
                finally:
                    with redis_errors_translated():
                        self._redis.delete(lock)
            self._sleep(WAIT_STEP_S)  # someone else is asking the exchange right now
            if not self._locked(lock):
                cached = self._cached()
                if cached is not None:  # the other caller's (re)fill
                    return cached
            if self._clock() > deadline:
                raise Unavailable("exchange symbol list is being refreshed; try again",
                                  system="binance")  # fmt: skip

    def _locked(self, lock: str) -> bool:
        with redis_errors_translated():
            return bool(self._redis.exists(lock))

    def _cached(self) -> ExchangeInfo | None:
        with redis_errors_translated():
            cached = self._redis.get(self.key)
        if not cached:
            return None
        try:
            return ExchangeInfo.from_cache(json.loads(cached))
        except (ValueError, KeyError, TypeError):
            return None  # an entry of an older layout: fetch it again

    def _fill(self) -> ExchangeInfo:
        try:
            info = self._exchange.exchange_info()
        except ExchangeError as e:
            raise Unavailable(
                f"{self.market.name} symbol list unavailable: {e}", system="binance"
            ) from e
        with redis_errors_translated():
            self._redis.set(self.key, json.dumps(info.to_json()), ex=self._ttl_s)
        return info


def _find(info: ExchangeInfo, symbol: str, kind: str) -> SymbolInfo | None:
    if kind != INDEX:
        return info.symbols.get(symbol)
    if symbol in info.pairs:  # the pair itself: a perpetual of it stands for its status
        same = [i for i in info.symbols.values() if i.pair == symbol]
        perpetual = [i for i in same if i.contract_type == "PERPETUAL"]
        return (perpetual or same)[0]
    return info.symbols.get(symbol)
