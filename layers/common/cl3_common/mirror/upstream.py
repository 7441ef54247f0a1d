"""What the mirror asks the exchange: raw klines pages and the raw exchangeInfo.

Requests go through the shared weight gate like every worker's. The mirror answers a client
that is waiting, so a wait for budget longer than `max_wait_s` (a full window, a 429 pause)
is not slept: it becomes `UpstreamBusy`, which the client gets as Binance's 429 with
`Retry-After`. A ban is never waited for (the gate raises ExchangeBanned at once).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from cl3_common.exchange.client import KLINES_WEIGHT, BinanceClient
from cl3_common.exchange.errors import ExchangeUnavailable

EXCHANGE_INFO_WEIGHT = 20


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
    def __init__(self, client: BinanceClient, page_limit: int = 1000) -> None:
        self._client = client
        self.page_limit = page_limit

    def klines(
        self,
        symbol: str,
        interval: str,
        *,
        start_ms: int | None = None,
        end_ms: int | None = None,
        limit: int,
        time_zone: str | None = None,
        path: str = "/api/v3/klines",
    ) -> list[list[Any]]:
        params: dict[str, Any] = {"symbol": symbol, "interval": interval, "limit": limit}
        if start_ms is not None:
            params["startTime"] = start_ms
        if end_ms is not None:
            params["endTime"] = end_ms
        if time_zone is not None:
            params["timeZone"] = time_zone
        rows = self._client.get_json(path, params, KLINES_WEIGHT)
        if not isinstance(rows, list):
            raise ExchangeUnavailable(f"klines answered {type(rows).__name__}, not a list")
        return rows

    def exchange_info(self) -> dict[str, Any]:
        body = self._client.get_json("/api/v3/exchangeInfo", {}, EXCHANGE_INFO_WEIGHT)
        if not isinstance(body, dict):
            raise ExchangeUnavailable("exchangeInfo answered something that is not an object")
        return body
