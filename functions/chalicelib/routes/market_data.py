"""Fetch requests (enqueued, never run inline) and reads of stored candles."""

from __future__ import annotations

import csv
import io
from typing import Any, ClassVar

from chalice import Response

from chalicelib.candle_pages import MAX_SOURCES, PageRequest, read_page
from chalicelib.declarations import Access, Call, ResponseDoc, RouteGroup
from chalicelib.fields import (
    DEFAULT_LIMIT,
    Cursor,
    EndTime,
    FillMode,
    Flag,
    Interval,
    Kind,
    Limit,
    Market,
    ReadFormat,
    StartTime,
    Symbol,
    TimeZone,
    encode_cursor,
)
from chalicelib.inputs import Inputs, NoInputs, TimeWindow
from chalicelib.markets import SeriesInputs, require_known, series_key, stored_name
from chalicelib.plans import require_interval, require_range
from chalicelib.router import accepted, json_response
from chalicelib.schemas import CandlePage, Coverage, TaskAccepted
from cl3_common.intervals import count_candles, next_open
from cl3_common.series_gaps import series_gaps
from cl3_common.store import API_FIELDS, SeriesKey
from cl3_common.tasks import TaskType

routes = RouteGroup("market data")

ACCEPTED = {202: ResponseDoc("Enqueued; poll `status_url`.", TaskAccepted)}


class FetchBody(TimeWindow, SeriesInputs):
    example: ClassVar[dict[str, Any]] = {
        "symbol": "BTCUSDT", "interval": "1h",
        "start": "2024-01-01T00:00:00Z", "end": "2024-02-01T00:00:00Z",
    }  # fmt: skip
    symbol: Symbol
    interval: Interval
    start: StartTime
    end: EndTime | None = None
    market: Market = "spot"
    kind: Kind = "trade"


class CandlesPath(Inputs):
    symbol: Symbol
    interval: Interval


class CandlesQuery(TimeWindow, SeriesInputs):
    now_slack_ms = 1  # the candle opening this millisecond may be asked for
    start: StartTime | None = None
    end: EndTime | None = None
    limit: Limit = DEFAULT_LIMIT
    cursor: Cursor | None = None
    format: ReadFormat = "json"
    market: Market = "spot"
    kind: Kind = "trade"
    resample: Interval | None = None
    tz: TimeZone | None = None
    fill: FillMode = "none"


class CoverageQuery(SeriesInputs):
    symbol: Symbol | None = None
    interval: Interval | None = None
    market: Market | None = None
    kind: Kind | None = None
    gaps: Flag | None = None


@routes.post(
    "/api/market-data/fetch",
    summary="Fetch a range of candles from the exchange into the store",
    description=(
        "Validates the interval and range against your plan and the symbol against the "
        "market's sources (its symbol list, trading or not, then the archive for delisted "
        "symbols), then enqueues a task. An identical request of yours while one is queued or "
        "running returns the same `task_id`. `end` defaults to now. Index klines are the "
        "pair's: they are stored, and read, under the pair (docs/markets.md)."
    ),
    access=Access.ENQUEUE,
    body=FetchBody,
    responses=ACCEPTED,
    errors=(403, 429),
)
def fetch(call: Call[NoInputs, NoInputs, FetchBody]) -> Response:
    body, rt, plan = call.body, call.runtime, call.plan
    start_ms, end_ms = body.start, body.end_ms
    require_interval(call.user, plan, body.interval, "fetch")
    require_range(call.user, plan, start_ms, end_ms, "fetch")
    key = series_key(body.symbol, body.interval, body.market, body.kind)
    # Trading or not (halted, settled, delisted): what REST or the archive still has.
    require_known(rt.universe, key, start_ms, end_ms)
    params: dict[str, Any] = {
        "symbol": key.symbol, "interval": key.interval, "start_ms": start_ms, "end_ms": end_ms,
        **({} if key.is_default else {"market": key.market, "kind": key.kind}),
    }  # fmt: skip
    identity = {**params, "end_ms": body.end}  # "until now" requests are one request
    task_id, _created = rt.tasks.submit(
        call.user, TaskType.FETCH, params, identity=identity,
        max_concurrent=plan.max_concurrent_jobs,
    )  # fmt: skip
    rt.stores.series.track(key, first_ms=start_ms)
    return accepted(task_id)


