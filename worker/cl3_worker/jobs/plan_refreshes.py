"""The `plan_refreshes` task: one run of the refresh planner on a worker.

`cl3 scheduler` has rq cron enqueue it every REFRESH_INTERVAL_MINUTES, for deployments without
EventBridge (where the Chalice `@app.schedule` function calls the same planner itself).
"""

from __future__ import annotations

from typing import Any

from cl3_common.refresh import plan_refreshes
from cl3_worker.runner import RunningTask


def run(task: RunningTask) -> dict[str, Any]:
    """Work function of `plan_refreshes` tasks (cl3_common.tasks.contracts)."""
    ctx = task.ctx
    return plan_refreshes(ctx.redis, ctx.stores, ctx.now_ms()).to_json()
