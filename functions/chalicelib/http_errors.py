"""The one place where errors become HTTP responses (docs/api.md, "Errors")."""

from __future__ import annotations

import logging
from typing import Any

from chalice import Response

from chalicelib.inputs import PayloadTooLarge
from chalicelib.media import UnsupportedMediaType
from cl3_common import errors

log = logging.getLogger("cl3.api")

_STATUS: tuple[tuple[type[errors.ApiError], int], ...] = (
    (errors.InvalidRequest, 400),
    (errors.Unauthorized, 401),
    (errors.SubscriptionRequired, 403),
    (errors.Forbidden, 403),
    (errors.NotFound, 404),
    (errors.NotFinished, 409),
    (PayloadTooLarge, 413),
    (UnsupportedMediaType, 415),
    (errors.InsufficientData, 422),
    (errors.Throttled, 429),
)


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        body=error_body(code, message),
        status_code=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def response_for(exc: Exception) -> Response:
    if isinstance(exc, errors.ApiError):
        status = next((s for cls, s in _STATUS if isinstance(exc, cls)), 400)
        headers = {}
        if isinstance(exc, errors.Throttled):
            headers["Retry-After"] = str(exc.retry_after_s)
        if isinstance(exc, errors.Unauthorized):
            headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return error_response(status, exc.code, exc.message, headers)
    if isinstance(exc, errors.RetryableError):
        log.warning("backing service unavailable: %s", exc)
        system = getattr(exc, "system", "a backing service")
        return error_response(
            503, "unavailable", f"{system} is unavailable; try again shortly", {"Retry-After": "5"}
        )
    log.error("unhandled error", exc_info=exc)
    return error_response(500, "internal", "internal error; it has been logged")
