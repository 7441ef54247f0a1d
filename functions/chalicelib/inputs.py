"""A request's path, query and body into its declared models, or one 4xx in our shape.

Limits come first and cost nothing: a body over MAX_BODY_BYTES is a 413 before it is parsed,
JSON is parsed by orjson (which refuses NaN, Infinity and numbers that overflow a double, and
stops at 1024 levels without recursing in Python), then nesting deeper than MAX_JSON_DEPTH is
a 400. Models refuse unknown fields; their errors become the API's codes (see fields.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict, PrivateAttr, ValidationError, ValidationInfo
from pydantic import model_validator as _model_validator
from pydantic_core import PydanticCustomError

from chalicelib.fields import MissingCode
from cl3_common.errors import ApiError, InvalidInterval, InvalidRange, InvalidRequest, InvalidSymbol

MAX_BODY_BYTES = 64 * 1024
MAX_JSON_DEPTH = 32

M = TypeVar("M", bound=BaseModel)

_BY_CODE: dict[str, type[ApiError]] = {
    "invalid_request": InvalidRequest,
    "invalid_symbol": InvalidSymbol,
    "invalid_interval": InvalidInterval,
    "invalid_range": InvalidRange,
}
_UNKNOWN = {"path": "path parameters", "query": "query parameters", "body": "fields"}


class PayloadTooLarge(ApiError):
    code = "payload_too_large"


class Inputs(BaseModel):
    """Base of every declared path, query and body model: unknown names are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class NoInputs(Inputs):
    """A route without path parameters, query parameters or body."""


class TimeWindow(Inputs):
    """Base of models with `start` / `end` fields: checks and resolves [start, end).

    Subclasses declare the two fields (in the order they want errors reported). `end` defaults
    to the request's now and is clamped to it; `start` must come before both. The request's
    now (`now_ms`) comes in the validation context, from the runtime's clock.
    """

    now_slack_ms: ClassVar[int] = 0  # reads may name the candle opening right now
    _window: tuple[int | None, int] = PrivateAttr(default=(None, 0))

    @_model_validator(mode="after")
    def _resolve_window(self, info: ValidationInfo) -> Any:
        now = int((info.context or {}).get("now_ms", 0)) + self.now_slack_ms
        start, end = getattr(self, "start", None), getattr(self, "end", None)
        end = now if end is None else end
        if start is not None and start >= end:
            raise _range_error("start must be before end")
        if start is not None and start >= now:
            raise _range_error("start is in the future: there are no closed candles to fetch")
        self._window = (start, min(end, now))
        return self

    @property
    def start_ms(self) -> int | None:
        return self._window[0]

    @property
    def end_ms(self) -> int:
        return self._window[1]


def _range_error(message: str) -> PydanticCustomError:
    return PydanticCustomError("invalid_range", "{message}", {"message": message})


# -- reading the raw request ------------------------------------------------------------------
def json_object(raw: bytes | None) -> dict[str, Any]:
    if raw is not None and len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"request body is over {MAX_BODY_BYTES} bytes")
    if not raw or not raw.strip():
        raise InvalidRequest("request body must be a JSON object")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as e:
        raise InvalidRequest(f"request body is not valid JSON: {e}") from e
    if not isinstance(body, dict):
        raise InvalidRequest("request body must be a JSON object")
    if _depth(body) > MAX_JSON_DEPTH:
        raise InvalidRequest(f"request body is nested deeper than {MAX_JSON_DEPTH} levels")
    return body


def _depth(value: Any) -> int:
    """Nesting depth, without recursion (a 1,000-level body must not use the Python stack)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if isinstance(item, dict):
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, level + 1) for v in item)
    return deepest


def query_values(params: Any) -> dict[str, str]:
    """Single-valued query parameters; a repeated one is ambiguous and refused."""
    if not params:
        return {}
    values: dict[str, str] = {}
    for name in params:
        given = params.getlist(name) if hasattr(params, "getlist") else [params[name]]
        if len(given) > 1:
            raise InvalidRequest(f"query parameter {name[:40]!r} is given more than once")
        values[name] = given[0]
    return values


# -- models -------------------------------------------------------------------------------------
def validated(model: type[M], data: Mapping[str, Any], where: str, *, now_ms: int = 0) -> M:
    try:
        return model.model_validate(dict(data), context={"now_ms": now_ms})
    except ValidationError as e:
        raise api_error(model, e, where) from None


def api_error(model: type[BaseModel], error: ValidationError, where: str) -> ApiError:
    """The first problem of a failed validation as the API's error (unknown names first)."""
    problems = error.errors(include_url=False)
    unknown = [_dotted(p["loc"])[:40] for p in problems if p["type"] == "extra_forbidden"]
    if unknown:
        return _unknown_names(model, unknown, where)
    first = problems[0]
    name = _dotted(first["loc"])
    if first["type"] == "missing":
        marker = _missing_code(model, first["loc"])
        return _BY_CODE[marker.code](f"{name} is required, {marker.hint}")
    message = str((first.get("ctx") or {}).get("message") or first["msg"])
    if name and not message.startswith(name.rsplit(".", 1)[-1]):
        message = f"{name}: {message}"
    return _BY_CODE.get(first["type"], InvalidRequest)(message)


def _unknown_names(model: type[BaseModel], unknown: list[str], where: str) -> InvalidRequest:
    allowed = ", ".join(model.model_fields) or "none"
    named = ", ".join(unknown[:5]) + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
    return InvalidRequest(f"unknown {_UNKNOWN[where]}: {named}; allowed: {allowed}")


def _dotted(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc)


def _missing_code(model: type[BaseModel], loc: tuple[int | str, ...]) -> MissingCode:
    field = model.model_fields.get(str(loc[0])) if loc else None
    markers = [m for m in (field.metadata if field else ()) if isinstance(m, MissingCode)]
    return markers[0] if markers else MissingCode("invalid_request", "see /docs")
