"""The typed inputs of the API: one declaration gives the validation and the OpenAPI schema.

Each type is a pydantic `Annotated` whose validator is one of CL3's own parsers (symbols,
intervals, markets, times, whole numbers) and whose JSON Schema is written next to it, with
the enums taken from the same tuples the parsers check against. A parser's ApiError becomes a
`PydanticCustomError` whose type is the API's error code, so a request model can report every
problem at once and the router can answer with the right code (see `inputs.py`).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

import orjson
from pydantic import PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from cl3_common.errors import ApiError, InvalidRequest, InvalidSymbol
from cl3_common.intervals import INTERVALS, validate_interval
from cl3_common.store.keys import KINDS, MARKETS, validate_market
from cl3_common.timeparse import (
    MAX_TIME_MS,
    MIN_TIME_MS,
    check_time_range,
    parse_time_ms,
    parse_whole_number,
)

MAX_TEXT = 64  # longer than any symbol, interval, time or id we accept: refused unread
MAX_LIMIT, DEFAULT_LIMIT = 5000, 1000
EXPORT_FORMATS = ("csv", "parquet")
READ_FORMATS = ("json", "csv")
FILL_MODES = ("none", "null", "ffill")

# Futures contracts carry a suffix after an underscore: BTCUSD_PERP, BTCUSDT_250328.
_SYMBOL = re.compile(r"[A-Z0-9]{2,20}(_[A-Z0-9]{1,10})?", re.ASCII)
_TASK_ID = re.compile(r"[A-Za-z0-9_-]{1,64}", re.ASCII)


@dataclass(frozen=True)
class MissingCode:
    """Metadata: the error code and hint when a required field of this type is missing."""

    code: str
    hint: str


def api_field(parse: Callable[[Any], Any]) -> PlainValidator:
    """Runs one of our parsers as a pydantic validator, keeping the API's error code."""

    def validate(value: Any) -> Any:
        if isinstance(value, str) and len(value) > MAX_TEXT:
            raise PydanticCustomError(
                "invalid_request", "{message}", {"message": f"is too long ({len(value)} chars)"}
            )
        try:
            return parse(value)
        except ApiError as e:
            raise PydanticCustomError(e.code, "{message}", {"message": e.message}) from e

    return PlainValidator(validate)


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise InvalidRequest(f"{what} must be a string, not {type(value).__name__}")
    return value.strip()


