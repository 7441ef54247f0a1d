"""Binance's error bodies (`{"code": -1121, "msg": "Invalid symbol."}`) and their statuses.

The mirror answers every failure in Binance's shape with Binance's wording, so client
libraries raise the exception they raise for Binance itself (ccxt maps the codes to
BadSymbol, AuthenticationError, RateLimitExceeded ...).
"""

from __future__ import annotations

import math

NUMBER_RANGE = "^[0-9]{1,20}$"
SYMBOL_RANGE = "^[A-Z0-9-_.]{1,20}$"
SYMBOLS_RANGE = '^\\[("[A-Z0-9-_.]{1,20}"(,"[A-Z0-9-_.]{1,20}"){0,}){0,1}\\]$'


class BinanceError(Exception):
    """A mirror answer that is an error, with Binance's HTTP status, code and message."""

    def __init__(
        self, code: int, msg: str, status: int = 400, *, retry_after_s: float | None = None
    ) -> None:
        super().__init__(msg)
        self.code, self.msg, self.status = code, msg, status
        self.retry_after_s = None if retry_after_s is None else max(1, math.ceil(retry_after_s))

    def body(self) -> dict[str, object]:
        return {"code": self.code, "msg": self.msg}

    def headers(self) -> dict[str, str]:
        if self.retry_after_s is None:
            return {}
        return {"Retry-After": str(self.retry_after_s)}


def mandatory(param: str) -> BinanceError:
    return BinanceError(
        -1102, f"Mandatory parameter '{param}' was not sent, was empty/null, or malformed."
    )


def illegal_chars(param: str, legal: str) -> BinanceError:
    return BinanceError(
        -1100, f"Illegal characters found in parameter '{param}'; legal range is '{legal}'."
    )


def invalid_param(param: str) -> BinanceError:
    return BinanceError(-1130, f"Data sent for parameter '{param}' is not valid.")


def invalid_symbol() -> BinanceError:
    return BinanceError(-1121, "Invalid symbol.")


def invalid_interval() -> BinanceError:
    return BinanceError(-1120, "Invalid interval.")


def start_after_end() -> BinanceError:
    return BinanceError(-1023, "Start time is greater than end time.")


def bad_combination() -> BinanceError:
    return BinanceError(-1128, "Combination of optional parameters invalid.")


def key_format_invalid(detail: str = "") -> BinanceError:
    # -2014 is what Binance answers for a missing or malformed API key.
    return BinanceError(-2014, "API-key format invalid." + (f" {detail}" if detail else ""), 401)


def key_rejected() -> BinanceError:
    return BinanceError(-2015, "Invalid API-key, IP, or permissions for action.", 401)


def too_many_requests(message: str, retry_after_s: float) -> BinanceError:
    return BinanceError(-1003, message, 429, retry_after_s=retry_after_s)


def unavailable(retry_after_s: float = 5) -> BinanceError:
    return BinanceError(
        -1001,
        "Internal error; unable to process your request. Please try again.",
        503,
        retry_after_s=retry_after_s,
    )


def unknown_error() -> BinanceError:
    return BinanceError(-1000, "An unknown error occurred while processing the request.", 500)
