"""`GET /metrics` and request metrics for `cl3 api`, as a WSGI layer around the Chalice app.

Requests are counted by method, route template (`/api/task/{task_id}/progress`, never the
concrete path, so no task id or symbol becomes a label) and status, with their latency as
waitress serves them. `/metrics` needs no token and answers only here: a Lambda deployment
has no long-lived process to scrape (docs/operations.md says what to watch there instead).
With METRICS_ENABLED=false neither is installed and `/metrics` is an unknown path.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable
from typing import Any

from chalice import Chalice
from chalice.local import RouteMatcher
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder

from cl3_common.observability import record
from cl3_common.observability.metrics import metrics
from cl3_common.settings import Settings

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
Wrap = Callable[[WSGIApp, Chalice], WSGIApp]
UNMATCHED = "unmatched"


class MetricsWSGI:
    def __init__(self, inner: WSGIApp, routes: Iterable[str], registry: CollectorRegistry) -> None:
        self._inner = inner
        self._registry = registry
        matcher = RouteMatcher(list(routes))
        # Paths repeat (and matching walks every route): remember the answer per path.
        self._route = functools.lru_cache(maxsize=4096)(functools.partial(_route_of, matcher))

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/metrics":
            return self._metrics(environ, method, start_response)
        statuses: list[str] = []

        def capture(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            statuses.append(status)
            return start_response(status, headers, *exc_info)

        began = time.perf_counter()
        in_progress = metrics().http_in_progress
        in_progress.inc()
        try:
            return self._inner(environ, capture)
        finally:
            in_progress.dec()
            status = int(statuses[-1].split(" ", 1)[0]) if statuses else 500
            record.http_request(method, self._route(path), status, time.perf_counter() - began)

    def _metrics(
        self, environ: dict[str, Any], method: str, start_response: StartResponse
    ) -> list[bytes]:
        if method not in ("GET", "HEAD"):
            start_response("405 Method Not Allowed", [("Allow", "GET, HEAD"),
                                                      ("Content-Length", "0")])  # fmt: skip
            return [b""]
        encoder, content_type = choose_encoder(environ.get("HTTP_ACCEPT", ""))
        payload = encoder(self._registry)
        start_response("200 OK", [("Content-Type", content_type),
                                  ("Content-Length", str(len(payload))),
                                  ("Cache-Control", "no-store")])  # fmt: skip
        return [b""] if method == "HEAD" else [payload]


def _route_of(matcher: RouteMatcher, path: str) -> str:
    try:
        return str(matcher.match_route(path).route)
    except ValueError:
        return UNMATCHED


def metrics_middleware(settings: Settings) -> Wrap | None:
    """The WSGI layer for `serve(..., wrap=...)`, or None when metrics are disabled."""
    if not settings.METRICS_ENABLED:
        return None
    from cl3_common.observability.endpoint import metrics_registry

    registry = metrics_registry(settings)

    def wrap(inner: WSGIApp, app: Chalice) -> WSGIApp:
        return MetricsWSGI(inner, app.routes, registry)

    return wrap
