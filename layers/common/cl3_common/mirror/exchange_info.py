"""The exchange's `exchangeInfo`, fetched once for every API process and filtered locally.

exchangeInfo weighs 20 and bots ask for it at every start; the mirror keeps the exchange's
answer in Redis for `ttl_s` (filled by one caller at a time) and a parsed copy in memory
for `memory_ttl_s`, which is also what klines requests check symbols against. `symbol`,
`symbols` and `symbolStatus` are applied here with Binance's errors. `rateLimits` describe
the mirror's own limit for the caller's plan (each request weighs 1), since that, not the
exchange's budget, is what a client of the mirror meets.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
import redis

from cl3_common.mirror import binance_errors as err
from cl3_common.mirror.flight import SingleFlight
from cl3_common.mirror.params import Params, symbol
from cl3_common.mirror.upstream import Upstream
from cl3_common.redis_conn import KEY_PREFIX, redis_errors_translated

_SYMBOLS = re.compile(r'^\[("[A-Z0-9\-_.]{1,20}"(,"[A-Z0-9\-_.]{1,20}")*)?\]$')
_STATUSES = ("TRADING", "HALT", "BREAK")


@dataclass(frozen=True)
class _Snapshot:
    body: dict[str, Any]
    by_symbol: dict[str, dict[str, Any]]
    taken_at: float


class ExchangeInfoMirror:
    def __init__(
        self,
        client: redis.Redis,
        upstream: Upstream,
        flights: SingleFlight,
        *,
        host_id: str,
        clock: Callable[[], float] = time.time,
        ttl_s: int = 300,
        memory_ttl_s: float = 60.0,
    ) -> None:
        self._redis = client
        self._upstream = upstream
        self._flights = flights
        self._clock = clock
        self._ttl_s = ttl_s
        self._memory_ttl_s = memory_ttl_s
        self._key = f"{KEY_PREFIX}:mirror:exchange_info:{host_id}"
        self._snapshot: _Snapshot | None = None
        self._lock = threading.Lock()

    def symbols(self) -> Mapping[str, dict[str, Any]]:
        return self._current().by_symbol

    def answer(self, params: Params, *, requests_per_minute: int) -> dict[str, Any]:
        snapshot = self._current()
        names = select_symbols(params, snapshot.by_symbol)
        return {
            **snapshot.body,
            "serverTime": int(self._clock() * 1000),
            "rateLimits": [
                {
                    "rateLimitType": "REQUEST_WEIGHT",
                    "interval": "MINUTE",
                    "intervalNum": 1,
                    "limit": requests_per_minute,
                }
            ],
            "symbols": [snapshot.by_symbol[n] for n in names],
        }

    def _current(self) -> _Snapshot:
        snapshot = self._snapshot
        if snapshot is not None and self._clock() - snapshot.taken_at < self._memory_ttl_s:
            return snapshot
        with self._lock:  # one reader per process refreshes; the others use the old copy
            snapshot = self._snapshot
            if snapshot is None or self._clock() - snapshot.taken_at >= self._memory_ttl_s:
                body = self._shared()
                by_symbol = {str(s["symbol"]): s for s in body.get("symbols", [])}
                snapshot = self._snapshot = _Snapshot(body, by_symbol, self._clock())
        return snapshot

    def _shared(self) -> dict[str, Any]:
        with redis_errors_translated():
            raw = self._redis.get(self._key)
        if raw:
            return dict(orjson.loads(raw))

        def work() -> dict[str, Any]:
            body = self._upstream.exchange_info()
            with redis_errors_translated():
                self._redis.set(self._key, orjson.dumps(body), ex=self._ttl_s)
            return {"filled": True}

        self._flights.run("mirror:exchange_info", work)
        with redis_errors_translated():
            raw = self._redis.get(self._key)
        if not raw:
            return self._upstream.exchange_info()  # evicted at once: ask directly
        return dict(orjson.loads(raw))


def select_symbols(params: Params, known: Mapping[str, Any]) -> list[str]:
    """The symbols an exchangeInfo query names, with Binance's errors for bad combinations."""
    one = symbol(params)
    many = params.get("symbols") or None
    if one is not None and many is not None:
        raise err.bad_combination()
    names = list(known)
    if one is not None:
        names = [one]
    elif many is not None:
        if not _SYMBOLS.match(many):
            raise err.illegal_chars("symbols", err.SYMBOLS_RANGE)
        names = list(json.loads(many))
    if any(name not in known for name in names):
        raise err.invalid_symbol()
    status = params.get("symbolStatus") or None
    if status is not None:
        if one is not None or many is not None:
            raise err.bad_combination()
        if status not in _STATUSES:
            raise err.invalid_param("symbolStatus")
        names = [n for n in names if known[n].get("status") == status]
    return names
