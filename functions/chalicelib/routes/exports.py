"""Exports of stored candles to S3 (enterprise): validated here, written by a worker."""

from __future__ import annotations

from chalice import Response

from chalicelib.plans import require_interval, require_range
from chalicelib.router import Router, accepted
from chalicelib.runtime import RuntimeProvider
from chalicelib.validation import (
    parse_interval,
    parse_required_range,
    parse_symbol,
    reject_unknown,
)
from cl3_common.auth import Principal
from cl3_common.errors import InvalidRequest, SubscriptionRequired
from cl3_common.tasks import TaskType

EXPORT_FORMATS = ("csv", "parquet")


def export_routes(runtime: RuntimeProvider) -> Router:
    router = Router(__name__, runtime)

    @router.route("/api/market-data/export", methods=("POST",))
    def export(user: Principal) -> Response:
        rt = router.runtime
        plan = rt.entitlements[user.tier]
        if not plan.can_export:
            raise SubscriptionRequired(
                f"the {user.tier} plan cannot export; exports need the enterprise plan"
            )
        body = router.json_body()
        reject_unknown(body, {"symbol", "interval", "start", "end", "format"})
        symbol = parse_symbol(body.get("symbol"))
        interval = parse_interval(body.get("interval"))
        fmt = body.get("format")
        if not isinstance(fmt, str) or fmt.strip().lower() not in EXPORT_FORMATS:
            raise InvalidRequest(
                f"format is required and must be one of {', '.join(EXPORT_FORMATS)}"
            )
        fmt = fmt.strip().lower()
        if body.get("end") is None:
            raise InvalidRequest("end is required (ISO-8601 UTC or epoch milliseconds)")
        now_ms = int(rt.clock() * 1000)
        start_ms, end_ms = parse_required_range(body.get("start"), body.get("end"), now_ms=now_ms)
        require_interval(user, plan, interval, "export")
        require_range(user, plan, start_ms, end_ms, "export")
        params = {
            "symbol": symbol,
            "interval": interval,
            "start_ms": start_ms,
            "end_ms": end_ms,
            "format": fmt,
        }
        task_id, _created = rt.tasks.submit(
            user, TaskType.EXPORT, params, max_concurrent=plan.max_concurrent_jobs
        )
        return accepted(task_id)

    return router
