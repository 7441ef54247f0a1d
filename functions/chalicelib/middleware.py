"""Answers Chalice writes itself (405, and a 500 outside any handler), in our error shape.

Chalice answers a known path with an unknown method with `{"Code": "MethodNotAllowedError",
"Message": ...}` before any of our code runs; this HTTP middleware rewrites such bodies into
`{"error": {"code", "message"}}` and keeps their headers (`Allow`). Unknown paths never reach
the app (API Gateway, or the local gateway, answers them); `cl3 api` maps those to 404.
"""

from __future__ import annotations

from typing import Any

from chalice import Chalice, Response

from chalicelib.binance_http import binance_response
from chalicelib.http_errors import error_response

_CODES = {
    405: ("method_not_allowed", None),
    415: ("unsupported_media_type", None),
    500: ("internal", "internal error; it has been logged"),
}


def chalice_errors_in_our_shape(event: Any, get_response: Any) -> Response:
    response: Response = get_response(event)
    body = response.body
    if not (isinstance(body, dict) and set(body) == {"Code", "Message"}):
        return response
    status = int(response.status_code)
    code, message = _CODES.get(status, ("invalid_request" if status < 500 else "internal", None))
    headers = {k: v for k, v in (response.headers or {}).items() if k.lower() != "content-type"}
    if str(getattr(event, "path", "")).startswith("/binance/"):
        # The Binance mirror answers in Binance's shape, even for what Chalice refuses itself.
        return binance_response({"code": -1000, "msg": message or str(body["Message"])},
                                status, headers)  # fmt: skip
    return error_response(status, code, message or str(body["Message"]), headers)


def install(app: Chalice) -> None:
    app.register_middleware(chalice_errors_in_our_shape, "http")
