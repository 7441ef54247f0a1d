"""Serves the Chalice app over HTTP for containers and local runs.

`chalice local` answers each request on a kept-alive connection only after ~44 ms (Nagle
plus delayed ACK) and handles one request at a time. Here the same API Gateway emulation
(chalice.local.LocalGateway) sits behind waitress: threaded, HTTP/1.1 keep-alive, and
TCP_NODELAY on every connection (waitress's default socket options).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from chalice import Chalice
from chalice.config import Config
from chalice.local import ForbiddenError, LocalGateway

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
_REASONS = {s.value: s.phrase for s in HTTPStatus}


class ChaliceWSGI:
    def __init__(self, app: Chalice) -> None:
        self._gateway = LocalGateway(app, Config(chalice_stage="dev", user_provided_params={}))

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO") or "/"
        if environ.get("QUERY_STRING"):
            path += "?" + environ["QUERY_STRING"]
        headers = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        try:
            response = self._gateway.handle_request(method, path, headers, body)
        except ForbiddenError:
            # Unknown route: API Gateway says 403 "Missing Authentication Token"; users of
            # this API get the documented error shape instead.
            return _json(
                start_response, 404, "not_found", f"no route for {method} {path.split('?')[0]}"
            )
        status = int(response["statusCode"])
        raw = response.get("body") or b""
        if response.get("isBase64Encoded"):
            payload = base64.b64decode(raw)
        else:
            payload = raw.encode() if isinstance(raw, str) else raw
        out_headers = [(k, str(v)) for k, v in (response.get("headers") or {}).items()]
        for key, values in (response.get("multiValueHeaders") or {}).items():
            out_headers.extend((key, str(v)) for v in values)
        out_headers = [(k, v) for k, v in out_headers if k.lower() != "content-length"]
        out_headers.append(("Content-Length", str(len(payload))))
        start_response(f"{status} {_REASONS.get(status, 'Status')}", out_headers)
        return [payload]


def _json(start_response: StartResponse, status: int, code: str, message: str) -> list[bytes]:
    payload = json.dumps({"error": {"code": code, "message": message}}).encode()
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
    )
