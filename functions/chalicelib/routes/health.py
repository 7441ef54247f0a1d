"""GET /health: no auth; says whether Redis and the store answer."""

from __future__ import annotations

from chalice import Response

from chalicelib.declarations import Access, Call, ResponseDoc, RouteGroup
from chalicelib.inputs import NoInputs
from chalicelib.router import json_response
from chalicelib.schemas import Health
from cl3_common.redis_conn import ping

routes = RouteGroup("health")


@routes.get(
    "/health",
    summary="Whether Redis and the store answer (no token needed)",
    access=Access.PUBLIC,
    responses={
        200: ResponseDoc("Everything answers.", Health),
        503: ResponseDoc("Something does not; the body says what.", Health),
    },
)
def health(call: Call[NoInputs, NoInputs, NoInputs]) -> Response:
    rt = call.runtime
    redis_ok, store_ok = ping(rt.redis), rt.stores.ping()
    ok = redis_ok and store_ok
    body = {
        "status": "ok" if ok else "degraded",
        "redis": redis_ok,
        # "mongo" is the store's reachability whatever the backend (the documented field).
        "mongo": store_ok,
        "store": {"backend": rt.stores.backend, "ok": store_ok},
    }
    return json_response(body, 200 if ok else 503, {"Cache-Control": "no-store"})
