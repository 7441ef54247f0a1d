"""One weight gate, symbol catalogue and paced client per market host, built on first use.

Each market's host (spot, USDⓈ-M, COIN-M) has its own budget (from its own exchangeInfo),
its own 429 pause and its own 418 ban breaker, all in Redis under a namespace of the API
family and host, so a ban on fapi stops every fapi request of every process and nothing
else. USDⓈ-M's fundingRate also draws on a second budget of its own (500 requests per 5
minutes per IP) under the same namespace.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import redis
import requests

from cl3_common.exchange.catalog import FILL_LOCK_S, SymbolCatalog, host_id
from cl3_common.exchange.client import BinanceClient
from cl3_common.exchange.gate import RedisWeightGate, WeightBudget
from cl3_common.exchange.markets import MARKETS, Market
from cl3_common.settings import Settings


def gate_namespace(market: Market, base_url: str) -> str:
    return f"binance:{market.family}:{host_id(base_url)}"


class ExchangeHosts:
    def __init__(
        self,
        settings: Settings,
        client: redis.Redis,
        session: requests.Session,
        *,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
        max_ban_wait_s: float = 900.0,
        max_attempts: int = 6,
        timeout_s: float = 10.0,
        catalog_wait_s: float = FILL_LOCK_S,
    ) -> None:
        """`timeout_s`, `catalog_wait_s`: short on the request path (cl3_common.timeouts)."""
        self._settings = settings
        self._redis = client
        self._session = session
        self._clock = clock
        self._sleep = sleep
        self._max_ban_wait_s = max_ban_wait_s
        self._max_attempts = max_attempts
        self._timeout_s = timeout_s
        self._catalog_wait_s = catalog_wait_s
        self._gates: dict[str, RedisWeightGate] = {}
        self._catalogs: dict[str, SymbolCatalog] = {}
        self._catalog_clients: dict[str, BinanceClient] = {}
        self._clients: dict[str, BinanceClient] = {}
        self._lock = threading.RLock()

    def base_url(self, market: str) -> str:
        return MARKETS[market].base_url(self._settings)

    def gate(self, market: str) -> RedisWeightGate:
        """The host's gate; its budget is the default until the catalogue has been read."""
        with self._lock:
            if market not in self._gates:
                spec = MARKETS[market]
                self._gates[market] = RedisWeightGate(
                    self._redis, WeightBudget(), clock=self._clock, sleep=self._sleep,
                    max_ban_wait_s=self._max_ban_wait_s,
                    namespace=gate_namespace(spec, spec.base_url(self._settings)),
                )  # fmt: skip
            return self._gates[market]

    def catalog(self, market: str) -> SymbolCatalog:
        with self._lock:
            if market not in self._catalogs:
                # exchangeInfo goes through the host's gate too: never sent during a ban.
                client = self._catalog_clients[market] = self._build(market)
                self._catalogs[market] = SymbolCatalog(self._redis, client, sleep=self._sleep,
                                                       wait_s=self._catalog_wait_s)  # fmt: skip
            return self._catalogs[market]

    def client(self, market: str) -> BinanceClient:
        """The paced client of the market, its gate holding the budget exchangeInfo states."""
        with self._lock:
            if market not in self._clients:
                budget = self.catalog(market).info().budget
                gate = self.gate(market)
                gate.budget = budget
                # exchangeInfo was paced before the budget was known (it weighs 20 on spot):
                # make the shared count hold what the exchange says this window has used.
                used = self._catalog_clients[market].last_used_weights.get(budget.header.upper())
                if used:
                    gate.observe_used_weight(used)
                self._clients[market] = self._build(market)
            return self._clients[market]

    def _build(self, market: str) -> BinanceClient:
        spec = MARKETS[market]
        funding_gate = None
        if spec.funding_budget is not None:
            funding_gate = RedisWeightGate(
                self._redis, spec.funding_budget, clock=self._clock, sleep=self._sleep,
                max_ban_wait_s=self._max_ban_wait_s,
                namespace=gate_namespace(spec, spec.base_url(self._settings)) + ":funding",
            )  # fmt: skip
        return BinanceClient(
            spec.base_url(self._settings), self._session, market=spec, gate=self.gate(market),
            funding_gate=funding_gate, clock=self._clock, sleep=self._sleep,
            max_attempts=self._max_attempts, timeout_s=self._timeout_s,
        )  # fmt: skip
