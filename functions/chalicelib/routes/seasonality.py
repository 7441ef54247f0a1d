"""Seasonality: analysis requests (validated here, computed by a worker) and stored results.

No pandas, numpy or worker code here (SPEC 2): `params` are validated with the standard-library
`cl3_common.analysis_params`, and the stored document and PNG are served as the store has them.
"""

from __future__ import annotations

import re
from typing import Any

from chalice import Response

from chalicelib.plans import require_enqueue, require_interval
from chalicelib.router import Router, accepted
from chalicelib.runtime import RuntimeProvider
from chalicelib.validation import parse_interval, parse_range, parse_symbol, reject_unknown
from cl3_common.analysis_params import AnalysisParams
from cl3_common.auth import Principal
from cl3_common.errors import InsufficientData, InvalidRequest, NotFound
from cl3_common.store import SeriesKey
from cl3_common.tasks import TaskType


def seasonality_routes(runtime: RuntimeProvider) -> Router:
    router = Router(__name__, runtime)

    @router.route("/api/seasonality/analyze", methods=("POST",))
    def analyze(user: Principal) -> Response:
        rt = router.runtime
        plan = rt.entitlements[user.tier]
        require_enqueue(user, plan)
        body = router.json_body()
        reject_unknown(body, {"symbol", "interval", "start", "end", "params"})
        symbol = parse_symbol(body.get("symbol"))
        interval = parse_interval(body.get("interval"))
        try:
            params = AnalysisParams.from_dict(body.get("params"))
        except ValueError as e:
            raise InvalidRequest(str(e)) from e
        now_ms = int(rt.clock() * 1000)
        start_ms, end_ms = parse_range(
            body.get("start"), body.get("end"), now_ms=now_ms, start_required=False
        )
        require_interval(user, plan, interval, "analyse")
        needed = params.min_candles
        have = rt.stores.candles.count(
            SeriesKey(symbol, interval), start_ms or 0, end_ms, at_most=needed
        )
        if have < needed:
            raise InsufficientData(
                f"need at least {needed} stored {symbol} {interval} candles in the range "
                f"(slow + 2 = {params.slow} + 2), found {have}; fetch them first with "
                "POST /api/market-data/fetch"
            )
        job_params: dict[str, Any] = {
            "symbol": symbol,
            "interval": interval,
            # None: "from the first stored candle" / "until the job runs".
            "start_ms": start_ms,
            "end_ms": end_ms if body.get("end") is not None else None,
            "params": params.to_dict(),
        }
        identity = {**job_params, "end_ms": body.get("end")}  # as fetch: raw "end" identifies
        task_id, _created = rt.tasks.submit(
            user,
            TaskType.ANALYZE,
            job_params,
            identity=identity,
            max_concurrent=plan.max_concurrent_jobs,
        )
        return accepted(task_id)

    @router.route("/api/seasonality/{symbol}/{interval}")
    def document(user: Principal, symbol: str, interval: str) -> Response:
        symbol, interval = parse_symbol(symbol), parse_interval(interval)
        _no_query(router)
        doc = router.runtime.stores.analyses.get(SeriesKey(symbol, interval))
        if doc is None:
            raise NotFound(_none_yet(symbol, interval))
        return Response(body=doc, status_code=200, headers={"Content-Type": "application/json"})

    @router.route("/api/seasonality/{symbol}/{interval}/heatmap.png")
    def heatmap(user: Principal, symbol: str, interval: str) -> Response:
        symbol, interval = parse_symbol(symbol), parse_interval(interval)
        _no_query(router)
        if not accepts_png(router.request.headers.get("accept")):
            # Chalice (and API Gateway) only pass a binary body to a request that accepts it;
            # say so in the documented error shape rather than Chalice's own.
            raise InvalidRequest(
                "the heatmap is binary: send 'Accept: image/png' (or */*) to receive it"
            )
        png = router.runtime.stores.analyses.heatmap(SeriesKey(symbol, interval))
        if png is None:
            raise NotFound(_none_yet(symbol, interval))
        return Response(
            body=png,
            status_code=200,
            headers={
                "Content-Type": "image/png",
                "Content-Disposition": f'inline; filename="{symbol}_{interval}_heatmap.png"',
                "Cache-Control": "no-cache",
            },
        )

    return router


def accepts_png(accept: str | None) -> bool:
    """Chalice's rule for a binary response: `*/*` or `image/png` among the Accept parts."""
    if not accept:
        return False
    parts = {p.strip().lower() for p in re.split("[,;]", accept)}
    return "*/*" in accept or "image/png" in parts


def _no_query(router: Router) -> None:
    unknown = sorted(router.query())
    if unknown:
        raise InvalidRequest(f"unknown query parameters: {', '.join(unknown)}")


def _none_yet(symbol: str, interval: str) -> str:
    return (
        f"no seasonality analysis of {symbol} {interval} yet; "
        "request one with POST /api/seasonality/analyze"
    )
