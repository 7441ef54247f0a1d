"""GET /openapi.json and GET /docs: the API's own description and an interactive reference.

The page is Swagger UI from the pinned `swagger-ui-bundle-v2` package (its files ship inside
the Python package; nothing comes from a CDN): a user pastes a token under "Authorize" and
tries any request against this very API. URLs in the page are relative, so it also works
under an API Gateway stage prefix.
"""

from __future__ import annotations

import functools
from typing import Literal

import orjson
from chalice import Response

from chalicelib.declarations import Access, Call, ResponseDoc, RouteGroup, RouteSpec
from chalicelib.inputs import Inputs, NoInputs
from chalicelib.openapi import build_document
from cl3_common.tiers import Entitlements

routes = RouteGroup("documentation")

ASSETS = {"swagger-ui.css": "text/css", "swagger-ui-bundle.js": "text/javascript"}
CACHE_ASSETS = "public, max-age=86400"
# Everything the page loads comes from this origin; Swagger UI draws its icons from data: URIs.
PAGE_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"
)
PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>CL3 API reference</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="docs/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="docs/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: "openapi.json",
      dom_id: "#swagger-ui",
      deepLinking: true,
      displayRequestDuration: true,
      presets: [SwaggerUIBundle.presets.apis],
      layout: "BaseLayout"
    });
  </script>
</body>
</html>
"""


class AssetPath(Inputs):
    asset: Literal["swagger-ui.css", "swagger-ui-bundle.js"]


@routes.get(
    "/openapi.json",
    summary="This document: OpenAPI 3.1, generated from the route declarations",
    access=Access.PUBLIC,
    backend=False,
    responses={200: ResponseDoc("The OpenAPI document.", schema={"type": "object"})},
)
def openapi(call: Call[NoInputs, NoInputs, NoInputs]) -> Response:
    table = tuple(sorted(call.runtime.entitlements.items()))
    return Response(
        body=_document_json(table),
        status_code=200,
        headers={"Content-Type": "application/json", "Cache-Control": "no-cache"},
    )


@routes.get(
    "/docs",
    summary="Interactive API reference (Swagger UI): paste a token and try requests",
    access=Access.PUBLIC,
    backend=False,
    responses={
        200: ResponseDoc("An HTML page.", schema={"type": "string"}, media_type="text/html")
    },
)
def docs(call: Call[NoInputs, NoInputs, NoInputs]) -> Response:
    return Response(
        body=PAGE,
        status_code=200,
        headers={
            "Content-Type": "text/html; charset=utf-8",
            "Content-Security-Policy": PAGE_POLICY,
        },
    )


@routes.get(
    "/docs/{asset}",
    summary="A file of the reference page (Swagger UI's script and style sheet)",
    access=Access.PUBLIC,
    backend=False,
    path_params=AssetPath,
    responses={
        200: ResponseDoc(
            "The file.",
            schema={"type": "string"},
            media_type="text/javascript",
            alternatives={"text/css": {"type": "string"}},
        )
    },
)
def asset(call: Call[AssetPath, NoInputs, NoInputs]) -> Response:
    name = call.path.asset
    return Response(
        body=_asset_text(name),
        status_code=200,
        headers={"Content-Type": f"{ASSETS[name]}; charset=utf-8", "Cache-Control": CACHE_ASSETS},
    )


@functools.cache
def _asset_text(name: str) -> str:
    from swagger_ui_bundle import swagger_ui_path  # read once, on the first page view

    return (swagger_ui_path / name).read_text(encoding="utf-8")


@functools.lru_cache(maxsize=4)
def _document_json(table: tuple[tuple[str, Entitlements], ...]) -> str:
    return orjson.dumps(build_document(all_routes(), dict(table))).decode()


def all_routes() -> list[RouteSpec]:
    # Imported here: the factory imports this module to register its routes.
    from chalicelib.factory import ROUTE_GROUPS

    return [spec for group in ROUTE_GROUPS for spec in group.specs]
