"""Serves the Chalice app over HTTP for containers and local runs.

`chalice local` answers each request on a kept-alive connection only after ~44 ms (Nagle
plus delayed ACK) and handles one request at a time. Here the same API Gateway emulation
(chalice.local.LocalGateway) sits behind waitress: threaded, HTTP/1.1 keep-alive, and
TCP_NODELAY on every connection (waitress's default socket options).

What the gateway emulation would answer in API Gateway's own shapes is answered here in the
API's error shape (docs/api.md, "Errors"): an unknown path is a 404, a body over the API's
limit a 413 before it is handed on.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

from chalice import Chalice
from chalice.config import Config
from chalice.local import ForbiddenError, LocalGateway

from chalicelib.inputs import MAX_BODY_BYTES

log = logging.getLogger("cl3.api")
StartResponse = Callable[[str, list[tuple[str, str]]], Any]
_REASONS = {s.value: s.phrase for s in HTTPStatus}
# waitress itself refuses bodies past this (in its own text shape); below it, we answer 413.
WAITRESS_MAX_BODY = 16 * 1024 * 1024


class ChaliceWSGI:
    def __init__(self, app: Chalice) -> None:
        self._gateway = LocalGateway(app, Config(chalice_stage="dev", user_provided_params={}))

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO") or "/"
        length = _content_length(environ)
        if length is None or length > MAX_BODY_BYTES:
            status, code = (
                (400, "invalid_request") if length is None else (413, "payload_too_large")
            )
            message = ("request body is over the limit or its length is unreadable "
                       f"(at most {MAX_BODY_BYTES} bytes)")  # fmt: skip
            return _json(start_response, status, code, message, path)
        body = environ["wsgi.input"].read(length) if length else b""
        query = environ.get("QUERY_STRING")
        # PATH_INFO arrives percent-decoded; the gateway emulation splits its URL with urlparse,
        # so a decoded ";", "?" or "#" in a segment would move the request to another route.
        # Re-encoded, such a segment stays one (invalid) path parameter.
        url = quote(path.encode("latin-1", "replace"), safe="/")
        try:
            response = self._gateway.handle_request(
                method, f"{url}?{query}" if query else url, _headers(environ), body
            )
        except ForbiddenError:
            # Unknown route: API Gateway says 403 "Missing Authentication Token"; users of
            # this API get the documented error shape instead.
            return _json(
                start_response, 404, "not_found", f"no route for {method} {path[:200]}", path
            )
        except Exception:  # the emulation itself failed on this request: ours to log, not show
            log.exception("gateway emulation failed on %s %s", method, path[:200])
            message = "internal error; it has been logged"
            return _json(start_response, 500, "internal", message, path)
        return _respond(start_response, response)


def _content_length(environ: dict[str, Any]) -> int | None:
    raw = environ.get("CONTENT_LENGTH") or "0"
    return int(raw) if raw.isascii() and raw.isdigit() else None


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    headers = {
        key[5:].replace("_", "-").lower(): value
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = environ["CONTENT_TYPE"]
    return headers


def _respond(start_response: StartResponse, response: dict[str, Any]) -> list[bytes]:
    status = int(response["statusCode"])
    payload = _payload(response)
    headers = [(k, str(v)) for k, v in (response.get("headers") or {}).items()]
    for key, values in (response.get("multiValueHeaders") or {}).items():
        headers.extend((key, str(v)) for v in values)
    headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
    headers.append(("Content-Length", str(len(payload))))
    start_response(f"{status} {_REASONS.get(status, 'Status')}", headers)
    return [payload]


def _payload(response: dict[str, Any]) -> bytes:
    raw = response.get("body") or b""
    if response.get("isBase64Encoded"):
        return base64.b64decode(raw)
    return raw.encode() if isinstance(raw, str) else raw


def _json(
    start_response: StartResponse, status: int, code: str, message: str, path: str
) -> list[bytes]:
    error: dict[str, Any] = {"error": {"code": code, "message": message}}
    if path.startswith("/binance/"):  # the Binance mirror's protocol (docs/mirror.md)
        error = {"code": -1000, "msg": message}
    payload = json.dumps(error).encode()
    start_response(
        f"{status} {_REASONS.get(status, 'Status')}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
    )
    return [payload]


def serve(app: Chalice, host: str, port: int, threads: int = 16) -> None:
    import waitress

    waitress.serve(
        ChaliceWSGI(app),
        host=host,
        port=port,
        threads=threads,
        ident="cl3",
        channel_timeout=120,
        # Ten ccxt async clients paging at once hold about 1000 connections (up to 100 each):
        # room for several times that, and poll(), since select() cannot watch a descriptor
        # above 1023 (bench/mirror.py crashed the server that way).
        connection_limit=4096,
        asyncore_use_poll=True,
        max_request_body_size=WAITRESS_MAX_BODY,
    )
