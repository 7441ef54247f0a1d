"""CL3's own exception family.

Two branches: `ApiError` is what a caller did wrong or may not do (each carries the snake_case
code of the API's error shape); `BackendError` is a third-party system failing, split by whether
retrying can help. Clients translate library exceptions into these at their boundary. Every
error turns into the same `{"code", "message"}` pair with `as_error()`: the API's error body and
a failed task's `error` (docs/architecture.md, "Errors").
"""

from __future__ import annotations


class CL3Error(Exception):
    """Base of every error CL3 raises on purpose."""

    code = "internal"

    def as_error(self) -> dict[str, str]:
        """`{"code", "message"}`: the shape of the API's errors and of a failed task's error."""
        return {"code": self.code, "message": str(self)}


class ApiError(CL3Error):
    code = "invalid_request"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InvalidRequest(ApiError):
    code = "invalid_request"


class InvalidSymbol(InvalidRequest):
    code = "invalid_symbol"


class InvalidInterval(InvalidRequest):
    code = "invalid_interval"


class InvalidRange(InvalidRequest):
    code = "invalid_range"


class Unauthorized(ApiError):
    code = "unauthorized"


class SubscriptionRequired(ApiError):
    code = "subscription_required"


class Forbidden(ApiError):
    code = "forbidden"


class NotFound(ApiError):
    code = "not_found"


class NotFinished(ApiError):
    code = "not_finished"


class InsufficientData(ApiError):
    """Fewer candles than an analysis needs (docs/analytics.md: slow + 2)."""

    code = "insufficient_data"

    def __init__(self, message: str, *, needed: int | None = None, got: int | None = None) -> None:
        super().__init__(message)
        self.needed = needed
        self.got = got

    @classmethod
    def candles(cls, needed: int, got: int) -> InsufficientData:
        return cls(f"need at least {needed} candles for this analysis, got {got}",
                   needed=needed, got=got)  # fmt: skip


class Throttled(ApiError):
    """Base of the 429s: always says when to come back."""

    code = "rate_limited"

    def __init__(self, message: str, *, retry_after_s: int, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after_s = max(1, int(retry_after_s))


class RateLimited(Throttled):
    code = "rate_limited"


class TooManyJobs(Throttled):
    code = "too_many_jobs"


class BackendError(CL3Error):
    """A backing or third-party system failed."""

    def __init__(self, message: str, *, system: str, code: str | None = None) -> None:
        super().__init__(message)
        self.system = system
        if code is not None:
            self.code = code


class RetryableError(BackendError):
    """Trying again later may succeed (timeouts, 5xx, connection refused, throttling)."""

    code = "unavailable"


class PermanentError(BackendError):
    """Trying again cannot help (rejected request, unknown symbol)."""

    code = "rejected"


class Unavailable(RetryableError):
    """A backing service (Redis, MongoDB) cannot be reached; the API answers 503."""
