"""Binance failures, split by whether a retry can help."""

from __future__ import annotations

from cl3_common.errors import BackendError, PermanentError, RetryableError


class ExchangeError(Exception):
    """Marker base so callers can catch every exchange failure at once."""


class ExchangeUnavailable(RetryableError, ExchangeError):
    """5xx, timeouts, connection resets: back off and try again."""

    def __init__(self, message: str) -> None:
        BackendError.__init__(self, message, system="binance")


class ExchangeThrottled(RetryableError, ExchangeError):
    """429: the IP's weight budget is spent; every worker waits `retry_after_s`."""

    def __init__(self, message: str, retry_after_s: float) -> None:
        BackendError.__init__(self, message, system="binance")
        self.retry_after_s = retry_after_s


class ExchangeBanned(RetryableError, ExchangeError):
    """418: the IP is banned until `until_s` (epoch seconds); nothing may be sent before."""

    def __init__(self, message: str, until_s: float) -> None:
        BackendError.__init__(self, message, system="binance")
        self.until_s = until_s


# The exchange's own refusals that have a code of ours (anything else is `exchange_rejected`).
_OUR_CODES = {-1121: "invalid_symbol", -1120: "invalid_interval"}


class ExchangeRejected(PermanentError, ExchangeError):
    """4xx with a Binance error code (-1121 invalid symbol, -1120 invalid interval, ...)."""

    def __init__(self, message: str, *, status: int, binance_code: int | None) -> None:
        code = _OUR_CODES.get(binance_code or 0, "exchange_rejected")
        BackendError.__init__(self, message, system="binance", code=code)
        self.status = status
        self.binance_code = binance_code
