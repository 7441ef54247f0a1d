"""What the API answers, as models: the OpenAPI document's response schemas.

Handlers build plain dicts (the hot read path stays a dict comprehension); these models say
what those dicts hold, and the contract fuzz test checks every real response against them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from cl3_common.intervals import INTERVALS
from cl3_common.store.keys import KINDS, MARKETS

EpochMs = int
TASK_STATUSES = ("queued", "started", "finished", "failed", "canceled", "stopped")


class Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Open(BaseModel):
    """A response that may grow fields; documented fields are always there."""

    model_config = ConfigDict(extra="allow")


def _enum(values: tuple[str, ...]) -> Any:
    return Field(json_schema_extra={"enum": list(values)})


class StoreHealth(Closed):
    backend: Literal["sqlite", "mongodb"]
    ok: bool


class HostHealth(Closed):
    banned: bool = Field(description="The host's 418 ban breaker is open: nothing is sent.")
    banned_until: EpochMs | None
    paused_until: EpochMs | None = Field(description="A 429's Retry-After pause, if any.")


class RefreshHealth(Closed):
    last_run_at: EpochMs | None = Field(description="The last scheduled refresh run.")
    age_s: float | None
    interval_s: int


class Health(Closed):
    status: Literal["ok", "degraded"]
    redis: bool
    mongo: bool = Field(description="Whether the store answers, whatever its backend.")
    store: StoreHealth
    exchange: dict[str, HostHealth] | None = Field(
        description="Per exchange host (spot, usdm, coinm); null while Redis is down."
    )
    queues: dict[str, dict[str, int]] | None = Field(
        description="Jobs per queue by state (queued, started, scheduled, deferred, failed)."
    )
    refresh: RefreshHealth


class TaskAccepted(Closed):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "task_id": "5f0c2b9e8d7a4c1b9e3f6a2d1c0b9a88",
        "status_url": "/api/task/5f0c2b9e8d7a4c1b9e3f6a2d1c0b9a88/progress",
    }]})  # fmt: skip
    task_id: str
    status_url: str = Field(examples=["/api/task/0f1e.../progress"])


class TaskError(Closed):
    code: str
    message: str


class Progress(Closed):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "task_id": "5f0c2b9e8d7a4c1b9e3f6a2d1c0b9a88", "type": "fetch", "status": "started",
        "progress": 42, "pages_done": 3, "pages_total": 7, "candles_written": 3000,
        "candles_per_s": 9100.0, "eta_s": 0.4, "error": None, "created_at": 1717200000000,
        "started_at": 1717200000120, "ended_at": None,
    }]})  # fmt: skip
    task_id: str
    type: Literal["fetch", "refresh", "analyze", "export", "audit", "funding", "funding_refresh"]
    status: str = _enum(TASK_STATUSES)
    progress: int = Field(ge=0, le=100)
    pages_done: int = Field(ge=0)
    pages_total: int = Field(ge=0)
    candles_written: int = Field(ge=0)
    candles_per_s: float | None
    eta_s: float | None
    error: TaskError | None
    created_at: EpochMs | None
    started_at: EpochMs | None
    ended_at: EpochMs | None


class Canceled(Closed):
    task_id: str
    status: str = _enum(TASK_STATUSES)


class TaskResult(Open):
    """A finished task's result; the fields after `type` depend on it (docs/api.md)."""

    task_id: str
    type: Literal["fetch", "refresh", "analyze", "export", "audit", "funding", "funding_refresh"]


class Candle(Closed):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "open_time": 1704067200000, "close_time": 1704070799999, "open": 42283.58,
        "high": 42554.57, "low": 42261.02, "close": 42475.23, "volume": 1271.68,
        "quote_volume": 53957248.1, "trades": 47134, "taker_buy_base": 682.57,
        "taker_buy_quote": 28957416.8,
    }]})  # fmt: skip
    open_time: EpochMs
    close_time: EpochMs
    open: float
    high: float
    low: float
    close: float
    volume: float
    quote_volume: float
    trades: int
    taker_buy_base: float
    taker_buy_quote: float


class PageCandle(Closed):
    """A candle as a read serves it: stored, resampled, or a placeholder (`fill`)."""

    open_time: EpochMs
    close_time: EpochMs
    open: float | None
    high: float | None
    low: float | None
    close: float | None
    volume: float | None
    quote_volume: float | None
    trades: int | None
    taker_buy_base: float | None
    taker_buy_quote: float | None
    vwap: float | None = Field(None, description="resample: quote_volume / volume")
    complete: bool | None = Field(None, description="resample: every source candle was found")
    sources: int | None = Field(None, description="resample: source candles found")
    filled: bool | None = Field(None, description="fill: a placeholder, never stored")


