"""The mirror's endpoints as plain calls: one `MarketMirror` per market (spot, USDⓈ-M, COIN-M),
each built on its first request, all sharing one exchange-host set, single flight and page
cache per API process."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis
import requests

from cl3_common.exchange.catalog import host_id
from cl3_common.exchange.hosts import ExchangeHosts
from cl3_common.exchange.markets import COINM, INDEX, MARKETS, PREMIUM, SPOT, TRADE, Market
from cl3_common.exchange.session import exchange_session
from cl3_common.intervals import ms_clock
from cl3_common.mirror.exchange_info import ExchangeInfoMirror
from cl3_common.mirror.flight import SingleFlight
from cl3_common.mirror.funding import FundingSource
from cl3_common.mirror.klines import KlineSource
from cl3_common.mirror.page_cache import PageCache
from cl3_common.mirror.params import (
    FUTURES_INTERVALS,
    FUTURES_MAX_LIMIT,
    SPOT_KLINES,
    KlinesRules,
    Params,
    funding_query,
    klines_query,
)
from cl3_common.mirror.render import kline_format
from cl3_common.mirror.upstream import Upstream, bounded_sleep
from cl3_common.settings import Settings
from cl3_common.store import Stores
from cl3_common.timeouts import REQUEST_WAIT_S

# A waiting client is not held longer than this for exchange budget (then: 429 Retry-After).
MAX_BUDGET_WAIT_S = 2.0
# One exchange request on behalf of a waiting client (longer than the request path's usual
# REQUEST_READ_S: asking the exchange is what this request is for). With one retry, a client
# gets its answer or a 503 inside ccxt's and python-binance's 10 s timeouts.
UPSTREAM_TIMEOUT_S = 4.0


def klines_rules(market: Market, kind: str) -> KlinesRules:
    """What a market's klines endpoint of this kind accepts."""
    if not market.futures:
        return SPOT_KLINES
    windowed = market.max_span_ms is not None and kind != PREMIUM
    return KlinesRules(max_limit=FUTURES_MAX_LIMIT, intervals=FUTURES_INTERVALS,
                       name_param=market.symbol_param(kind), time_zones=False,
                       max_span_ms=market.max_span_ms if windowed else None)  # fmt: skip


@dataclass
class MarketMirror:
    market: Market
    info: ExchangeInfoMirror
    klines_source: KlineSource
    funding_source: FundingSource

    def exchange_info(self, params: Params, *, requests_per_minute: int) -> dict[str, Any]:
        return self.info.answer(params, requests_per_minute=requests_per_minute)

    def klines(self, params: Params, kind: str = TRADE) -> str:
        """The JSON text of the answer (built as text: a page is up to 1500 rows)."""
        names = self.info.pairs() if kind == INDEX else self.info.symbols()
        query = klines_query(params, names, klines_rules(self.market, kind), kind)
        listed = self.info.symbols().get(query.symbol)
        return self.klines_source.klines_json(query, kline_format(self.market, kind, listed))

    def funding_rates(self, params: Params) -> str:
        symbols = self.info.symbols()
        query = funding_query(params, symbols, symbol_required=self.market.name == COINM)
        listed = symbols.get(query.symbol or "") or {}
        return self.funding_source.answer_json(query, listed_ms=int(listed.get("onboardDate", 0)))


def pooled_session(connections: int = 32) -> requests.Session:
    """The mirror's own HTTP session: every API thread may be fetching a page at once."""
    return exchange_session(connections, "cl3-mirror/0.1")


class BinanceMirror:
    """Every market's mirror. Building one asks the exchange nothing: its paced client (whose
    budget comes from the host's exchangeInfo) is made on the first request that needs it."""

    def __init__(
        self,
        settings: Settings,
        client: redis.Redis,
        stores: Stores,
        session: requests.Session,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        # Each host's gate, budget and ban breaker, shared with every worker (exchange/hosts.py);
        # only the waits differ: a waiting client is answered 429 rather than held.
        self._hosts = ExchangeHosts(
            settings, client, session, clock=clock,
            sleep=bounded_sleep(MAX_BUDGET_WAIT_S, sleep), max_ban_wait_s=0, max_attempts=2,
            timeout_s=UPSTREAM_TIMEOUT_S, catalog_wait_s=REQUEST_WAIT_S,
        )  # fmt: skip
        self._redis = client
        self._stores = stores
        self._clock = clock
        self._flights = SingleFlight(client, sleep=sleep)
        self._cache = PageCache()
        self._markets: dict[str, MarketMirror] = {}
        self._lock = threading.Lock()

    def market(self, name: str = SPOT) -> MarketMirror:
        mirror = self._markets.get(name)
        if mirror is None:
            with self._lock:
                mirror = self._markets.get(name) or self._build(MARKETS[name])
                self._markets[name] = mirror
        return mirror

    def _build(self, market: Market) -> MarketMirror:
        upstream = Upstream(lambda: self._hosts.client(market.name), market)

        clock_ms = ms_clock(self._clock)
        host = host_id(self._hosts.base_url(market.name))
        info = ExchangeInfoMirror(self._redis, upstream, self._flights, host_id=host,
                                  family=market.family, filters=not market.futures,
                                  clock=self._clock)  # fmt: skip
        klines = KlineSource(self._stores.candles, self._stores.ledger, upstream, self._flights,
                             clock_ms=clock_ms, cache=self._cache)  # fmt: skip
        funding = FundingSource(self._stores.funding, self._stores.funding_ledger, upstream,
                                self._flights, clock_ms=clock_ms)  # fmt: skip
        return MarketMirror(market, info, klines, funding)


class MirrorProvider:
    """Builds the mirror on the first mirror request, once, even under concurrent requests."""

    def __init__(self, factory: Callable[[], BinanceMirror]) -> None:
        self._factory = factory
        self._mirror: BinanceMirror | None = None
        self._lock = threading.Lock()

    def get(self) -> BinanceMirror:
        if self._mirror is None:
            with self._lock:
                if self._mirror is None:
                    self._mirror = self._factory()
        return self._mirror
