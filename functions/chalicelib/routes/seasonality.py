"""Seasonality: analysis requests (validated here, computed by a worker) and stored results.

No pandas, numpy or worker code here (the Lambda package stays small): `params` are
validated with the standard-library `cl3_common.analysis_params`, and the stored document
and PNG are served as the store has them.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar

from chalice import Response
from pydantic import WithJsonSchema

from chalicelib.declarations import Access, Call, ResponseDoc, RouteGroup
from chalicelib.fields import EndTime, Interval, Kind, Market, StartTime, Symbol, api_field
from chalicelib.inputs import Inputs, NoInputs, TimeWindow
from chalicelib.markets import SeriesInputs, series_key
from chalicelib.plans import require_interval
from chalicelib.router import accepted, json_response
from chalicelib.routes.market_data import ACCEPTED
from chalicelib.schemas import Analysis
from cl3_common.analysis_params import AnalysisParams, params_json_schema
from cl3_common.errors import InsufficientData, InvalidRequest, NotFound
from cl3_common.store import SeriesKey
from cl3_common.tasks import TaskType

routes = RouteGroup("seasonality")


def _params(value: Any) -> AnalysisParams:
    try:
        return AnalysisParams.from_dict(value)
    except ValueError as e:
        raise InvalidRequest(str(e)) from e


Params = Annotated[AnalysisParams, api_field(_params), WithJsonSchema(params_json_schema())]


class AnalyzeBody(TimeWindow, SeriesInputs):
    example: ClassVar[dict[str, Any]] = {
        "symbol": "BTCUSDT", "interval": "1h", "start": "2024-01-01T00:00:00Z",
        "params": {"fast": 20, "slow": 50},
    }  # fmt: skip
    symbol: Symbol
    interval: Interval
    start: StartTime | None = None
    end: EndTime | None = None
    params: Params | None = None
    market: Market = "spot"
    kind: Kind = "trade"


class SeriesPath(Inputs):
    symbol: Symbol
    interval: Interval


class SeriesQuery(SeriesInputs):
    market: Market = "spot"
    kind: Kind = "trade"


@routes.post(
    "/api/seasonality/analyze",
    summary="Analyse stored candles: calendar effects, SMA crossover, mean reversion",
    description=(
        "Needs at least `params.slow + 2` stored candles in [start, end) (422 "
        "`insufficient_data` otherwise: fetch them first). `start` defaults to the first "
        "stored candle, `end` to the time the job runs."
    ),
    access=Access.ENQUEUE,
    body=AnalyzeBody,
    responses=ACCEPTED,
    errors=(403, 422, 429),
)
def analyze(call: Call[NoInputs, NoInputs, AnalyzeBody]) -> Response:
    body, rt, plan = call.body, call.runtime, call.plan
    params = body.params or AnalysisParams()
    require_interval(call.user, plan, body.interval, "analyse")
    key = series_key(body.symbol, body.interval, body.market, body.kind)
    needed = params.min_candles
    have = rt.stores.candles.count(key, body.start_ms or 0, body.end_ms, at_most=needed)
    if have < needed:
        raise InsufficientData(
            f"need at least {needed} stored {key.label()} candles in the range "
            f"(slow + 2 = {params.slow} + 2), found {have}; fetch them first with "
            "POST /api/market-data/fetch"
        )
    job_params: dict[str, Any] = {
        "symbol": key.symbol,
        "interval": key.interval,
        # None: "from the first stored candle" / "until the job runs".
        "start_ms": body.start_ms,
        "end_ms": body.end_ms if body.end is not None else None,
        "params": params.to_dict(),
        **({} if key.is_default else {"market": key.market, "kind": key.kind}),
    }
    identity = {**job_params, "end_ms": body.end}  # as fetch: the given "end" identifies
    task_id, _created = rt.tasks.submit(
        call.user, TaskType.ANALYZE, job_params, identity=identity,
        max_concurrent=plan.max_concurrent_jobs,
    )  # fmt: skip
    return accepted(task_id)


@routes.get(
    "/api/seasonality/{symbol}/{interval}",
    summary="The latest stored analysis of a series",
    path_params=SeriesPath,
    query=SeriesQuery,
    responses={200: ResponseDoc("The analysis document.", Analysis)},
    errors=(404,),
)
def document(call: Call[SeriesPath, SeriesQuery, NoInputs]) -> Response:
    key = _key(call)
    doc = call.runtime.stores.analyses.get(key)
    if doc is None:
        raise NotFound(_none_yet(key))
    return json_response(doc)


@routes.get(
    "/api/seasonality/{symbol}/{interval}/heatmap.png",
    summary="The heatmap of mean return by weekday and hour (send Accept: image/png)",
    path_params=SeriesPath,
    query=SeriesQuery,
    responses={
        200: ResponseDoc(
            "PNG image.",
            schema={"type": "string", "contentMediaType": "image/png"},
            media_type="image/png",
        )
    },
    errors=(404,),
)
def heatmap(call: Call[SeriesPath, SeriesQuery, NoInputs]) -> Response:
    key = _key(call)
    if not accepts_png(call.headers.get("accept")):
        # Chalice (and API Gateway) only pass a binary body to a request that accepts it;
        # say so in the documented error shape rather than Chalice's own.
        raise InvalidRequest(
            "the heatmap is binary: send 'Accept: image/png' (or */*) to receive it"
        )
    png = call.runtime.stores.analyses.heatmap(key)
    if png is None:
        raise NotFound(_none_yet(key))
    return Response(
        body=png,
        status_code=200,
        headers={
            "Content-Type": "image/png",
            "Content-Disposition": f'inline; filename="{_file_stem(key)}_heatmap.png"',
            "Cache-Control": "no-cache",
        },
    )


def accepts_png(accept: str | None) -> bool:
    """Chalice's rule for a binary response: `*/*` or `image/png` among the Accept parts."""
    if not accept:
        return False
    parts = {p.strip().lower() for p in re.split("[,;]", accept)}
    return "*/*" in accept or "image/png" in parts


def _key(call: Call[SeriesPath, SeriesQuery, NoInputs]) -> SeriesKey:
    return series_key(call.path.symbol, call.path.interval, call.query.market, call.query.kind)


def _file_stem(key: SeriesKey) -> str:
    return f"{key.symbol}_{key.interval}" + ("" if key.is_default else f"_{key.market}_{key.kind}")


def _none_yet(key: SeriesKey) -> str:
    return (
        f"no seasonality analysis of {key.label()} yet; "
        "request one with POST /api/seasonality/analyze"
    )
