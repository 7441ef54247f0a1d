"""`Client`: one typed method per endpoint of the CL3 API, plus `fetch(..., wait=True)`.

from cl3.client import Client
client = Client("http://127.0.0.1:8000", token)      # or Client.from_env()
df = client.fetch("BTCUSDT", "1h", "2024-01-01", "2024-02-01")   # progress bar, DataFrame
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Literal, overload

import requests
from rich.console import Console

from cl3.client.errors import TaskFailed
from cl3.client.frames import candles_frame
from cl3.client.funding import FundingMethods
from cl3.client.progress import follow
from cl3.client.times import TimeLike, as_time
from cl3.client.transport import DEFAULT_TIMEOUT_S, Transport
from cl3.client.types import (
    PAGE_SIZE,
    Analysis,
    ApiKey,
    Canceled,
    Candle,
    CandlePage,
    Coverage,
    CreatedApiKey,
    Fill,
    Health,
    Kind,
    Market,
    Progress,
    RevokedApiKey,
    Symbols,
    TaskAccepted,
    TaskResult,
    Usage,
)

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_URL = "http://127.0.0.1:8000"


class Client(FundingMethods):
    def __init__(
        self,
        base_url: str = DEFAULT_URL,
        token: str | None = None,
        *,
        session: requests.Session | None = None,
        timeout_s: float | tuple[float, float] = DEFAULT_TIMEOUT_S,
        max_retries: int = 3,
        max_wait_s: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        poll_interval_s: float = 0.5,
        progress: bool = True,
        console: Console | None = None,
    ) -> None:
        self.http = Transport(
            base_url, token, session=session, timeout_s=timeout_s,
            max_retries=max_retries, max_wait_s=max_wait_s, sleep=sleep,
        )  # fmt: skip
        self._sleep = sleep
        self._poll_interval_s = poll_interval_s
        self._progress = progress
        self._console = console

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **options: Any) -> Client:
        """`CL3_API_URL` (default http://127.0.0.1:8000) and `CL3_TOKEN`."""
        env = os.environ if environ is None else environ
        return cls(env.get("CL3_API_URL") or DEFAULT_URL, env.get("CL3_TOKEN"), **options)

    # -- service -----------------------------------------------------------------------------
    def health(self) -> Health:
        """The health document, also when it says "degraded" (503): no retries, no raise."""
        response = self.http.session.get(f"{self.http.base_url}/health", timeout=5)
        if response.status_code not in (200, 503):
            self.http.request("GET", "/health")  # raises the matching ApiError
        return response.json()

    def openapi(self) -> dict[str, Any]:
        return self._json("GET", "/openapi.json")

    def symbols(
        self, market: Market = "spot", status: Literal["trading", "all"] = "trading"
    ) -> Symbols:
        params = {k: v for k, v in (("market", market), ("status", status))
                  if v not in ("spot", "trading")}  # fmt: skip
        return self._json("GET", "/api/symbols", params=params)

    def usage(self) -> Usage:
        return self._json("GET", "/api/usage")

    # -- stored candles ----------------------------------------------------------------------
    def coverage(
        self,
        symbol: str | None = None,
        interval: str | None = None,
        *,
        market: Market | None = None,
        kind: Kind | None = None,
        gaps: bool | None = None,
    ) -> Coverage:
        """Stored series; `gaps=True` (the default for one series) lists each series' gaps
        with their cause."""
        params: dict[str, Any] = {"symbol": symbol, "interval": interval, "market": market,
                                  "kind": kind}  # fmt: skip
        if gaps is not None:
            params["gaps"] = "true" if gaps else "false"
        return self._json("GET", "/api/market-data/coverage", params=params)

    def candles(
        self,
        symbol: str,
        interval: str,
        start: TimeLike | None = None,
        end: TimeLike | None = None,
        *,
        limit: int | None = None,
        cursor: str | None = None,
        market: Market = "spot",
        kind: Kind = "trade",
        resample: str | None = None,
        tz: str | None = None,
        fill: Fill | None = None,
    ) -> CandlePage:
        """One page of stored candles (`next_cursor` leads to the next); `resample`, `tz` and
        `fill` shape it on the server (docs/api.md)."""
        params = _read_params(start, end, limit, cursor, market, kind, resample, tz, fill)
        return self._json("GET", f"/api/market-data/{symbol}/{interval}", params=params)

    def candles_csv(
        self,
        symbol: str,
        interval: str,
        start: TimeLike | None = None,
        end: TimeLike | None = None,
        *,
        limit: int | None = None,
        market: Market = "spot",
        kind: Kind = "trade",
        resample: str | None = None,
        tz: str | None = None,
        fill: Fill | None = None,
    ) -> str:
        params = {**_read_params(start, end, limit, None, market, kind, resample, tz, fill),
                  "format": "csv"}  # fmt: skip
        return self.http.request("GET", f"/api/market-data/{symbol}/{interval}", params=params).text

    def iter_candles(
        self,
        symbol: str,
        interval: str,
        start: TimeLike | None = None,
        end: TimeLike | None = None,
        *,
        market: Market = "spot",
        kind: Kind = "trade",
    ) -> Iterator[Candle]:
        """Every stored candle of [start, end), page after page."""
        cursor: str | None = None
        while True:
            page = self.candles(symbol, interval, start, end, limit=PAGE_SIZE, cursor=cursor,
                                market=market, kind=kind)  # fmt: skip
            yield from page["candles"]
            cursor = page["next_cursor"]
            if cursor is None:
                return

    def candles_frame(
        self,
        symbol: str,
        interval: str,
        start: TimeLike | None = None,
        end: TimeLike | None = None,
        *,
        market: Market = "spot",
        kind: Kind = "trade",
    ) -> pd.DataFrame:
        """Stored candles as a DataFrame indexed by UTC open time."""
        return candles_frame(
            self.iter_candles(symbol, interval, start, end, market=market, kind=kind)
        )

    # -- fetching from the exchange ----------------------------------------------------------
    def submit_fetch(
        self,
        symbol: str,
        interval: str,
        start: TimeLike,
        end: TimeLike | None = None,
        *,
        market: Market = "spot",
        kind: Kind = "trade",
    ) -> TaskAccepted:
        body = _series_body(symbol, interval, start, end, market, kind)
        return self._json("POST", "/api/market-data/fetch", json=body)

    @overload
    def fetch(self, symbol: str, interval: str, start: TimeLike, end: TimeLike | None = ...,
              *, market: Market = ..., kind: Kind = ..., wait: Literal[True] = ...,
              ) -> pd.DataFrame: ...  # fmt: skip
    @overload
    def fetch(self, symbol: str, interval: str, start: TimeLike, end: TimeLike | None = ...,
              *, market: Market = ..., kind: Kind = ..., wait: Literal[False],
              ) -> TaskAccepted: ...  # fmt: skip
    def fetch(
        self,
        symbol: str,
        interval: str,
        start: TimeLike,
        end: TimeLike | None = None,
        *,
        market: Market = "spot",
        kind: Kind = "trade",
        wait: bool = True,
    ) -> pd.DataFrame | TaskAccepted:
        """Fetch [start, end) into the store; with `wait`, follow it and return the candles."""
        accepted = self.submit_fetch(symbol, interval, start, end, market=market, kind=kind)
        if not wait:
            return accepted
        self.wait(accepted["task_id"])
        done = self.result(accepted["task_id"])
        return self.candles_frame(done["symbol"], done["interval"], done["start"], done["end"],
                                  market=market, kind=kind)  # fmt: skip

    # -- tasks -------------------------------------------------------------------------------
    def progress(self, task_id: str) -> Progress:
        return self._json("GET", f"/api/task/{task_id}/progress")

    def result(self, task_id: str) -> TaskResult:
        return self._json("GET", f"/api/task/{task_id}/result")

    def cancel(self, task_id: str) -> Canceled:
        return self._json("DELETE", f"/api/task/{task_id}")

    def wait(self, task_id: str, *, show: bool | None = None) -> Progress:
        """Polls a task to its end (with a progress bar); TaskFailed unless it finished."""
        final = follow(
            lambda: self.progress(task_id), self._sleep, interval_s=self._poll_interval_s,
            show=self._progress if show is None else show, console=self._console,
        )  # fmt: skip
        if final["status"] != "finished":
            raise TaskFailed(task_id, final["status"], dict(final["error"] or {}))
        return final

    # -- seasonality and exports -------------------------------------------------------------
    def analyze(
        self,
        symbol: str,
        interval: str,
        start: TimeLike | None = None,
        end: TimeLike | None = None,
        *,
        params: Mapping[str, Any] | None = None,
        market: Market = "spot",
        kind: Kind = "trade",
        wait: bool = False,
    ) -> TaskAccepted | Analysis:
        """Enqueue an analysis; with `wait`, return the stored analysis document."""
        body = _series_body(symbol, interval, start, end, market, kind)
        if params is not None:
            body["params"] = dict(params)
        accepted: TaskAccepted = self._json("POST", "/api/seasonality/analyze", json=body)
        if not wait:
            return accepted
        self.wait(accepted["task_id"])
        return self.seasonality(symbol, interval, market=market, kind=kind)

    def seasonality(
        self, symbol: str, interval: str, *, market: Market = "spot", kind: Kind = "trade"
    ) -> Analysis:
        params = _series_params(market, kind)
        return self._json("GET", f"/api/seasonality/{symbol}/{interval}", params=params)

    def heatmap_png(
        self, symbol: str, interval: str, *, market: Market = "spot", kind: Kind = "trade"
    ) -> bytes:
        path = f"/api/seasonality/{symbol}/{interval}/heatmap.png"
        response = self.http.request(
            "GET", path, params=_series_params(market, kind), headers={"Accept": "image/png"}
        )
        return response.content

    def export(
        self,
        symbol: str,
        interval: str,
        start: TimeLike,
        end: TimeLike,
        *,
        format: Literal["csv", "parquet"] = "csv",
        market: Market = "spot",
        kind: Kind = "trade",
        wait: bool = False,
    ) -> TaskAccepted | TaskResult:
        """Enqueue an export (enterprise); with `wait`, return its result (`url`, `rows`...)."""
        body = {**_series_body(symbol, interval, start, end, market, kind), "format": format}
        return self._submit("/api/market-data/export", body, wait=wait)

    def audit(
        self,
        symbol: str,
        interval: str,
        start: TimeLike,
        end: TimeLike,
        *,
        repair: bool = False,
        market: Market = "spot",
        kind: Kind = "trade",
        wait: bool = False,
    ) -> TaskAccepted | TaskResult:
        """Enqueue an audit of stored candles against the exchange (enterprise); with `wait`,
        return its result (differences per candle and per archive file, repairs)."""
        body = {**_series_body(symbol, interval, start, end, market, kind), "repair": repair}
        return self._submit("/api/market-data/audit", body, wait=wait)

    # -- API keys (managed with a token; a key also works as this client's `token`) -----------
    def create_api_key(self, name: str) -> CreatedApiKey:
        """A long-lived key for bots; its `key` is shown only in this answer."""
        return self._json("POST", "/api/keys", json={"name": name})

    def api_keys(self) -> list[ApiKey]:
        return list(self._json("GET", "/api/keys")["keys"])

    def revoke_api_key(self, key_id: str) -> RevokedApiKey:
        return self._json("DELETE", f"/api/keys/{key_id}")

    # -- plumbing ----------------------------------------------------------------------------
    def request(self, method: str, path: str, **options: Any) -> requests.Response:
        """Any request, with this client's session, retries and errors."""
        return self.http.request(method, path, **options)

    def _json(self, method: str, path: str, **options: Any) -> Any:
        return self.http.request(method, path, **options).json()

    def _submit(self, path: str, body: dict[str, Any], *, wait: bool) -> TaskAccepted | TaskResult:
        """Submits a task; with `wait`, follows it and returns its result."""
        accepted: TaskAccepted = self._json("POST", path, json=body)
        if not wait:
            return accepted
        self.wait(accepted["task_id"])
        return self.result(accepted["task_id"])


def _series_params(market: str, kind: str) -> dict[str, str]:
    """Only non-default values go on the URL, so plain spot requests stay plain."""
    return {k: v for k, v in (("market", market), ("kind", kind)) if v not in ("spot", "trade")}


def _read_params(
    start: TimeLike | None,
    end: TimeLike | None,
    limit: int | None,
    cursor: str | None,
    market: str,
    kind: str,
    resample: str | None = None,
    tz: str | None = None,
    fill: Fill | None = None,
) -> dict[str, Any]:
    """A candle read's query (None values are left off the URL)."""
    return {
        "start": None if start is None else as_time(start),
        "end": None if end is None else as_time(end),
        "limit": limit,
        "cursor": cursor,
        **_series_params(market, kind),
        "resample": resample,
        "tz": tz,
        "fill": fill,
    }


def _series_body(
    symbol: str,
    interval: str,
    start: TimeLike | None,
    end: TimeLike | None,
    market: str,
    kind: str,
) -> dict[str, Any]:
    body: dict[str, Any] = {"symbol": symbol, "interval": interval, **_series_params(market, kind)}
    if start is not None:
        body["start"] = as_time(start)
    if end is not None:
        body["end"] = as_time(end)
    return body
