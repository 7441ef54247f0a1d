"""HTTP plumbing for the stand-ins: a threaded HTTP/1.1 server that answers JSON.

Routing and state live elsewhere; this module only turns an ``App`` (a function from a parsed
request to a :class:`Response`) into a server that behaves well for HTTP clients: keep-alive
with Content-Length on every reply, no Nagle stalls, and no answers after ``stop``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from cl3_sandbox.httpd import TrackedHTTPServer


@dataclass
class Response:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


# method, path, query pairs, lower-cased headers -> response
App = Callable[[str, str, Sequence[tuple[str, str]], Mapping[str, str]], Response]


class JsonHTTPServer(TrackedHTTPServer):
    """Serves an ``App`` (see above) through the shared tracked server."""

    def __init__(self, address: tuple[str, int], app: App) -> None:
        self.app = app
        super().__init__(address, _JsonHandler)


class _JsonHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: JsonHTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        pass  # test output stays clean; the counters are the observable trace

    def _serve(self, method: str, send_body: bool = True) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)  # consume it so the next request on this connection parses
        split = urlsplit(self.path)
        query = parse_qsl(split.query, keep_blank_values=True)
        try:
            # Header names are case-insensitive; handle() sees them lower-cased.
            headers = {name.lower(): value for name, value in self.headers.items()}
            response = self.server.app(method, split.path, query, headers)
        except Exception:  # a stub bug must surface as a 500, not a hung client
            response = Response(500, {"message": "stub internal error"})
        payload = json.dumps(response.body, separators=(",", ":")).encode("utf-8")
        self.send_response(response.status)
        for name, value in {"Content-Type": "application/json", **response.headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if send_body:
            self.wfile.write(payload)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_HEAD(self) -> None:
        self._serve("GET", send_body=False)

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_DELETE(self) -> None:
        self._serve("DELETE")
