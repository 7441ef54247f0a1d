"""Funding rates of futures symbols: fetch requests (enqueued), stored events, coverage, export.

An event is `{funding_time, rate, mark_price, interval_hours}` (docs/markets.md, "Funding
rates"); `interval_hours` is measured from the symbol's previous event, so a symbol whose
funding moved from every 8 h to every 4 h shows it on the event where it happened.
"""

from __future__ import annotations

import csv
import io
from typing import Any, ClassVar

from chalice import Response

from chalicelib.declarations import Access, Call, ResponseDoc, RouteGroup
from chalicelib.fields import (
    DEFAULT_LIMIT,
    Cursor,
    EndTime,
    ExportFormat,
    Limit,
    Market,
    ReadFormat,
    StartTime,
    Symbol,
    encode_cursor,
)
from chalicelib.inputs import Inputs, NoInputs, TimeWindow
from chalicelib.plans import require_range
from chalicelib.router import accepted, json_response
from chalicelib.routes.market_data import ACCEPTED
from chalicelib.schemas import FundingCoverage, FundingPage
from cl3_common.errors import InvalidRequest
from cl3_common.exchange.markets import SPOT
from cl3_common.store import FUNDING_FIELDS, FundingKey
from cl3_common.tasks import TaskType

routes = RouteGroup("funding")


def _futures(market: str) -> str:
    if market == SPOT:
        raise InvalidRequest("funding rates exist only for futures markets (usdm, coinm)")
    return market


class FundingFetchBody(TimeWindow):
    example: ClassVar[dict[str, Any]] = {
        "market": "usdm", "symbol": "ETHUSDT", "start": "2024-01-01T00:00:00Z",
    }  # fmt: skip
    market: Market
    symbol: Symbol
    start: StartTime
    end: EndTime | None = None


class FundingPath(Inputs):
    market: Market
    symbol: Symbol


class FundingQuery(TimeWindow):
    now_slack_ms = 1
    start: StartTime | None = None
    end: EndTime | None = None
    limit: Limit = DEFAULT_LIMIT
    cursor: Cursor | None = None
    format: ReadFormat = "json"


class FundingCoverageQuery(Inputs):
    market: Market | None = None
    symbol: Symbol | None = None


class FundingExportBody(TimeWindow):
    example: ClassVar[dict[str, Any]] = {
        "market": "usdm", "symbol": "ETHUSDT", "start": "2024-01-01T00:00:00Z",
        "end": "2025-01-01T00:00:00Z", "format": "csv",
    }  # fmt: skip
    market: Market
    symbol: Symbol
    start: StartTime
    end: EndTime
    format: ExportFormat


@routes.post(
    "/api/funding/fetch",
    summary="Fetch a range of a futures symbol's funding-rate history into the store",
    description=(
        "The same plans and limits as a candle fetch. The symbol must be known to the market "
        "(trading or not) or to the archive (delisted perpetuals). `end` defaults to now."
    ),
    access=Access.ENQUEUE,
    body=FundingFetchBody,
    responses=ACCEPTED,
    errors=(403, 429),
)
def fetch_funding(call: Call[NoInputs, NoInputs, FundingFetchBody]) -> Response:
    body, rt, plan = call.body, call.runtime, call.plan
    market = _futures(body.market)
    start_ms, end_ms = body.start, body.end_ms
    require_range(call.user, plan, start_ms, end_ms, "fetch")
    known = rt.universe.resolve_funding(market, body.symbol, start_ms, end_ms)
    params = {"market": market, "symbol": known.symbol, "start_ms": start_ms, "end_ms": end_ms}
    identity = {**params, "end_ms": body.end}  # "until now" requests are one request
    task_id, _created = rt.tasks.submit(
        call.user, TaskType.FUNDING, params, identity=identity,
        max_concurrent=plan.max_concurrent_jobs,
    )  # fmt: skip
    rt.stores.funding.track(FundingKey(market, known.symbol), first_ms=start_ms)
    return accepted(task_id)


@routes.get(
    "/api/funding/coverage",
    summary="Stored funding series: first and last event and how many",
    query=FundingCoverageQuery,
    responses={200: ResponseDoc("Stored funding series matching the filters.", FundingCoverage)},
)
def funding_coverage(call: Call[NoInputs, FundingCoverageQuery, NoInputs]) -> dict[str, Any]:
    q = call.query
    found = call.runtime.stores.funding.list_series(market=q.market, symbol=q.symbol)
    return {"series": [{"market": b.market, "symbol": b.symbol, "first_time": b.first_time,
                        "last_time": b.last_time, "count": b.count} for b in found]}  # fmt: skip


@routes.get(
    "/api/funding/{market}/{symbol}",
    summary="Stored funding events, oldest first, in pages",
    description=(
        "`start` is inclusive and `end` exclusive (default: now). A full page has a "
        "`next_cursor`; pass it back as `cursor`. `format=csv` answers CSV with a header row "
        "and the cursor in the `X-Next-Cursor` header."
    ),
    path_params=FundingPath,
    query=FundingQuery,
    responses={
        200: ResponseDoc(
            "A page of funding events.",
            FundingPage,
            alternatives={"text/csv": {"type": "string", "description": "format=csv"}},
        )
    },
)
def funding_events(call: Call[FundingPath, FundingQuery, NoInputs]) -> Response:
    p, q = call.path, call.query
    key = FundingKey(_futures(p.market), p.symbol)
    start_ms = max(q.start_ms or 0, q.cursor or 0)
    stored = call.runtime.stores.funding.read(key, start_ms, q.end_ms, q.limit + 1)
    events = [dict(zip(FUNDING_FIELDS, row, strict=True)) for row in stored[: q.limit]]
    cursor = encode_cursor(events[-1]["funding_time"] + 1) if len(stored) > q.limit else None
    if q.format == "csv":
        headers: dict[str, str | list[str]] = {"Content-Type": "text/csv; charset=utf-8"}
        if cursor:
            headers["X-Next-Cursor"] = cursor
        return Response(body=_to_csv(events), status_code=200, headers=headers)
    return json_response({**key.to_json(), "events": events, "next_cursor": cursor})


@routes.post(
    "/api/funding/export",
    summary="Export stored funding events as CSV or Parquet to object storage",
    description=(
        "The task's result holds a presigned, expiring `url`, the `bucket`, `key`, `rows` and "
        "`format`; a CSV has a header row and one row per event."
    ),
    access=Access.EXPORT,
    body=FundingExportBody,
    responses=ACCEPTED,
    errors=(403, 429),
)
def export_funding(call: Call[NoInputs, NoInputs, FundingExportBody]) -> Response:
    body, rt, plan = call.body, call.runtime, call.plan
    market = _futures(body.market)
    require_range(call.user, plan, body.start, body.end_ms, "export")
    if rt.stores.funding.bounds(FundingKey(market, body.symbol)) is None:
        rt.universe.resolve_funding(market, body.symbol, body.start, body.end_ms)
    params = {"dataset": "funding", "market": market, "symbol": body.symbol,
              "start_ms": body.start, "end_ms": body.end_ms, "format": body.format}  # fmt: skip
    task_id, _created = rt.tasks.submit(
        call.user, TaskType.EXPORT, params, max_concurrent=plan.max_concurrent_jobs
    )
    return accepted(task_id)


def _to_csv(events: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FUNDING_FIELDS)
    for event in events:
        writer.writerow(["" if event[f] is None else event[f] for f in FUNDING_FIELDS])
    return out.getvalue()
