"""The OpenAPI 3.1 document, generated from the route declarations (never written by hand).

Parameters and bodies come from the same pydantic models the router validates with, the
responses from the declared response models, the error responses from what each route's
declaration implies (a token: 401 and 429; a plan gate: 403; a body: 413 and 415; a backing
service: 503) plus the statuses it names, and the tiers from the entitlement table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from importlib import metadata
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from chalicelib.declarations import Access, ResponseDoc, RouteSpec
from chalicelib.inputs import MAX_BODY_BYTES, MAX_JSON_DEPTH, Inputs
from chalicelib.schemas import TaskError
from cl3_common.tiers import DEFAULT_ENTITLEMENTS, Entitlements, tier_rank

REF = "#/components/schemas/{model}"
ERROR_CODES: dict[int, tuple[str, tuple[str, ...]]] = {
    400: ("The request is malformed.",
          ("invalid_request", "invalid_symbol", "invalid_interval", "invalid_range")),
    401: ("No valid token.", ("unauthorized",)),
    403: ("Your plan does not allow this.", ("subscription_required", "forbidden")),
    404: ("No such resource (other users' tasks included) or route.", ("not_found",)),
    409: ("The task has not finished.", ("not_finished",)),
    413: (f"The body is over {MAX_BODY_BYTES} bytes.", ("payload_too_large",)),
    415: ("The body is not JSON.", ("unsupported_media_type",)),
    422: ("Not enough stored data.", ("insufficient_data",)),
    429: ("Too many requests or jobs; see Retry-After.", ("rate_limited", "too_many_jobs")),
    503: ("A backing service is unavailable; try again shortly.", ("unavailable",)),
}  # fmt: skip
# The Binance mirror answers errors in Binance's shape, with Binance's codes.
BINANCE_ERRORS: dict[int, str] = {
    400: "A bad parameter: -1100 illegal characters, -1101 a repeated parameter, -1102 a "
         "mandatory one missing, -1120 invalid interval, -1121 invalid symbol, -1128 a bad "
         "combination, -1130 a value out of range, -1023 startTime after endTime.",
    401: "-2014: no API key, or not a CL3 one; -2015: an unknown or revoked key or token.",
    429: "-1003: your plan's requests per minute are used up, or the exchange cannot be asked "
         "now (CL3's IP banned or its budget spent); stored candles are still served.",
    503: "-1001: the exchange or a backing service is unavailable; try again shortly.",
}  # fmt: skip
SECURITY_SCHEMES: dict[str, Any] = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A Supabase access token, or an API key: `Authorization: Bearer <token>` "
        "or `Authorization: Bearer cl3_...`.",
    },
    "apiKeyAuth": {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "An API key from POST /api/keys: `X-API-Key: cl3_...`.",
    },
    "binanceApiKey": {
        "type": "apiKey",
        "in": "header",
        "name": "X-MBX-APIKEY",
        "description": "An API key in Binance's header (the mirror only; python-binance sends "
        "its `api_key` there).",
    },
}
RATE_HEADERS = {
    "X-RateLimit-Limit": "Requests per minute your plan allows.",
    "X-RateLimit-Remaining": "Requests left in the trailing minute; 0 when the next is a 429.",
    "X-RateLimit-Reset": "Seconds until Remaining next grows.",
}


def build_document(
    specs: Iterable[RouteSpec], entitlements: Mapping[str, Entitlements] = DEFAULT_ENTITLEMENTS
) -> dict[str, Any]:
    specs = list(specs)
    schemas = _model_schemas(specs)
    paths: dict[str, dict[str, Any]] = {}
    for spec in specs:
        paths.setdefault(spec.path, {})[spec.method.lower()] = _operation(spec, entitlements)
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": _info(entitlements),
        "tags": [{"name": t} for t in dict.fromkeys(s.tag for s in specs)],
        "paths": paths,
        "components": {
            "schemas": {**schemas, **_error_schemas()},
            "responses": {f"Error{s}": _error_response(s) for s in ERROR_CODES},
            "headers": {
                name: {"description": text, "schema": {"type": "integer", "minimum": 0}}
                for name, text in RATE_HEADERS.items()
            },
            # Each operation's `security` lists the schemes it accepts (any one of them).
            "securitySchemes": SECURITY_SCHEMES,
        },
    }
    document["components"]["schemas"].update(_binance_error_schema())
    document["components"]["responses"].update(
        {f"BinanceError{s}": _binance_error_response(s) for s in BINANCE_ERRORS}
    )
    return document


def _info(entitlements: Mapping[str, Entitlements]) -> dict[str, Any]:
    rows = "\n".join(
        f"| {tier} | {'yes' if e.can_enqueue else 'no'} "
        f"| {(e.max_range_days or 'unlimited') if e.can_enqueue else '-'} "
        f"| {e.min_interval or '-'} | {e.max_concurrent_jobs} | {e.requests_per_minute} "
        f"| {'yes' if e.can_export else 'no'} | {'yes' if e.can_audit else 'no'} |"
        for tier, e in sorted(entitlements.items(), key=lambda item: tier_rank(item[0]))
    )
    return {
        "title": "CL3 market-data API",
        "version": _version(),
        "description": (
            "Crypto candles fetched from the exchange into your store, read back in pages, "
            "analysed for seasonality, exported.\n\n"
            "Every endpoint but `/health` and the documentation needs "
            "`Authorization: Bearer <token>`. Errors are always "
            '`{"error": {"code": "<snake_case>", "message": "..."}}`. Authenticated answers '
            "carry `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset`.\n\n"
            "Request bodies are JSON objects of at most "
            f"{MAX_BODY_BYTES} bytes and {MAX_JSON_DEPTH} levels. Times are ISO-8601 UTC or "
            "epoch milliseconds in requests, epoch milliseconds in answers.\n\n"
            "Plans (defaults; a deployment may change them):\n\n"
            "| tier | fetch, analyse | max days per fetch | shortest interval | concurrent jobs "
            "| requests/min | export | audit |\n|---|---|---|---|---|---|---|---|\n" + rows
        ),
    }


def _version() -> str:
    try:
        return metadata.version("cl3")
    except metadata.PackageNotFoundError:
        return "0.0.0"


def _model_schemas(specs: list[RouteSpec]) -> dict[str, Any]:
    models: dict[type[BaseModel], str] = {TaskError: "serialization"}
    for spec in specs:
        if spec.body_model is not None:
            models[spec.body_model] = "validation"
        for doc in spec.responses.values():
            if doc.model is not None:
                models[doc.model] = "serialization"
    _refs, top = models_json_schema(
        [(m, mode) for m, mode in models.items()],  # type: ignore[misc]
        ref_template=REF,
    )
    return dict(top.get("$defs", {}))


def _operation(spec: RouteSpec, entitlements: Mapping[str, Entitlements]) -> dict[str, Any]:
    tiers = spec.access.tiers(entitlements)
    op: dict[str, Any] = {
        "operationId": spec.name,
        "tags": [spec.tag],
        "summary": spec.summary,
        "description": _describe(spec, tiers),
        "parameters": _parameters(spec.path_model, "path") + _parameters(spec.query_model, "query"),
        "responses": _responses(spec),
        "security": _security(spec),
        "x-cl3-access": spec.access.value,
        "x-cl3-tiers": tiers,
    }
    if spec.body_model is not None:
        content: dict[str, Any] = {"schema": {"$ref": REF.format(model=spec.body_model.__name__)}}
        example = getattr(spec.body_model, "example", None)
        if example is not None:
            content["example"] = example
        op["requestBody"] = {"required": True, "content": {"application/json": content}}
    return op


def _describe(spec: RouteSpec, tiers: list[str]) -> str:
    who = {
        Access.PUBLIC: "No token needed.",
        Access.ANY: "Every plan.",
    }.get(spec.access, f"Plans: {', '.join(tiers) or 'none'} (others get 403).")
    return f"{spec.description}\n\n**Access:** {who}".strip()


def _parameters(model: type[Inputs], where: str) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template=REF)
    required = set(schema.get("required", ()))
    params = []
    for name, prop in schema.get("properties", {}).items():
        prop = _without_null(prop)
        param: dict[str, Any] = {
            "name": name,
            "in": where,
            "required": where == "path" or name in required,
            "schema": prop,
        }
        if "description" in prop:
            param["description"] = prop["description"]
        params.append(param)
    return params


def _without_null(prop: dict[str, Any]) -> dict[str, Any]:
    """An optional parameter is one left out, never `null` (a URL has no null)."""
    prop = {k: v for k, v in prop.items() if k != "title"}
    options = [o for o in prop.get("anyOf", ()) if o != {"type": "null"}]
    if "anyOf" in prop and len(options) == 1:
        outer = {k: v for k, v in prop.items() if k not in ("anyOf", "default")}
        prop = {**options[0], **outer}
    if prop.get("default", 0) is None:
        del prop["default"]
    return prop


def _responses(spec: RouteSpec) -> dict[str, Any]:
    out: dict[str, Any] = {str(s): _success(spec, doc) for s, doc in spec.responses.items()}
    errors = sorted(BINANCE_ERRORS) if spec.binance else sorted(_error_statuses(spec))
    prefix = "BinanceError" if spec.binance else "Error"
    for status in errors:
        if str(status) not in out:
            out[str(status)] = {"$ref": f"#/components/responses/{prefix}{status}"}
    return out


def _security(spec: RouteSpec) -> list[dict[str, list[str]]]:
    if spec.access is Access.PUBLIC:
        return []
    schemes = ["bearerAuth", "apiKeyAuth", *(["binanceApiKey"] if spec.binance else [])]
    return [{name: []} for name in schemes]


def _error_statuses(spec: RouteSpec) -> set[int]:
    statuses = {400, *spec.errors}
    if spec.path_model.model_fields:
        statuses.add(404)  # a segment that is empty or holds "/" matches no route
    if spec.authenticated:
        statuses |= {401, 429}
    if spec.access in (Access.ENQUEUE, Access.EXPORT):
        statuses.add(403)
    if spec.body_model is not None:
        statuses |= {413, 415}
    if spec.backend:
        statuses.add(503)
    return statuses


def _success(spec: RouteSpec, doc: ResponseDoc) -> dict[str, Any]:
    schema = {"$ref": REF.format(model=doc.model.__name__)} if doc.model else dict(doc.schema or {})
    content: dict[str, Any] = {doc.media_type: {"schema": schema}}
    if doc.example is not None:
        content[doc.media_type]["example"] = doc.example
    for media_type, alternative in doc.alternatives.items():
        content[media_type] = {"schema": dict(alternative)}
    response: dict[str, Any] = {"description": doc.description, "content": content}
    if spec.authenticated:
        response["headers"] = {n: {"$ref": f"#/components/headers/{n}"} for n in RATE_HEADERS}
    return response


def _error_schemas() -> dict[str, Any]:
    return {
        f"Error{status}": {
            "type": "object",
            "description": text,
            "required": ["error"],
            "additionalProperties": False,
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "additionalProperties": False,
                    "properties": {
                        "code": {"type": "string", "enum": list(codes)},
                        "message": {"type": "string"},
                    },
                }
            },
            "example": {"error": {"code": codes[0], "message": text}},
        }
        for status, (text, codes) in ERROR_CODES.items()
    }


def _error_response(status: int) -> dict[str, Any]:
    text = ERROR_CODES[status][0]
    response: dict[str, Any] = {
        "description": text,
        "content": {"application/json": {"schema": {"$ref": REF.format(model=f"Error{status}")}}},
    }
    headers: dict[str, Any] = {}
    if status in (429, 503):
        headers["Retry-After"] = {
            "description": "Seconds to wait before trying again.",
            "required": True,
            "schema": {"type": "integer", "minimum": 1},
        }
    if status not in (401, 503):
        headers.update({n: {"$ref": f"#/components/headers/{n}"} for n in RATE_HEADERS})
    if headers:
        response["headers"] = headers
    return response


def _binance_error_schema() -> dict[str, Any]:
    return {
        "BinanceError": {
            "type": "object",
            "description": "Binance's error body.",
            "required": ["code", "msg"],
            "additionalProperties": False,
            "properties": {"code": {"type": "integer"}, "msg": {"type": "string"}},
            "example": {"code": -1121, "msg": "Invalid symbol."},
        }
    }


def _binance_error_response(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": BINANCE_ERRORS[status],
        "content": {"application/json": {"schema": {"$ref": REF.format(model="BinanceError")}}},
    }
    if status in (429, 503):
        response["headers"] = {
            "Retry-After": {
                "description": "Seconds to wait before trying again.",
                "required": True,
                "schema": {"type": "integer", "minimum": 1},
            }
        }
    return response
