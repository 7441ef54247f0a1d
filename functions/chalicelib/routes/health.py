"""GET /health: no auth; says whether Redis and the store answer, and what operators need
to know at a glance (exchange bans, queue depths, the scheduled refresh's age)."""

from __future__ import annotations

from chalice import Response

from chalicelib.router import Router
from chalicelib.runtime import RuntimeProvider
from cl3_common.observability.health import health_details
from cl3_common.redis_conn import ping


def health_routes(runtime: RuntimeProvider) -> Router:
    router = Router(__name__, runtime)

    @router.route("/health", auth=False)
    def health() -> Response:
        rt = router.runtime
        redis_ok, store_ok = ping(rt.redis), rt.stores.ping()
        ok = redis_ok and store_ok
        body = {
            "status": "ok" if ok else "degraded",
            "redis": redis_ok,
            # "mongo" is the store's reachability whatever the backend (the documented field).
            "mongo": store_ok,
            "store": {"backend": rt.stores.backend, "ok": store_ok},
            # ops: bans per exchange host, queue depths, the scheduled refresh's age.
            **health_details(rt.redis, rt.settings, redis_ok=redis_ok, now_s=rt.clock()),
        }
        return Response(
            body=body,
            status_code=200 if ok else 503,
            headers={"Content-Type": "application/json", "Cache-Control": "no-store"},
        )

    return router
