"""GET /api/usage: the caller's plan and how much of it is in use right now."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from chalicelib.declarations import Call, ResponseDoc, RouteGroup
from chalicelib.inputs import NoInputs
from chalicelib.schemas import Usage
from cl3_common.auth import Principal
from cl3_common.errors import NotFound
from cl3_common.redis_conn import as_text, redis_errors_translated
from cl3_common.tasks.contracts import TERMINAL_STATUSES
from cl3_common.tasks.keys import active_jobs_key
from cl3_common.usage import candles_this_month, month_of

routes = RouteGroup("usage")


@routes.get(
    "/api/usage",
    summary="Your plan, requests left this minute, running jobs and candles fetched this month",
    responses={200: ResponseDoc("Your usage now (this request included).", Usage)},
)
def usage(call: Call[NoInputs, NoInputs, NoInputs]) -> dict[str, Any]:
    user, plan, rt = call.user, call.plan, call.runtime
    quota = call.quota
    limit = quota.limit if quota else plan.requests_per_minute
    return {
        "sub": user.sub,
        "tier": user.tier,
        "entitlements": asdict(plan),
        "requests": {
            "limit": limit,
            "remaining": quota.remaining if quota else limit,
            "reset_s": quota.reset_s if quota else 0,
        },
        "jobs": {"running": _running_jobs(call, user), "max_concurrent": plan.max_concurrent_jobs},
        "this_month": {
            "month": month_of(call.now_ms),
            "candles_fetched": candles_this_month(rt.redis, user.sub, call.now_ms),
        },
    }


def _running_jobs(call: Call[Any, Any, Any], user: Principal) -> int:
    """The caller's tasks still queued or running, as the task service reports them."""
    with redis_errors_translated():
        members = [as_text(m) for m in call.runtime.redis.smembers(active_jobs_key(user.sub))]
    running = 0
    for task_id in members:
        try:
            status = call.runtime.tasks.progress(user, task_id)["status"]
        except NotFound:
            continue
        running += status not in TERMINAL_STATUSES
    return running
