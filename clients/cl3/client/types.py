"""The shapes of the API's answers (see /openapi.json), as typed dictionaries."""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

Market = Literal["spot", "usdm", "coinm"]
Kind = Literal["trade", "mark", "index", "premium"]
Fill = Literal["none", "null", "ffill"]
Time = str | int  # ISO-8601 (UTC unless an offset is given) or epoch milliseconds
PAGE_SIZE = 5000  # the API's largest page (`limit`), what iterating methods ask for


class Health(TypedDict):
    status: Literal["ok", "degraded"]
    redis: bool
    mongo: bool
    store: dict[str, Any]


class TaskAccepted(TypedDict):
    task_id: str
    status_url: str


class TaskError(TypedDict):
    code: str
    message: str


class Progress(TypedDict):
    task_id: str
    type: str
    status: str
    progress: int
    pages_done: int
    pages_total: int
    candles_written: int
    candles_per_s: float | None
    eta_s: float | None
    error: TaskError | None
    created_at: int | None
    started_at: int | None
    ended_at: int | None


class Canceled(TypedDict):
    task_id: str
    status: str


class Candle(TypedDict):
    open_time: int
    close_time: int
    open: float
    high: float
    low: float
    close: float
    volume: float
    quote_volume: float
    trades: int
    taker_buy_base: float
    taker_buy_quote: float


class CandlePage(TypedDict):
    market: str
    kind: str
    symbol: str
    interval: str
    candles: list[Candle]
    next_cursor: str | None


class SeriesCoverage(TypedDict):
    market: str
    kind: str
    symbol: str
    interval: str
    first_open_time: int
    last_open_time: int
    count: int
    expected: int
    missing: int
    gaps: NotRequired[list[dict[str, Any]]]  # {"start", "end", "missing", "cause", "error"?}


class Coverage(TypedDict):
    series: list[SeriesCoverage]


class SymbolListing(TypedDict, total=False):
    symbol: str
    status: str
    pair: str | None  # futures only, as the dates
    contract_type: str | None
    onboard_date: int | None
    delivery_date: int | None


class Symbols(TypedDict):
    market: str
    status: str
    symbols: list[str]
    count: int
    listings: list[SymbolListing]


class FundingEvent(TypedDict):
    funding_time: int
    rate: float
    mark_price: float | None
    interval_hours: int | None


class FundingPage(TypedDict):
    market: str
    symbol: str
    events: list[FundingEvent]
    next_cursor: str | None


class Usage(TypedDict):
    sub: str
    tier: str
    entitlements: dict[str, Any]
    requests: dict[str, int]
    jobs: dict[str, int]
    this_month: dict[str, Any]


TaskResult = dict[str, Any]  # task_id, type, then fields that depend on the type
Analysis = dict[str, Any]  # the seasonality document (docs/api.md)


class ApiKey(TypedDict):
    id: str
    name: str
    prefix: str
    created_at: int
    last_used_at: int | None


class CreatedApiKey(ApiKey):
    key: str  # shown once: keep it, CL3 stores only its hash
    tier: str


class RevokedApiKey(TypedDict):
    id: str
    revoked_at: int
