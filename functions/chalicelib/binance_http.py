"""The one place where the Binance mirror's errors become HTTP answers, in Binance's shape.

Everything the mirror can meet maps to what Binance itself would answer, so clients raise
their usual exceptions: a ban of CL3's IP, or a budget spent for longer than a client should
wait, is a 429 -1003 with `Retry-After` (never a 418: the client did nothing wrong); a
backing service down is a 503 -1001; a bad or revoked key is a 401 -2014/-2015.
"""

from __future__ import annotations

import logging
import time

import orjson
from chalice import Response

from cl3_common import errors
from cl3_common.auth.api_keys import MalformedKey
from cl3_common.exchange.errors import (
    ExchangeBanned,
    ExchangeRejected,
    ExchangeThrottled,
)
from cl3_common.mirror import binance_errors as err
from cl3_common.mirror.upstream import UpstreamBusy
from cl3_common.ratelimit import Quota

log = logging.getLogger("cl3.api.binance")
JSON = "application/json;charset=UTF-8"
_EXCHANGE_MESSAGES = {-1121: "Invalid symbol.", -1120: "Invalid interval."}


def binance_response(
    body: object, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """`body` is sent as JSON; a str is JSON text already (klines pages)."""
    text = body if isinstance(body, str) else orjson.dumps(body).decode()
    return Response(body=text, status_code=status,
                    headers={"Content-Type": JSON, **(headers or {})})  # fmt: skip


def binance_weight_headers(quota: Quota) -> dict[str, str]:
    """Binance's used-weight headers for the caller's own limit (each request weighs 1)."""
    used = str(max(0, quota.limit - quota.remaining))
    return {"X-MBX-USED-WEIGHT": used, "X-MBX-USED-WEIGHT-1M": used}


def binance_error_for(exc: Exception, now_s: float) -> err.BinanceError:
    if isinstance(exc, err.BinanceError):
        return exc
    found = _caller_error(exc) or _exchange_error(exc, now_s) or _request_error(exc)
    if found is not None:
        return found
    log.error("mirror: unhandled error", exc_info=exc)
    return err.unknown_error()


def _caller_error(exc: Exception) -> err.BinanceError | None:
    """The caller's key, or the caller's own rate limit."""
    if isinstance(exc, MalformedKey) or (
        isinstance(exc, errors.Unauthorized) and exc.message.startswith("missing")
    ):
        return err.key_format_invalid()
    if isinstance(exc, errors.Unauthorized):
        return err.key_rejected()
    if isinstance(exc, errors.Throttled):
        return err.too_many_requests(exc.message, exc.retry_after_s)
    return None


def _exchange_error(exc: Exception, now_s: float) -> err.BinanceError | None:
    """The exchange banning, pacing or refusing CL3, or a backing service down."""
    # A host's symbol list that could not be read because the host is banned: the ban's 429.
    if isinstance(exc, errors.Unavailable) and isinstance(exc.__cause__, ExchangeBanned):
        exc = exc.__cause__
    if isinstance(exc, ExchangeBanned):
        wait = max(1.0, exc.until_s - now_s)
        return err.too_many_requests(
            "The exchange has banned CL3's IP for request weight; stored candles are served, "
            f"this range is not stored yet. Retry in {wait:.0f}s.", wait,
        )  # fmt: skip
    if isinstance(exc, UpstreamBusy | ExchangeThrottled):
        wait = getattr(exc, "retry_after_s", 1.0)
        return err.too_many_requests(
            "Too much request weight used on the exchange by everyone sharing this CL3; stored "
            f"candles are served, this range is not stored yet. Retry in {wait:.0f}s.", wait,
        )  # fmt: skip
    if isinstance(exc, ExchangeRejected) and exc.code is not None and 400 <= exc.status < 500:
        return err.BinanceError(exc.code, _EXCHANGE_MESSAGES.get(exc.code, str(exc)), exc.status)
    if isinstance(exc, errors.RetryableError):
        log.warning("mirror: backing service unavailable: %s", exc)
        return err.unavailable()
    return None


def _request_error(exc: Exception) -> err.BinanceError | None:
    """Any other refusal of our family, as Binance's generic -1000."""
    if isinstance(exc, errors.InvalidRequest) and "more than once" in exc.message:
        return err.BinanceError(-1101, "Duplicate values for a parameter detected.")
    if isinstance(exc, errors.ApiError):
        return err.BinanceError(-1000, exc.message, 400)
    return None


def binance_error_response(exc: Exception, now_s: float | None = None) -> Response:
    error = binance_error_for(exc, time.time() if now_s is None else now_s)
    return binance_response(error.body(), error.status, error.headers())