@routes.get(
    "/api/market-data/coverage",
    summary="What is stored: first and last candle, count, expected and missing per series",
    description=(
        "`gaps=true` adds each series' gaps between its first and last stored candle, with "
        "their cause (`exchange_outage`, `not_fetched`, `failed` with the error, "
        "`unverified`); it is the default when `symbol` and `interval` name one series. "
        "Without gaps the answer costs no read of the candles."
    ),
    query=CoverageQuery,
    responses={200: ResponseDoc("Stored series matching the filters.", Coverage)},
)
def coverage(call: Call[NoInputs, CoverageQuery, NoInputs]) -> dict[str, Any]:
    q, stores = call.query, call.runtime.stores
    stored = stores.candles.list_series(
        market=q.market,
        kind=q.kind,
        interval=q.interval,
        symbol=stored_name(q.symbol, q.kind or "") if q.symbol else None,
    )
    one_series = q.symbol is not None and q.interval is not None
    with_gaps = one_series if q.gaps is None else q.gaps
    series = []
    for b in stored:
        end = next_open(b.last_open_time, b.interval)
        expected = count_candles(b.first_open_time, end, b.interval)
        entry = {
            "market": b.market, "kind": b.kind, "symbol": b.symbol, "interval": b.interval,
            "first_open_time": b.first_open_time, "last_open_time": b.last_open_time,
            "count": b.count, "expected": expected, "missing": expected - b.count,
        }  # fmt: skip
        if with_gaps:  # a complete series has none: no read at all
            key = SeriesKey(b.symbol, b.interval, b.market, b.kind)
            entry["gaps"] = [] if b.count >= expected else series_gaps(
                stores.candles, stores.ledger, key, b.first_open_time, end, stored=b.count
            ).gaps  # fmt: skip
        series.append(entry)
    return {"series": series}


@routes.get(
    "/api/market-data/{symbol}/{interval}",
    summary="Stored candles, oldest first, in pages; resampled and filled on request",
    description=(
        "`start` is inclusive and `end` exclusive (default: now). A full page has a "
        "`next_cursor`; pass it back as `cursor` for the next one. `format=csv` answers CSV "
        "with a header row and the cursor in the `X-Next-Cursor` header. `resample` builds "
        "candles of a coarser interval from the stored ones (with `vwap`, `complete`, "
        "`sources`), in `tz` when given; `limit` counts resampled candles, and a page may read "
        f"at most {MAX_SOURCES:,} stored candles. `fill=null|ffill` adds placeholders for "
        "missing candles, flagged `filled`."
    ),
    path_params=CandlesPath,
    query=CandlesQuery,
    responses={
        200: ResponseDoc(
            "A page of candles.",
            CandlePage,
            alternatives={"text/csv": {"type": "string", "description": "format=csv"}},
        )
    },
)
def candles(call: Call[CandlesPath, CandlesQuery, NoInputs]) -> Response:
    p, q = call.path, call.query
    key = series_key(p.symbol, p.interval, q.market, q.kind)
    start_ms = q.start_ms if q.cursor is None else max(q.start_ms or 0, q.cursor)
    request = PageRequest(key, start_ms, q.end_ms, q.limit, q.resample, q.tz, q.fill)
    page = read_page(call.runtime.stores.candles, request, now_ms=call.now_ms)
    next_cursor = None if page.next_cursor_ms is None else encode_cursor(page.next_cursor_ms)
    if q.format == "csv":
        headers: dict[str, str | list[str]] = {"Content-Type": "text/csv; charset=utf-8"}
        if next_cursor:
            headers["X-Next-Cursor"] = next_cursor
        return Response(body=_to_csv(page.candles), status_code=200, headers=headers)
    body: dict[str, Any] = {**key.to_json(), "interval": page.interval}
    if q.resample is not None:
        body.update(source_interval=p.interval, tz=q.tz or "UTC")
    return json_response({**body, "candles": page.candles, "next_cursor": next_cursor})


def _to_csv(rows: list[dict[str, Any]]) -> str:
    """A header row of the API fields (plus vwap/complete/sources/filled when present)."""
    extra = [f for f in _EXTRA_COLUMNS if rows and f in rows[0]]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*API_FIELDS, *extra])
    for row in rows:
        writer.writerow([_csv_value(row.get(f)) for f in (*API_FIELDS, *extra)])
    return out.getvalue()


_EXTRA_COLUMNS = ("vwap", "complete", "sources", "filled")


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value
