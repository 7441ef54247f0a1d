"""A market's `exchangeInfo`, fetched once for every API process and filtered locally.

exchangeInfo weighs 20 on spot and bots ask for it at every start; the mirror keeps each
market's answer in Redis for `ttl_s` (filled by one caller at a time) and a parsed copy in
memory for `memory_ttl_s`, which is also what klines and fundingRate requests check symbols
(and index klines pairs) against, and where futures number formats come from. Spot's
`symbol`, `symbols` and `symbolStatus` are applied here with Binance's errors; the futures
endpoints take no parameters. When a refresh fails (a ban, an outage), the last answer is
used for up to `stale_ttl_s`: stored candles stay servable while the exchange cannot be
asked. `rateLimits` describe the mirror's own limit for the caller's plan (each request
weighs 1), since that, not the exchange's budget, is what a client of the mirror meets.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
import redis

from cl3_common.errors import Unavailable
from cl3_common.exchange.errors import ExchangeError
from cl3_common.intervals import now_ms
from cl3_common.mirror import binance_errors as err
from cl3_common.mirror.flight import SingleFlight
from cl3_common.mirror.params import Params, symbol
from cl3_common.mirror.upstream import Upstream, UpstreamBusy
from cl3_common.redis_conn import KEY_PREFIX, redis_errors_translated

log = logging.getLogger("cl3.mirror")
_SYMBOLS = re.compile(r'^\[("[A-Z0-9\-_.]{1,20}"(,"[A-Z0-9\-_.]{1,20}")*)?\]$')
_STATUSES = ("TRADING", "HALT", "BREAK")


@dataclass(frozen=True)
class _Snapshot:
    body: dict[str, Any]
    by_symbol: dict[str, dict[str, Any]]
    taken_at: float
    pairs: frozenset[str] = frozenset()  # futures: what indexPriceKlines takes


class ExchangeInfoMirror:
    def __init__(
        self,
        client: redis.Redis,
        upstream: Upstream,
        flights: SingleFlight,
        *,
        host_id: str,
        family: str = "spot",
        filters: bool = True,
        clock: Callable[[], float] = time.time,
        ttl_s: int = 300,
        memory_ttl_s: float = 60.0,
        stale_ttl_s: int = 7 * 86_400,
    ) -> None:
        self._redis = client
        self._upstream = upstream
        self._flights = flights
        self._clock = clock
        self._ttl_s = ttl_s
        self._memory_ttl_s = memory_ttl_s
        self._stale_ttl_s = stale_ttl_s
        self._filters = filters  # spot's symbol / symbols / symbolStatus
        self._name = f"mirror:exchange_info:{family}:{host_id}"
        self._key = f"{KEY_PREFIX}:{self._name}"
        self._snapshot: _Snapshot | None = None
        self._lock = threading.Lock()

    def symbols(self) -> Mapping[str, dict[str, Any]]:
        return self._current().by_symbol

    def pairs(self) -> frozenset[str]:
        return self._current().pairs

    def answer(self, params: Params, *, requests_per_minute: int) -> dict[str, Any]:
        snapshot = self._current()
        names = (
            select_symbols(params, snapshot.by_symbol)
            if self._filters
            else list(snapshot.by_symbol)
        )
        return {
            **snapshot.body,
            "serverTime": now_ms(self._clock),
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
                body = self._shared(fallback=snapshot.body if snapshot else None)
                by_symbol = {str(s["symbol"]): s for s in body.get("symbols", [])}
                pairs = frozenset(str(s["pair"]) for s in by_symbol.values() if s.get("pair"))
                snapshot = self._snapshot = _Snapshot(body, by_symbol, self._clock(), pairs)
        return snapshot

    def _shared(self, fallback: dict[str, Any] | None) -> dict[str, Any]:
        """The answer kept in Redis, refreshed from the exchange once it is `ttl_s` old."""
        kept = self._kept()
        if kept is not None and self._clock() - float(kept["fetched_at"]) < self._ttl_s:
            return dict(kept["body"])
        try:
            self._flights.run(self._name, self._refresh)
        except (ExchangeError, UpstreamBusy, Unavailable):
            stale = kept["body"] if kept is not None else fallback
            if stale is None:
                raise
            log.warning("exchangeInfo refresh failed; using the last answer")
            return dict(stale)
        kept = self._kept()
        return dict(kept["body"]) if kept is not None else self._upstream.exchange_info()

    def _refresh(self) -> dict[str, Any]:
        kept = {"fetched_at": self._clock(), "body": self._upstream.exchange_info()}
        with redis_errors_translated():
            self._redis.set(self._key, orjson.dumps(kept), ex=self._stale_ttl_s)
        return {"refreshed": True}

    def _kept(self) -> dict[str, Any] | None:
        with redis_errors_translated():
            raw = self._redis.get(self._key)
        return dict(orjson.loads(raw)) if raw else None


def select_symbols(params: Params, known: Mapping[str, Any]) -> list[str]:
    """The symbols an exchangeInfo query names, with Binance's errors for bad combinations."""
    one = symbol(params)
    many = params.get("symbols") or None
    if one is not None and many is not None:
        raise err.bad_combination()
    names = _named(one, many, known)
    if any(name not in known for name in names):
        raise err.invalid_symbol()
    status = params.get("symbolStatus") or None
    if status is None:
        return names
    return _with_status(names, status, known, named=one is not None or many is not None)


def _with_status(
    names: list[str], status: str, known: Mapping[str, Any], *, named: bool
) -> list[str]:
    """`symbolStatus`, which goes with neither `symbol` nor `symbols`."""
    if named:
        raise err.bad_combination()
    if status not in _STATUSES:
        raise err.invalid_param("symbolStatus")
    return [n for n in names if known[n].get("status") == status]


def _named(one: str | None, many: str | None, known: Mapping[str, Any]) -> list[str]:
    """`symbol`, else `symbols` (a JSON list), else every known symbol."""
    if one is not None:
        return [one]
    if many is None:
        return list(known)
    if not _SYMBOLS.match(many):
        raise err.illegal_chars("symbols", err.SYMBOLS_RANGE)
    return list(json.loads(many))
