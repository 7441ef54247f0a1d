"""Binance error bodies (``{"code": ..., "msg": ...}``) with the wording Binance uses."""

from __future__ import annotations

import json

NUMBER_RANGE = "^[0-9]{1,20}$"
SYMBOL_RANGE = "^[A-Z0-9-_.]{1,20}$"
SYMBOLS_RANGE = '^\\[("[A-Z0-9-_.]{1,20}"(,"[A-Z0-9-_.]{1,20}"){0,}){0,1}\\]$'

# A gateway in front of the API answers 5xx with HTML, not a Binance JSON body.
GATEWAY_BODY = {
    500: b"<html><head><title>500 Internal Server Error</title></head><body>"
    b"<center><h1>500 Internal Server Error</h1></center></body></html>",
    502: b"<html><head><title>502 Bad Gateway</title></head><body>"
    b"<center><h1>502 Bad Gateway</h1></center></body></html>",
    503: b"<html><head><title>503 Service Temporarily Unavailable</title></head><body>"
    b"<center><h1>503 Service Temporarily Unavailable</h1></center></body></html>",
    504: b"<html><head><title>504 Gateway Time-out</title></head><body>"
    b"<center><h1>504 Gateway Time-out</h1></center></body></html>",
}


class BinanceError(Exception):
    """A request rejected with a Binance error code (HTTP 400 unless told otherwise)."""

    def __init__(self, code: int, msg: str, status: int = 400) -> None:
        super().__init__(msg)
        self.code, self.msg, self.status = code, msg, status

    def body(self) -> bytes:
        return error_body(self.code, self.msg)


def error_body(code: int, msg: str) -> bytes:
    return json.dumps({"code": code, "msg": msg}, separators=(",", ":")).encode()


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


def window_text(window_s: int) -> str:
    """Binance's wording of a limiter window: "1 MINUTE", "6 SECOND", ..."""
    num, unit = window_unit(window_s)
    return f"{num} {unit}"


def window_unit(window_s: int) -> tuple[int, str]:
    for seconds, unit in ((86_400, "DAY"), (3_600, "HOUR"), (60, "MINUTE")):
        if window_s % seconds == 0:
            return window_s // seconds, unit
    return window_s, "SECOND"


def too_much_weight(limit: int, window_s: int) -> bytes:
    return error_body(
        -1003,
        f"Too much request weight used; current limit is {limit} request weight per "
        f"{window_text(window_s)}. Please use WebSocket Streams for live updates to avoid "
        "polling the API.",
    )


def more_than_hours(hours: int) -> BinanceError:
    return BinanceError(-1127, f"More than {hours} hours between startTime and endTime.")


def futures_window_text(window_s: int) -> str:
    num, unit = window_unit(window_s)
    return "minute" if (num, unit) == (1, "MINUTE") else f"{num} {unit}"


def too_many_requests(limit: int, window_s: int) -> bytes:
    """The futures wording of -1003 (USDⓈ-M and COIN-M error-code pages)."""
    return error_body(
        -1003,
        f"Too many requests; current limit is {limit} requests per "
        f"{futures_window_text(window_s)}. Please use the websocket for live updates to avoid "
        "polling the API.",
    )


def futures_banned(until_ms: int) -> bytes:
    return error_body(
        -1003,
        f"Way too many requests; IP banned until {until_ms}. Please use the websocket for live "
        "updates to avoid bans.",
    )


def banned(until_ms: int) -> bytes:
    return error_body(
        -1003,
        f"Way too much request weight used; IP banned until {until_ms}. Please use WebSocket "
        "Streams for live updates to avoid bans.",
    )
