"""Route registration with authentication, rate limits and error mapping wrapped around it."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from chalice import Blueprint, Response

from chalicelib.http_errors import response_for
from chalicelib.runtime import Runtime, RuntimeProvider
from cl3_common.auth import Principal
from cl3_common.errors import InvalidRequest


class Router:
    """One blueprint plus the runtime its handlers share."""

    def __init__(self, name: str, runtime: RuntimeProvider) -> None:
        self.blueprint = Blueprint(name)
        self._runtime = runtime

    @property
    def runtime(self) -> Runtime:
        return self._runtime.get()

    @property
    def request(self) -> Any:
        return self.blueprint.current_request

    def route(
        self, path: str, *, methods: tuple[str, ...] = ("GET",), auth: bool = True, **kw: Any
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def decorate(handler: Callable[..., Any]) -> Callable[..., Any]:
            @functools.wraps(handler)
            def view(**url_params: Any) -> Any:
                try:
                    if not auth:
                        return handler(**url_params)
                    user = self.authenticate()
                    return handler(user, **url_params)
                except Exception as e:  # mapped in one place; unknown errors become a 500
                    return response_for(e)

            self.blueprint.route(path, methods=list(methods), **kw)(view)
            return handler

        return decorate

    def authenticate(self) -> Principal:
        headers = self.request.headers
        runtime = self.runtime
        if runtime.credentials is not None:  # API keys or tokens (cl3_common.auth.credentials)
            user = runtime.credentials.authenticate(headers)
        else:
            user = runtime.authenticator.authenticate(headers.get("authorization"))
        if runtime.rate_limiter is not None:
            runtime.rate_limiter.check(user, runtime.entitlements[user.tier])
        return user

    def json_body(self) -> dict[str, Any]:
        raw = self.request.raw_body
        if not raw:
            raise InvalidRequest("request body must be a JSON object")
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as e:
            raise InvalidRequest(f"request body is not valid JSON: {e}") from e
        if not isinstance(body, dict):
            raise InvalidRequest("request body must be a JSON object")
        return body

    def query(self) -> dict[str, str]:
        return dict(self.request.query_params or {})


def accepted(task_id: str) -> Response:
    return Response(
        body={"task_id": task_id, "status_url": f"/api/task/{task_id}/progress"},
        status_code=202,
        headers={"Content-Type": "application/json", "Location": f"/api/task/{task_id}/progress"},
    )
