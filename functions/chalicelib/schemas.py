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


class Health(Closed):
    status: Literal["ok", "degraded"]
    redis: bool
    mongo: bool = Field(description="Whether the store answers, whatever its backend.")
    store: StoreHealth


class TaskAccepted(Closed):
    task_id: str
    status_url: str = Field(examples=["/api/task/0f1e.../progress"])


class TaskError(Closed):
    code: str
    message: str


class Progress(Closed):
    task_id: str
    type: Literal["fetch", "refresh", "analyze", "export"]
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
    type: Literal["fetch", "refresh", "analyze", "export"]


class Candle(Closed):
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


class CandlePage(Closed):
    market: str = _enum(MARKETS)
    kind: str = _enum(KINDS)
    symbol: str
    interval: str = _enum(INTERVALS)
    candles: list[Candle]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )


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


class Coverage(Closed):
    series: list[SeriesCoverage]


class Symbols(Closed):
    symbols: list[str]
    count: int


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
