"""A thin, typed client for Binance's public market-data endpoints, one market per client.

Spot, USDⓈ-M and COIN-M differ only in what `Market` describes (host, paths, weights), so one
client class serves all three. Session, clock and sleep come in through the constructor so
tests drive time without patching. requests/HTTP failures are translated here into
`cl3_common.exchange.errors`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson
import requests
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from cl3_common.exchange.errors import (
    ExchangeBanned,
    ExchangeRejected,
    ExchangeThrottled,
    ExchangeUnavailable,
)
from cl3_common.exchange.gate import NoGate, WeightBudget
from cl3_common.exchange.markets import SPOT_MARKET, TRADE, Market
from cl3_common.observability import record

KLINES_LIMIT = 1000
FUNDING_LIMIT = 1000  # events per fundingRate request (Binance's maximum)
_SECONDS = {"SECOND": 1, "MINUTE": 60, "HOUR": 3600, "DAY": 86400}


class Gate(Protocol):
    budget: WeightBudget

    def acquire(self, weight: int) -> None: ...
    def observe_used_weight(self, used: int) -> None: ...
    def pause(self, seconds: float) -> None: ...
    def ban(self, until_s: float) -> None: ...


@dataclass(frozen=True)
class SymbolInfo:
    """One symbol of `exchangeInfo`; futures add their pair, contract type and dates."""

    symbol: str
    status: str  # TRADING, BREAK, ...; COIN-M's contractStatus (DELIVERED, ...)
    pair: str | None = None
    contract_type: str | None = None
    onboard_ms: int | None = None
    delivery_ms: int | None = None

    @classmethod
    def from_exchange(cls, s: dict[str, Any]) -> SymbolInfo:
        def ms(name: str) -> int | None:
            value = s.get(name)
            return int(value) if value is not None else None

        return cls(
            symbol=str(s["symbol"]),
            status=str(s.get("status") or s.get("contractStatus") or "TRADING"),
            pair=s.get("pair"),
            contract_type=s.get("contractType"),
            onboard_ms=ms("onboardDate"),
            delivery_ms=ms("deliveryDate"),
        )

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class ExchangeInfo:
    symbols: dict[str, SymbolInfo]
    budget: WeightBudget
    pairs: frozenset[str] = field(default_factory=frozenset)  # futures: index klines' names

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> ExchangeInfo:
        budget = WeightBudget()
        for rule in body.get("rateLimits", []):
            if rule.get("rateLimitType") == "REQUEST_WEIGHT":
                window = _SECONDS.get(rule.get("interval", "MINUTE"), 60) * int(
                    rule.get("intervalNum", 1)
                )
                budget = WeightBudget(limit=int(rule["limit"]), window_s=window)
                break
        infos = [SymbolInfo.from_exchange(s) for s in body.get("symbols", [])]
        return cls({i.symbol: i for i in infos}, budget, _pairs(infos))

    def status(self, symbol: str) -> str | None:
        info = self.symbols.get(symbol)
        return info.status if info else None

    def to_json(self) -> dict[str, Any]:
        return {
            "symbols": [i.to_json() for i in self.symbols.values()],
            "budget": {"limit": self.budget.limit, "window_s": self.budget.window_s},
        }

    @classmethod
    def from_cache(cls, data: dict[str, Any]) -> ExchangeInfo:
        infos = [SymbolInfo(**s) for s in data["symbols"]]
        return cls({i.symbol: i for i in infos}, WeightBudget(**data["budget"]), _pairs(infos))


def _pairs(infos: list[SymbolInfo]) -> frozenset[str]:
    return frozenset(i.pair for i in infos if i.pair)


class BinanceClient:
    def __init__(
        self,
        base_url: str,
        session: requests.Session,
        *,
        market: Market = SPOT_MARKET,
        gate: Gate | None = None,
        funding_gate: Gate | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        timeout_s: float = 10.0,
        max_attempts: int = 6,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.market = market
        self._session = session
        self.gate: Gate = gate or NoGate()
        # fundingRate's own per-IP request budget, on top of the host's weight budget.
        self.funding_gate: Gate | None = funding_gate
        self._clock = clock
        self._sleep = sleep
        self._timeout_s = timeout_s
        self._max_attempts = max_attempts
        # Used weight per window reported by the last response ({"X-MBX-USED-WEIGHT-1M": 40}).
        self.last_used_weights: dict[str, int] = {}

    def exchange_info(self) -> ExchangeInfo:
        path = f"{self.market.prefix}/exchangeInfo"
        return ExchangeInfo.from_json(self._get(path, {}, self.market.exchange_info_weight))

    def klines(
        self,
        symbol: str,
        interval: str,
        start_ms: int,
        end_ms: int | None = None,
        limit: int | None = None,
        *,
        kind: str = TRADE,
    ) -> list[list[Any]]:
        """Klines of one kind; `symbol` is the pair for index klines (`pair=`)."""
        limit = self.market.page_limit if limit is None else limit
        params: dict[str, Any] = {
            self.market.symbol_param(kind): symbol,
            "interval": interval,
            "startTime": start_ms,
            "limit": limit,
        }
        if end_ms is not None:
            params["endTime"] = end_ms
        weight = self.market.klines_weight(limit)
        rows = self._get(self.market.klines_path(kind), params, weight)
        if not isinstance(rows, list):
            raise ExchangeUnavailable(f"klines answered {type(rows).__name__}, not a list")
        record.candles_fetched(self.market.name, len(rows))  # ops
        return rows

    def funding_rates(
        self,
        symbol: str | None,
        start_ms: int | None,
        end_ms: int | None = None,
        limit: int = FUNDING_LIMIT,
    ) -> list[dict[str, Any]]:
        """Funding events with fundingTime in [start_ms, end_ms] (inclusive), ascending; the
        exchange's own selection where a bound (or, on USDⓈ-M, the symbol) is left out."""
        given = {"symbol": symbol, "startTime": start_ms, "endTime": end_ms, "limit": limit}
        params: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
        path = f"{self.market.prefix}/fundingRate"
        rows = self._get(path, params, self.market.funding_weight, extra=self.funding_gate)
        if not isinstance(rows, list):
            raise ExchangeUnavailable(f"fundingRate answered {type(rows).__name__}, not a list")
        return rows

    def get_json(self, path: str, params: dict[str, Any], weight: int) -> Any:
        """Any public GET as the exchange answers it, paced and translated like the rest (the
        Binance mirror passes some answers through as they are)."""
        return self._get(path, params, weight)

    # -- transport --------------------------------------------------------------------------
    def _get(
        self, path: str, params: dict[str, Any], weight: int, *, extra: Gate | None = None
    ) -> Any:
        retrying = Retrying(
            retry=retry_if_exception_type((ExchangeUnavailable, ExchangeThrottled, ExchangeBanned)),
            stop=stop_after_attempt(self._max_attempts),
            wait=self._wait,
            sleep=self._sleep,
            before_sleep=self._retrying_after_outage,
            reraise=True,
        )
        return retrying(self._get_once, path, params, weight, extra)

    @staticmethod
    def _wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        # Throttling and bans are waited out by the gate before the next send.
        if isinstance(error, ExchangeThrottled | ExchangeBanned):
            return 0.0
        return float(wait_random_exponential(multiplier=0.25, max=20)(state))

    def _get_once(self, path: str, params: dict[str, Any], weight: int, extra: Gate | None) -> Any:
        host, arrived = self.market.name, time.perf_counter()
        self.gate.acquire(weight)
        if extra is not None:
            extra.acquire(1)
        sent = time.perf_counter()
        record.gate_waited(host, sent - arrived)  # ops
        try:
            response = self._session.get(
                self.base_url + path, params=params, timeout=self._timeout_s
            )
        except (requests.ConnectionError, requests.Timeout) as e:
            record.exchange_response(host, path, None, time.perf_counter() - sent, weight)
            raise ExchangeUnavailable(f"{path}: {e.__class__.__name__}: {e}") from e
        record.exchange_response(host, path, response.status_code, time.perf_counter() - sent,
                                 weight)  # fmt: skip
        self.last_used_weights = {
            name.upper(): int(value)
            for name, value in response.headers.items()
            if name.upper().startswith("X-MBX-USED-WEIGHT-") and value.isdigit()
        }
        used = self.last_used_weights.get(self.gate.budget.header.upper())
        if used is not None:
            self.gate.observe_used_weight(used)
            record.weight_seen(host, used, self.gate.budget.limit)  # ops
        return self._decode(path, response, extra)

    def _retrying_after_outage(self, state: RetryCallState) -> None:
        """ops: a WARNING per retry after a 5xx or timeout (429s and bans log themselves)."""
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, ExchangeUnavailable):
            wait, host = (state.next_action.sleep if state.next_action else 0.0), self.market.name
            record.fallback("exchange_retry", f"{host}: {error}; retry in {wait:.1f} s",
                            host=host, attempt=state.attempt_number, wait_s=wait)  # fmt: skip

    def _decode(self, path: str, response: requests.Response, extra: Gate | None) -> Any:
        status = response.status_code
        if status == 200:
            try:
                return orjson.loads(response.content)
            except orjson.JSONDecodeError as e:
                raise ExchangeUnavailable(f"{path}: 200 with a body that is not JSON") from e
        retry_after = _retry_after_s(response)
        if status == 429:
            wait = retry_after if retry_after is not None else 60.0
            record.exchange_throttled(self.market.name, path, retry_after, wait)  # ops: WARNING
            # An endpoint with a budget of its own (fundingRate) is throttled by that budget:
            # pause its users only, not every klines request on the host.
            (extra or self.gate).pause(wait)
            raise ExchangeThrottled(f"{path}: 429 rate limited for {wait:.0f}s", wait)
        if status == 418:
            until = self._clock() + (retry_after if retry_after is not None else 120.0)
            record.exchange_banned(self.market.name, path, retry_after, until)  # ops: WARNING
            self.gate.ban(until)
            raise ExchangeBanned(f"{path}: 418 IP banned until {until:.0f}", until)
        if status >= 500:
            raise ExchangeUnavailable(f"{path}: HTTP {status}")
        code, message = _binance_error(response)
        raise ExchangeRejected(
            f"exchange rejected {path}: {message} (code {code}, HTTP {status})",
            status=status,
            binance_code=code,
        )


def _retry_after_s(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _binance_error(response: requests.Response) -> tuple[int | None, str]:
    try:
        body = response.json()
        return int(body.get("code")), str(body.get("msg", ""))
    except (ValueError, TypeError, AttributeError):
        return None, response.text[:200] or response.reason
