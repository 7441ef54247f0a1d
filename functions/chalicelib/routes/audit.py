"""Audits of stored candles against the exchange (enterprise): validated here, run by a worker."""

from __future__ import annotations

from typing import Any, ClassVar

from chalice import Response

from chalicelib.declarations import Access, Call, RouteGroup
from chalicelib.fields import EndTime, Flag, Interval, Kind, Market, StartTime, Symbol
from chalicelib.inputs import Inputs, NoInputs, TimeWindow
from chalicelib.markets import SeriesInputs, require_known, series_key
from chalicelib.plans import require_interval, require_range
from chalicelib.router import accepted
from chalicelib.routes.market_data import ACCEPTED
from cl3_common.errors import InvalidRequest
from cl3_common.tasks import TaskType

routes = RouteGroup("market data")


class AuditBody(TimeWindow, SeriesInputs):
    example: ClassVar[dict[str, Any]] = {
        "symbol": "BTCUSDT", "interval": "1m", "start": "2024-01-01T00:00:00Z",
        "end": "2024-02-01T00:00:00Z", "repair": False,
    }  # fmt: skip
    symbol: Symbol
    interval: Interval
    start: StartTime
    end: EndTime
    market: Market = "spot"
    kind: Kind = "trade"
    repair: Flag = False


class AuditQuery(Inputs):
    repair: Flag | None = None


@routes.post(
    "/api/market-data/audit",
    summary="Audit stored candles against the exchange's REST API and archive (and repair)",
    description=(
        "Re-reads the stored range from REST and, where the exchange publishes them, its "
        "archive files; compares every field of every candle and re-checks each archive "
        "file's checksum against the one recorded when its candles were loaded. The task's "
        "result lists the differences per candle (`open_time`, `field`, `stored`, `rest`, "
        "`archive`) and per file (`same`, `reuploaded`, `unrecorded`, ...). With `repair` "
        "(body field, or `?repair=true`) differing and missing candles are replaced by the "
        "verified source: REST and the archive when they agree, else REST."
    ),
    access=Access.AUDIT,
    query=AuditQuery,
    body=AuditBody,
    responses=ACCEPTED,
    errors=(403, 429),
)
def audit(call: Call[NoInputs, AuditQuery, AuditBody]) -> Response:
    body, rt, plan = call.body, call.runtime, call.plan
    repair = _repair(call.query.repair, body)
    require_interval(call.user, plan, body.interval, "audit")
    require_range(call.user, plan, body.start, body.end_ms, "audit")
    key = series_key(body.symbol, body.interval, body.market, body.kind)
    # The sources to compare with must know the symbol (delisted ones: the archive).
    require_known(rt.universe, key, body.start, body.end_ms)
    params: dict[str, Any] = {
        "symbol": key.symbol, "interval": key.interval, "start_ms": body.start,
        "end_ms": body.end_ms, "repair": repair,
        **({} if key.is_default else {"market": key.market, "kind": key.kind}),
    }  # fmt: skip
    task_id, _created = rt.tasks.submit(
        call.user, TaskType.AUDIT, params, max_concurrent=plan.max_concurrent_jobs
    )
    return accepted(task_id)


def _repair(from_query: bool | None, body: AuditBody) -> bool:
    if from_query is None:
        return body.repair
    if "repair" in body.model_fields_set and body.repair != from_query:
        raise InvalidRequest("repair is given twice (query and body) with different values")
    return from_query
