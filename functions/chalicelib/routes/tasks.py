"""Task progress, results and cancellation; other users' tasks do not exist for a caller."""

from __future__ import annotations

from typing import Any

from chalicelib.router import Router
from chalicelib.runtime import RuntimeProvider
from cl3_common.auth import Principal


def task_routes(runtime: RuntimeProvider) -> Router:
    router = Router(__name__, runtime)

    @router.route("/api/task/{task_id}/progress")
    def progress(user: Principal, task_id: str) -> dict[str, Any]:
        return router.runtime.tasks.progress(user, task_id)

    @router.route("/api/task/{task_id}/result")
    def result(user: Principal, task_id: str) -> dict[str, Any]:
        return router.runtime.tasks.result(user, task_id)

    @router.route("/api/task/{task_id}", methods=("DELETE",))
    def cancel(user: Principal, task_id: str) -> dict[str, Any]:
        return router.runtime.tasks.cancel(user, task_id)

    return router
