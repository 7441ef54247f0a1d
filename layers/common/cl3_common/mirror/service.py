"""The mirror's endpoints as plain calls, built once per API process on first use."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis
import requests
from requests.adapters import HTTPAdapter

from cl3_common.exchange.catalog import host_id
from cl3_common.exchange.hosts import ExchangeHosts
from cl3_common.exchange.markets import SPOT, SPOT_MARKET
from cl3_common.mirror.exchange_info import ExchangeInfoMirror
from cl3_common.mirror.flight import SingleFlight
from cl3_common.mirror.klines import KlineSource
from cl3_common.mirror.page_cache import PageCache
from cl3_common.mirror.params import Params, klines_query
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


@dataclass
class BinanceMirror:
    info: ExchangeInfoMirror
    source: KlineSource
    clock: Callable[[], float]

    def ping(self) -> dict[str, Any]:
        return {}

    def server_time(self) -> dict[str, Any]:
        return {"serverTime": int(self.clock() * 1000)}

    def exchange_info(self, params: Params, *, requests_per_minute: int) -> dict[str, Any]:
        return self.info.answer(params, requests_per_minute=requests_per_minute)

    def klines(self, params: Params) -> str:
        """The JSON text of the answer (built as text: a page is 1000 rows)."""
        return self.source.klines_json(klines_query(params, self.info.symbols()))


def pooled_session(connections: int = 32) -> requests.Session:
    """The mirror's own HTTP session: every API thread may be fetching a page at once."""
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=connections)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = "cl3-mirror/0.1"
    return session


class MirrorProvider:
    """Builds the mirror on the first mirror request: its weight budget is the exchange's,
    read from the symbol catalogue (shared in Redis) like the workers read it."""

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


def build_mirror(
    settings: Settings,
    client: redis.Redis,
    stores: Stores,
    session: requests.Session,
    *,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> BinanceMirror:
    # The spot host's gate, budget and ban breaker, shared with every worker (exchange/hosts.py);
    # only the waits differ: a waiting client is answered 429 rather than held.
    hosts = ExchangeHosts(
        settings, client, session, clock=clock, sleep=bounded_sleep(MAX_BUDGET_WAIT_S, sleep),
        max_ban_wait_s=0, max_attempts=2, timeout_s=UPSTREAM_TIMEOUT_S,
        catalog_wait_s=REQUEST_WAIT_S,
    )  # fmt: skip
    base_url = hosts.base_url(SPOT)
    upstream = Upstream(hosts.client(SPOT), page_limit=SPOT_MARKET.page_limit)
    flights = SingleFlight(client, sleep=sleep)
    source = KlineSource(stores.candles, stores.ledger, upstream, flights,
                         clock_ms=lambda: int(clock() * 1000), cache=PageCache())  # fmt: skip
    info = ExchangeInfoMirror(client, upstream, flights, host_id=host_id(base_url), clock=clock)
    return BinanceMirror(info, source, clock)