class CandlePage(Closed):
    market: str = _enum(MARKETS)
    kind: str = _enum(KINDS)
    symbol: str
    interval: str = _enum(INTERVALS)
    source_interval: str | None = Field(None, description="resample: the stored interval")
    tz: str | None = Field(None, description="resample: the time zone of the buckets")
    candles: list[PageCandle]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )


GAP_CAUSES = ("exchange_outage", "not_fetched", "failed", "unverified")


class Gap(Closed):
    """Missing candles between stored ones, with why they are missing (docs/api.md)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "start": 1679661600000, "end": 1679666400000, "missing": 80, "cause": "exchange_outage",
    }]})  # fmt: skip
    start: EpochMs = Field(description="Open time of the first missing candle.")
    end: EpochMs = Field(description="Open time after the last missing candle (exclusive).")
    missing: int = Field(ge=1)
    cause: str = Field(
        description="exchange_outage: the exchange served the candles around it and none "
        "inside; not_fetched: no fetch asked for it; failed: the latest fetch of it failed "
        "(see `error`); unverified: the candles around it came from an unknown source.",
        json_schema_extra={"enum": list(GAP_CAUSES)},
    )
    error: TaskError | None = Field(None, description="failed: the error of that fetch.")


class SeriesCoverage(Closed):
    market: str = _enum(MARKETS)
    kind: str = _enum(KINDS)
    symbol: str
    interval: str = _enum(INTERVALS)
    first_open_time: EpochMs
    last_open_time: EpochMs
    count: int
    expected: int
    missing: int
    gaps: list[Gap] | None = Field(
        None,
        description="With `gaps=true`, or when `symbol` and `interval` name one series: the "
        "gaps between the first and last stored candle with their cause.",
    )


class Coverage(Closed):
    series: list[SeriesCoverage]


class SymbolListing(Closed):
    symbol: str
    status: str = Field(examples=["TRADING", "BREAK", "DELIVERED"])
    pair: str | None = Field(default=None, description="Futures: the contract's pair.")
    contract_type: str | None = Field(default=None, examples=["PERPETUAL", "CURRENT_QUARTER"])
    onboard_date: EpochMs | None = None
    delivery_date: EpochMs | None = None


class Symbols(Closed):
    market: str = _enum(MARKETS)
    status: Literal["trading", "all"]
    symbols: list[str] = Field(description="The names, sorted.")
    count: int
    listings: list[SymbolListing] = Field(description="The same symbols with their status.")


class FundingEvent(Closed):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "funding_time": 1719792000004, "rate": 0.0001, "mark_price": 3433.52,
        "interval_hours": 8,
    }]})  # fmt: skip
    funding_time: EpochMs
    rate: float = Field(description="A fraction: 0.0001 is 0.01 %.")
    mark_price: float | None = Field(description="null where the source has none.")
    interval_hours: int | None = Field(description="Hours since the symbol's previous event.")


class FundingPage(Closed):
    market: str = _enum(MARKETS)
    symbol: str
    events: list[FundingEvent]
    next_cursor: str | None


class FundingSeries(Closed):
    market: str = _enum(MARKETS)
    symbol: str
    first_time: EpochMs
    last_time: EpochMs
    count: int


class FundingCoverage(Closed):
    series: list[FundingSeries]


class Analysis(Open):
    """The stored seasonality analysis (docs/api.md, "Seasonality")."""

    symbol: str
    interval: str
    start: EpochMs
    end: EpochMs
    candles: int
    computed_at: EpochMs
    params: dict[str, Any]


class Entitlements(Closed):
    can_enqueue: bool
    can_export: bool
    can_audit: bool
    max_range_days: int | None = Field(description="Longest fetch or export; null: unlimited.")
    min_interval: str | None
    max_concurrent_jobs: int
    requests_per_minute: int


class RequestQuota(Closed):
    limit: int
    remaining: int
    reset_s: int = Field(description="Seconds until `remaining` next grows.")


class Jobs(Closed):
    running: int = Field(description="Your tasks queued or running now.")
    max_concurrent: int


class MonthlyCandles(Closed):
    month: str = Field(examples=["2024-05"], description="Calendar month, UTC.")
    candles_fetched: int = Field(description="Candles your fetch and refresh tasks stored.")


class Usage(Closed):
    sub: str
    tier: Literal["free", "pro", "enterprise"]
    entitlements: Entitlements
    requests: RequestQuota
    jobs: Jobs
    this_month: MonthlyCandles
