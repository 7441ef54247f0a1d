"""What the mirror asks one market's exchange host: raw klines, fundingRate, exchangeInfo.

Requests go through the host's shared weight gate like every worker's (USDⓈ-M fundingRate
also through its own request budget). The mirror answers a client that is waiting, so a wait
for budget longer than `max_wait_s` (a full window, a 429 pause) is not slept: it becomes
`UpstreamBusy`, which the client gets as Binance's 429 with `Retry-After`. A ban is never
waited for (the gate raises ExchangeBanned at once).

The paced client is made on the first request that needs the exchange (its budget comes from
the host's exchangeInfo), so stored candles are served while the host cannot be asked.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from cl3_common.exchange.client import BinanceClient
from cl3_common.exchange.errors import ExchangeUnavailable
from cl3_common.exchange.markets import TRADE, Market


class UpstreamBusy(Exception):
    """The shared budget is spent for longer than a waiting client should wait."""

    def __init__(self, retry_after_s: float) -> None:
        super().__init__(f"exchange budget exhausted for {retry_after_s:.1f}s")
        self.retry_after_s = retry_after_s


def bounded_sleep(
    max_wait_s: float, sleep: Callable[[float], None] = time.sleep
) -> Callable[[float], None]:
    """A sleep for the mirror's gate: short waits are slept, long ones refused."""

    def bounded(seconds: float) -> None:
        if seconds > max_wait_s:
            raise UpstreamBusy(seconds)
        sleep(seconds)

    return bounded


class Upstream:
    def __init__(self, client: Callable[[], BinanceClient], market: Market) -> None:
        self._client = client
        self.market = market

    def klines(
        self,
        name: str,
        interval: str,
        *,
        kind: str = TRADE,
        start_ms: int | None = None,
        end_ms: int | None = None,
        limit: int,
        time_zone: str | None = None,
    ) -> list[list[Any]]:
        """A klines page of any kind as the exchange sends it (`name`: the pair for index)."""
        given = {self.market.symbol_param(kind): name, "interval": interval, "limit": limit,
                 "startTime": start_ms, "endTime": end_ms, "timeZone": time_zone}  # fmt: skip
        params = {k: v for k, v in given.items() if v is not None}
        weight = self.market.klines_weight(limit)
        rows = self._client().get_json(self.market.klines_path(kind), params, weight)
        if not isinstance(rows, list):
            raise ExchangeUnavailable(f"klines answered {type(rows).__name__}, not a list")
        return rows

    def funding(
        self, symbol: str | None, *, start_ms: int | None, end_ms: int | None, limit: int
    ) -> list[dict[str, Any]]:
        """fundingRate as the exchange answers it."""
        return self._client().funding_rates(symbol, start_ms, end_ms, limit)

    def exchange_info(self) -> dict[str, Any]:
        path = f"{self.market.prefix}/exchangeInfo"
        body = self._client().get_json(path, {}, self.market.exchange_info_weight)
        if not isinstance(body, dict):
            raise ExchangeUnavailable("exchangeInfo answered something that is not an object")
        return body
