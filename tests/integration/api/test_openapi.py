"""GET /openapi.json: a valid OpenAPI 3.1 document of exactly the routes the app serves."""

from __future__ import annotations

import json

import pytest
from chalice.test import Client
from openapi_spec_validator import validate

from chalicelib.factory import create_app
from chalicelib.runtime import Runtime
from cl3_common.intervals import INTERVALS
from cl3_common.settings import Settings
from cl3_common.store.keys import KINDS, MARKETS

HTTP_METHODS = {"get", "post", "delete", "put", "patch", "head", "options"}


@pytest.fixture
def document(api) -> dict:
    response = api.http.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    return json.loads(response.body)


def _operations(document: dict) -> dict[tuple[str, str], dict]:
    return {
        (method.upper(), path): op
        for path, item in document["paths"].items()
        for method, op in item.items()
        if method in HTTP_METHODS
    }


def test_the_document_is_valid_openapi_3_1(document):
    assert document["openapi"] == "3.1.0"
    validate(document)  # raises on any violation of the OpenAPI 3.1 schema


def test_it_lists_exactly_the_app_route_table(document, runtime):
    app = create_app(lambda: runtime)
    served = {(method, path) for path, methods in app.routes.items() for method in methods}
    assert set(_operations(document)) == served
    assert len(served) >= 16


def test_every_operation_documents_its_errors_auth_and_tier(document):
    for (method, path), op in _operations(document).items():
        where = f"{method} {path}"
        assert op["operationId"] and op["summary"], where
        statuses = set(op["responses"])
        assert "400" in statuses, where  # unknown query parameters, at least
        if path in ("/health", "/openapi.json", "/docs", "/docs/{asset}"):
            assert op["security"] == [] and op["x-cl3-access"] == "public", where
            continue
        keys = [{"bearerAuth": []}, {"apiKeyAuth": []}]  # a token or an API key
        if path.startswith("/binance/"):  # the mirror also takes Binance's key header
            keys.append({"binanceApiKey": []})
        assert op["security"] == keys, where
        assert {"401", "429", "503"} <= statuses, where
        assert op["x-cl3-tiers"], where
        success = next(s for s in statuses if s.startswith("2"))
        headers = op["responses"][success]["headers"]
        assert set(headers) == {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"}
        if "requestBody" in op:
            assert {"413", "415"} <= statuses, where
            assert op["requestBody"]["content"]["application/json"]["example"], where


def test_tiers_follow_the_entitlement_table(document):
    ops = _operations(document)
    assert ops[("POST", "/api/market-data/fetch")]["x-cl3-tiers"] == ["pro", "enterprise"]
    assert ops[("POST", "/api/seasonality/analyze")]["x-cl3-tiers"] == ["pro", "enterprise"]
    assert ops[("POST", "/api/market-data/export")]["x-cl3-tiers"] == ["enterprise"]
    assert ops[("POST", "/api/market-data/audit")]["x-cl3-tiers"] == ["enterprise"]
    assert ops[("GET", "/api/symbols")]["x-cl3-tiers"] == ["free", "pro", "enterprise"]
    assert "403" in ops[("POST", "/api/market-data/export")]["responses"]
    assert "403" not in ops[("GET", "/api/symbols")]["responses"]


def test_parameters_carry_types_ranges_and_enums(document):
    ops = _operations(document)
    read = {
        p["name"]: p for p in ops[("GET", "/api/market-data/{symbol}/{interval}")]["parameters"]
    }
    assert read["symbol"]["in"] == "path" and read["symbol"]["required"] is True
    assert read["interval"]["schema"]["enum"] == list(INTERVALS)
    assert read["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 5000,
                                       "default": 1000}  # fmt: skip
    assert read["format"]["schema"]["enum"] == ["json", "csv"]
    assert read["market"]["schema"]["enum"] == list(MARKETS)
    assert read["kind"]["schema"]["enum"] == list(KINDS)
    assert read["start"]["required"] is False
    assert {"integer", "string"} <= {s["type"] for s in read["start"]["schema"]["anyOf"]}

    schemas = document["components"]["schemas"]
    export = schemas["ExportBody"]
    assert export["additionalProperties"] is False
    assert set(export["required"]) == {"symbol", "interval", "start", "end", "format"}
    assert export["properties"]["format"]["enum"] == ["csv", "parquet"]
    params = schemas["AnalyzeBody"]["properties"]["params"]
    params = params["anyOf"][0]  # or null
    assert params["properties"]["slow"]["maximum"] < 2**63
    assert params["additionalProperties"] is False


def test_errors_have_one_shape_with_the_codes_of_each_status(document):
    components = document["components"]
    schemes = components["securitySchemes"]
    assert schemes["bearerAuth"]["scheme"] == "bearer"
    assert (schemes["apiKeyAuth"]["in"], schemes["apiKeyAuth"]["name"]) == ("header", "X-API-Key")
    assert schemes["binanceApiKey"]["name"] == "X-MBX-APIKEY"
    four_hundred = components["schemas"]["Error400"]["properties"]["error"]
    assert four_hundred["required"] == ["code", "message"]
    assert set(four_hundred["properties"]["code"]["enum"]) == {
        "invalid_request", "invalid_symbol", "invalid_interval", "invalid_range",
    }  # fmt: skip
    too_many = components["responses"]["Error429"]
    assert too_many["headers"]["Retry-After"]["required"] is True
    codes = components["schemas"]["Error429"]["properties"]["error"]["properties"]["code"]
    assert codes["enum"] == ["rate_limited", "too_many_jobs"]


def test_the_document_is_served_without_a_token_and_reflects_tier_overrides(env):
    settings = Settings.from_env({**env, "TIER_LIMITS": '{"pro": {"can_export": true}}'})
    runtime = Runtime.from_settings(settings)
    with Client(create_app(lambda: runtime)) as api:
        body = json.loads(api.http.get("/openapi.json").body)
    runtime.stores.close()
    export = body["paths"]["/api/market-data/export"]["post"]
    assert export["x-cl3-tiers"] == ["pro", "enterprise"]
    assert "| pro | yes | 366 | 1m | 2 | 600 | yes |" in body["info"]["description"]


def test_the_binance_mirror_documents_binances_error_shape(document):
    ops = _operations(document)
    klines = ops[("GET", "/binance/api/v3/klines")]
    assert klines["responses"]["400"] == {"$ref": "#/components/responses/BinanceError400"}
    names = {p["name"] for p in klines["parameters"]}
    assert names >= {"symbol", "interval", "startTime", "endTime", "limit", "timeZone"}
    error = document["components"]["schemas"]["BinanceError"]
    assert error["required"] == ["code", "msg"]
    too_many = document["components"]["responses"]["BinanceError429"]
    assert too_many["headers"]["Retry-After"]["required"] is True
    assert ("POST", "/api/keys") in ops and ("DELETE", "/api/keys/{key_id}") in ops
