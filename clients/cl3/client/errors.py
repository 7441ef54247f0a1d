"""The API's errors as exceptions: one class per HTTP status, each carrying the API's code.

try:
    client.fetch("BTCUSDT", "1h", "2024-01-01")
except cl3.client.Forbidden as e:   # 403
    print(e.code, e.message)        # "subscription_required", "the free plan cannot ..."
"""

from __future__ import annotations

from typing import Any


class CL3ClientError(Exception):
    """Base of everything this client raises."""


class TransportError(CL3ClientError):
    """The API could not be reached (connection refused, timeout) after the retries."""


class ApiError(CL3ClientError):
    """An error answer of the API: `status`, the API's `code` and `message`."""

    status: int = 0

    def __init__(
        self, status: int, code: str, message: str, *, retry_after_s: float | None = None
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.retry_after_s = retry_after_s


class BadRequest(ApiError):
    status = 400


class Unauthorized(ApiError):
    status = 401


class Forbidden(ApiError):
    status = 403


class NotFound(ApiError):
    status = 404


class MethodNotAllowed(ApiError):
    status = 405


class Conflict(ApiError):
    """409: e.g. `not_finished`, a task's result asked for before it finished."""

    status = 409


class PayloadTooLarge(ApiError):
    status = 413


class UnsupportedMediaType(ApiError):
    status = 415


class UnprocessableEntity(ApiError):
    """422: e.g. `insufficient_data`."""

    status = 422


class TooManyRequests(ApiError):
    """429: `rate_limited` or `too_many_jobs`; `retry_after_s` says when to come back."""

    status = 429


class ServerError(ApiError):
    """5xx other than 503."""

    status = 500


class ServiceUnavailable(ServerError):
    """503 `unavailable`: a backing service of the API is down."""

    status = 503


class TaskFailed(CL3ClientError):
    """A task the client waited for ended failed or canceled; `code` is the task's."""

    def __init__(self, task_id: str, status: str, error: dict[str, Any] | None) -> None:
        error = error or {}
        self.task_id = task_id
        self.status = status
        self.code = str(error.get("code") or status)
        self.message = str(error.get("message") or f"task {status}")
        super().__init__(f"task {task_id} {status}: {self.code}: {self.message}")


_BY_STATUS: dict[int, type[ApiError]] = {
    cls.status: cls
    for cls in (
        BadRequest, Unauthorized, Forbidden, NotFound, MethodNotAllowed, Conflict,
        PayloadTooLarge, UnsupportedMediaType, UnprocessableEntity, TooManyRequests,
        ServerError, ServiceUnavailable,
    )
}  # fmt: skip


def error_for(status: int, body: Any, retry_after_s: float | None = None) -> ApiError:
    """The exception for an error answer; bodies not in the API's shape still get a class."""
    error = body.get("error") if isinstance(body, dict) else None
    code = str(error.get("code")) if isinstance(error, dict) else f"http_{status}"
    message = str(error.get("message")) if isinstance(error, dict) else str(body)[:200]
    cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else ApiError)
    return cls(status, code, message, retry_after_s=retry_after_s)
