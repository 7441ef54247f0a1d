"""Declared routes (declarations.py) into Chalice views, with the same steps for every route.

Token, then rate limit, then plan, then inputs, then the handler: a refused request costs no
more than the step that refused it and never reaches a handler. Every answer of an
authenticated route, refusals included, carries the caller's X-RateLimit-* headers; every
error is mapped in one place (http_errors.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from chalice import Blueprint, Response

from chalicelib.binance_http import binance_error_response, binance_weight_headers
from chalicelib.declarations import Call, RouteGroup, RouteSpec
from chalicelib.http_errors import response_for
from chalicelib.inputs import NoInputs, json_object, query_values, validated
from chalicelib.media import require_json_body
from chalicelib.runtime import Runtime, RuntimeProvider
from cl3_common.auth import Principal
from cl3_common.intervals import now_ms as wall_ms
from cl3_common.ratelimit import Quota

JSON = "application/json"


class Router:
    """Binds route groups to one runtime provider (one per app)."""

    def __init__(self, runtime: RuntimeProvider) -> None:
        self._runtime = runtime

    def blueprint(self, group: RouteGroup) -> Blueprint:
        blueprint = Blueprint(f"chalicelib.routes.{group.tag}")
        for spec in group.specs:
            view = self._view(blueprint, spec)
            # Content types are checked by our own rule (media.py), in our error shape.
            blueprint.route(spec.path, methods=[spec.method], content_types=["*/*"])(view)
        return blueprint

    def _view(self, blueprint: Blueprint, spec: RouteSpec) -> Any:
        def view(**url_params: str) -> Response:
            request = blueprint.current_request
            caller = Caller()
            try:
                runtime = self._runtime.get()
                caller.admit(spec, runtime, request.headers)
                call = _call(spec, runtime, request, caller, url_params)
                response = as_response(spec.handler(call))
            except Exception as e:  # mapped in one place; unknown errors become a 500
                caller.quota = getattr(e, "quota", caller.quota)
                response = binance_error_response(e) if spec.binance else response_for(e)
            if caller.quota is not None:
                response.headers.update(caller.quota.headers())
                if spec.binance:
                    response.headers.update(binance_weight_headers(caller.quota))
            return response

        view.__name__ = spec.name
        return view


class Caller:
    """Who is calling and what is left of their quota, as far as admission got."""

    principal: Principal | None = None
    quota: Quota | None = None

    def admit(self, spec: RouteSpec, runtime: Runtime, headers: Mapping[str, str]) -> None:
        """Token, rate limit, plan: the 401 / 429 / 403 that stops a request comes from here."""
        if not spec.authenticated:
            return
        # A token or an API key (cl3_common.auth.credentials).
        if runtime.credentials is not None:
            user = self.principal = runtime.credentials.authenticate(headers)
        else:
            user = self.principal = runtime.authenticator.authenticate(headers.get("authorization"))
        plan = runtime.entitlements[user.tier]
        if runtime.rate_limiter is not None:
            self.quota = runtime.rate_limiter.check(user, plan)
        spec.access.require(user, plan)


def _call(
    spec: RouteSpec,
    runtime: Runtime,
    request: Any,
    caller: Caller,
    url_params: Mapping[str, str],
) -> Call[Any, Any, Any]:
    """Path, then query, then body, each validated into its declared model."""
    now_ms = wall_ms(runtime.clock)
    path = validated(spec.path_model, url_params, "path")
    query = validated(spec.query_model, query_values(request.query_params), "query", now_ms=now_ms)
    body: Any = NoInputs()
    if spec.body_model is not None:
        require_json_body(request.headers.get("content-type"))
        body = validated(spec.body_model, json_object(request.raw_body), "body", now_ms=now_ms)
    return Call(runtime, path, query, body, now_ms, request.headers, caller.principal, caller.quota)


def as_response(result: Any) -> Response:
    """A handler's return value as a Response that always says what its body is."""
    if isinstance(result, Response):
        if "Content-Type" not in result.headers and not isinstance(result.body, bytes | str):
            result.headers["Content-Type"] = JSON
        return result
    return json_response(result)


def json_response(body: Any, status: int = 200, headers: Mapping[str, str] | None = None):
    return Response(
        body=orjson.dumps(body).decode(),
        status_code=status,
        headers={"Content-Type": JSON, **(headers or {})},
    )


def accepted(task_id: str) -> Response:
    status_url = f"/api/task/{task_id}/progress"
    return json_response(
        {"task_id": task_id, "status_url": status_url}, 202, {"Location": status_url}
    )
