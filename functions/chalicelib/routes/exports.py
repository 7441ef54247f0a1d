"""Exports of stored candles to S3 (enterprise): validated here, written by a worker."""

from __future__ import annotations

from typing import Any, ClassVar

from chalice import Response

from chalicelib.declarations import Access, Call, RouteGroup
from chalicelib.fields import EndTime, ExportFormat, Interval, Kind, Market, StartTime, Symbol
from chalicelib.inputs import NoInputs, TimeWindow
from chalicelib.markets import SeriesInputs, require_known_or_stored, series_key
from chalicelib.plans import require_interval, require_range
from chalicelib.router import accepted
from chalicelib.routes.market_data import ACCEPTED
from cl3_common.tasks import TaskType

routes = RouteGroup("exports")


class ExportBody(TimeWindow, SeriesInputs):
    example: ClassVar[dict[str, Any]] = {
        "symbol": "BTCUSDT", "interval": "1h", "start": "2024-01-01T00:00:00Z",
        "end": "2024-02-01T00:00:00Z", "format": "csv",
    }  # fmt: skip
    symbol: Symbol
    interval: Interval
    start: StartTime
    end: EndTime
    format: ExportFormat
    market: Market = "spot"
    kind: Kind = "trade"


@routes.post(
    "/api/market-data/export",
    summary="Export a stored range as CSV or Parquet to object storage",
    description=(
        "The task's result holds a presigned, expiring `url`, the `bucket`, `key`, `rows` and "
        "`format`. A CSV has a header row and one row per candle. The series must be stored, or "
        "its symbol known to the exchange or the archive."
    ),
    access=Access.EXPORT,
    body=ExportBody,
    responses=ACCEPTED,
    errors=(403, 429),
)
def export(call: Call[NoInputs, NoInputs, ExportBody]) -> Response:
    body, rt, plan = call.body, call.runtime, call.plan
    require_interval(call.user, plan, body.interval, "export")
    require_range(call.user, plan, body.start, body.end_ms, "export")
    key = series_key(body.symbol, body.interval, body.market, body.kind)
    # A stored series, or a symbol some source knows: anything else would become a path in
    # the bucket (exports/ABC/...) holding nothing.
    require_known_or_stored(rt.universe, rt.stores, key, body.start, body.end_ms)
    params = {
        "symbol": key.symbol,
        "interval": key.interval,
        "start_ms": body.start,
        "end_ms": body.end_ms,
        "format": body.format,
        **({} if key.is_default else {"market": key.market, "kind": key.kind}),
    }
    task_id, _created = rt.tasks.submit(
        call.user, TaskType.EXPORT, params, max_concurrent=plan.max_concurrent_jobs
    )
    return accepted(task_id)