def parse_symbol(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidSymbol("symbol is required, e.g. 'BTCUSDT'")
    symbol = value.strip().upper()
    if not _SYMBOL.fullmatch(symbol):
        raise InvalidSymbol(f"symbol {value!r} is not a valid exchange symbol")
    return symbol


def parse_interval(value: Any) -> str:
    return validate_interval(_text(value, "interval"))


def parse_market(value: Any) -> str:
    return validate_market(_text(value, "market"))


def parse_kind(value: Any) -> str:
    kind = _text(value, "kind")
    if kind not in KINDS:
        raise InvalidRequest(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    return kind


def parse_limit(value: Any) -> int:
    limit = parse_whole_number(value, "limit")
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidRequest(f"limit must be between 1 and {MAX_LIMIT}")
    return limit


def _choice(name: str, choices: tuple[str, ...]) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        text = _text(value, name).lower()
        if text not in choices:
            raise InvalidRequest(f"{name} must be one of {', '.join(choices)}")
        return text

    return parse


def parse_flag(value: Any) -> bool:
    """A JSON boolean, or true/false (1/0) in a query string."""
    if isinstance(value, bool):
        return value
    text = _text(value, "a flag").lower()
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise InvalidRequest("must be true or false")


def parse_task_id(value: Any) -> str:
    text = _text(value, "task id")
    if not _TASK_ID.fullmatch(text):
        raise InvalidRequest("a task id is letters, digits, '-' or '_' (at most 64)")
    return text


# -- cursors: opaque to clients, a small JSON object inside ----------------------------------
def encode_cursor(after_ms: int) -> str:
    return base64.urlsafe_b64encode(orjson.dumps({"from": after_ms})).decode().rstrip("=")


def decode_cursor(cursor: Any) -> int:
    """The open time a cursor continues from; anything this API did not issue is a 400."""
    refused = InvalidRequest("cursor is not one this API issued")
    text = _text(cursor, "cursor")
    try:
        data = orjson.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (binascii.Error, ValueError) as e:
        raise refused from e
    value = data.get("from") if isinstance(data, dict) else None
    if isinstance(value, bool) or not isinstance(value, int):
        raise refused
    try:
        return check_time_range(value, "cursor")
    except ApiError as e:
        raise refused from e


def _time(field: str) -> Callable[[Any], int]:
    return lambda value: parse_time_ms(value, field)


_TIME_SCHEMA: dict[str, Any] = {
    "description": (
        "ISO-8601 (UTC unless an offset is given) or epoch milliseconds, within 2009..2100"
    ),
    "anyOf": [
        {"type": "integer", "minimum": MIN_TIME_MS, "exclusiveMaximum": MAX_TIME_MS},
        {"type": "string", "format": "date-time"},
        {"type": "string", "format": "date"},
        {"type": "string", "pattern": "^[0-9]{13}$"},
    ],
    "examples": ["2024-01-01T00:00:00Z", 1704067200000],
}


Symbol = Annotated[
    str,
    api_field(parse_symbol),
    MissingCode("invalid_symbol", "e.g. 'BTCUSDT'"),
    WithJsonSchema({
        "type": "string", "pattern": "^[A-Za-z0-9]{2,20}(_[A-Za-z0-9]{1,10})?$",
        "examples": ["BTCUSDT", "BTCUSD_PERP"],
        "description": "An exchange symbol; case does not matter.",
    }),
]  # fmt: skip
Interval = Annotated[
    str,
    api_field(parse_interval),
    MissingCode("invalid_request", "e.g. '1h'"),
    WithJsonSchema({"type": "string", "enum": list(INTERVALS), "examples": ["1h"]}),
]
Market = Annotated[
    str,
    api_field(parse_market),
    WithJsonSchema({"type": "string", "enum": list(MARKETS)}),
]
Kind = Annotated[
    str,
    api_field(parse_kind),
    WithJsonSchema({
        "type": "string", "enum": list(KINDS),
        "description": "mark, index and premium exist for futures markets only.",
    }),
]  # fmt: skip
Limit = Annotated[
    int,
    api_field(parse_limit),
    WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}),
]
Cursor = Annotated[
    int,
    api_field(decode_cursor),
    WithJsonSchema({
        "type": "string", "maxLength": MAX_TEXT,
        "description": "The `next_cursor` of the previous page, as it was returned.",
    }),
]  # fmt: skip
ReadFormat = Annotated[
    str,
    api_field(_choice("format", READ_FORMATS)),
    WithJsonSchema({"type": "string", "enum": list(READ_FORMATS)}),
]
FillMode = Annotated[
    str,
    api_field(_choice("fill", FILL_MODES)),
    WithJsonSchema({
        "type": "string", "enum": list(FILL_MODES),
        "description": "Placeholders for missing candles, flagged `filled`: null prices, or "
                       "the previous close repeated with zero volume (ffill).",
    }),
]  # fmt: skip


def parse_tz(value: Any) -> str:
    from cl3_common.derived.timezones import parse_tz as zone_of

    text = _text(value, "tz")
    zone_of(text)  # raises InvalidRequest naming the accepted forms
    return text


TimeZone = Annotated[
    str,
    api_field(parse_tz),
    WithJsonSchema({
        "type": "string", "maxLength": MAX_TEXT, "examples": ["+08:00", "Asia/Kolkata"],
        "description": "A fixed offset (+08:00, -05:30) or an IANA zone name; moves the "
                       "bucket boundaries of resampled candles to that zone's midnight.",
    }),
]  # fmt: skip
ExportFormat = Annotated[
    str,
    api_field(_choice("format", EXPORT_FORMATS)),
    MissingCode("invalid_request", f"one of {', '.join(EXPORT_FORMATS)}"),
    WithJsonSchema({"type": "string", "enum": list(EXPORT_FORMATS)}),
]
Flag = Annotated[
    bool,
    api_field(parse_flag),
    WithJsonSchema(
        {"type": "boolean", "description": "true or false (in a query: true/false, 1/0)"}
    ),
]
TaskId = Annotated[
    str,
    api_field(parse_task_id),
    WithJsonSchema({"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"}),
]
_TIME_HINT = MissingCode("invalid_request", "as ISO-8601 UTC or epoch milliseconds")
StartTime = Annotated[int, api_field(_time("start")), _TIME_HINT, WithJsonSchema(_TIME_SCHEMA)]
EndTime = Annotated[int, api_field(_time("end")), _TIME_HINT, WithJsonSchema(_TIME_SCHEMA)]
