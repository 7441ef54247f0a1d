"""GET /health: no auth; says whether Redis and MongoDB answer."""

from __future__ import annotations

from chalice import Response

from chalicelib.router import Router
from chalicelib.runtime import RuntimeProvider
from cl3_common.redis_conn import ping
from cl3_common.store.mongo import mongo_ping


def health_routes(runtime: RuntimeProvider) -> Router:
    router = Router(__name__, runtime)

    @router.route("/health", auth=False)
    def health() -> Response:
        rt = router.runtime
        redis_ok, mongo_ok = ping(rt.redis), mongo_ping(rt.mongo)
        ok = redis_ok and mongo_ok
        return Response(
            body={"status": "ok" if ok else "degraded", "redis": redis_ok, "mongo": mongo_ok},
            status_code=200 if ok else 503,
            headers={"Content-Type": "application/json", "Cache-Control": "no-store"},
        )

    return router
