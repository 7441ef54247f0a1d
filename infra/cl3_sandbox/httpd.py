"""The one HTTP/1.1 server both stand-ins (exchange and Supabase) are served by.

A stand-in is an *app*: a function from a :class:`Request` to a :class:`Reply`. This module turns
it into a server that behaves like a real service toward HTTP clients:

* keep-alive with ``Content-Length`` on every reply, the whole reply written with one ``write``
  (status line, headers and body in one segment);
* ``TCP_NODELAY`` on accepted sockets (a kept-alive client would otherwise wait ~40 ms on Nagle
  plus delayed ACK for every small reply);
* no reverse-DNS lookup at bind, no tracebacks for clients that hang up, a listen backlog that
  absorbs a burst of connects;
* :meth:`ServerThread.stop` cuts live keep-alive connections, so nothing is answered after a
  stand-in is stopped and pooled clients see the service go away.

``json_app`` adapts the Supabase stand-in's style of app (method, path, query pairs, headers ->
:class:`JsonResponse`) to this interface.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import socketserver
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

_log = logging.getLogger(__name__)
_REASONS = {s.value: s.phrase for s in HTTPStatus} | {418: "I'm a teapot"}
JSON = "application/json"


@dataclass(frozen=True)
class Request:
    method: str  # HEAD arrives as GET; the body is then left out by the server
    target: str  # path and query string, as sent
    client_ip: str
    headers: Mapping[str, str]  # names lower-cased


@dataclass
class Reply:
    status: int
    body: bytes = b""
    content_type: str = JSON
    headers: list[tuple[str, str]] = field(default_factory=list)
    drop: bool = False  # close the connection without answering


App = Callable[[Request], Reply]


class TrackedHTTPServer(ThreadingHTTPServer):
    """Threaded server that knows its open connections (see ``close_open_connections``)."""

    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False  # stop() must not wait for idle keep-alive connections
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves socket.getfqdn(host), a reverse-DNS lookup that can
        # take seconds on machines without working DNS; the name is never used here.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients vanishing mid-request are normal under fault injection and benchmarks.
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)

    def get_request(self) -> tuple[socket.socket, Any]:
        conn, addr = super().get_request()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._open_lock:
            self._open.add(conn)
        return conn, addr

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_open_connections(self) -> None:
        # Without this a pooled client connection would keep being served after stop(),
        # hiding "the service is down" from tests that stop the stand-in.
        with self._open_lock:
            conns, self._open = list(self._open), set()
        for conn in conns:
            with contextlib.suppress(OSError):  # already closed by the peer
                conn.shutdown(socket.SHUT_RDWR)


class _DateCache:
    """RFC 7231 ``Date`` header, formatted at most once per second."""

    def __init__(self) -> None:
        self._second = -1
        self._value = ""

    def get(self, now: float) -> str:
        second = int(now)
        if second != self._second:
            self._value, self._second = formatdate(second, usegmt=True), second
        return self._value


class HTTPService(TrackedHTTPServer):
    """Serves one :data:`App`. ``clock`` dates the replies (stand-ins may run on a fake clock)."""

    def __init__(
        self,
        address: tuple[str, int],
        app: App,
        *,
        idle_timeout: float | None = None,
        clock: Callable[[], float] = time.time,
        error_reply: Callable[[], Reply] | None = None,
    ) -> None:
        self.app = app
        self.idle_timeout = idle_timeout
        self.clock = clock
        self.error_reply = error_reply or (lambda: Reply(500, b'{"message":"internal error"}'))
        self.dates = _DateCache()
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: HTTPService

    def setup(self) -> None:
        self.timeout = self.server.idle_timeout  # idle kept-alive connections are closed then
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # a benchmark would otherwise print a line per request

    def _serve(self, method: str, head: bool = False) -> None:
        length = self.headers.get("Content-Length", "0")
        if length.isdigit() and int(length):  # drain the body so the next request parses
            self.rfile.read(int(length))
        headers = {name.lower(): value for name, value in self.headers.items()}
        request = Request(method, self.path, self.client_address[0], headers)
        try:
            reply = self.server.app(request)
        except Exception:  # a stand-in bug must surface as a 500, not as a network failure
            _log.exception("stand-in failed on %s %s", method, self.path)
            reply = self.server.error_reply()
        if reply.drop:
            self.close_connection = True
            return
        self._write(reply, head)

    def _write(self, reply: Reply, head: bool) -> None:
        lines = [
            f"HTTP/1.1 {reply.status} {_REASONS.get(reply.status, 'Unknown')}",
            f"Date: {self.server.dates.get(self.server.clock())}",
            f"Content-Type: {reply.content_type}",
            f"Content-Length: {len(reply.body)}",
        ]
        lines.extend(f"{name}: {value}" for name, value in reply.headers)
        if self.close_connection:
            lines.append("Connection: close")
        head_bytes = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        try:
            self.wfile.write(head_bytes if head else head_bytes + reply.body)
        except ConnectionError:  # the client gave up (e.g. its timeout fired): not our error
            self.close_connection = True

    def do_GET(self) -> None:
        self._serve("GET")

    def do_HEAD(self) -> None:
        self._serve("GET", head=True)

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_DELETE(self) -> None:
        self._serve("DELETE")


class ServerThread:
    """An :class:`HTTPService` in a daemon thread: ``start``, ``stop``, ``port``."""

    def __init__(self, name: str, host: str, port: int, app: App, **options: Any) -> None:
        self._name = name
        self._service = HTTPService((host, port), app, **options)
        self.port = int(self._service.server_address[1])
        self._thread = threading.Thread(
            target=self._service.serve_forever,
            kwargs={"poll_interval": 0.05},  # a fast stop(); idle polling cost is negligible
            name=f"{name}:{self.port}",
            daemon=True,
        )

    def start(self) -> ServerThread:
        self._thread.start()
        return self

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    def stop(self) -> None:
        self._service.shutdown()
        self._service.close_open_connections()
        self._service.server_close()
        self._thread.join(5)


class StandIn:
    """What both stand-ins share: a :class:`ServerThread` once started, stopped by ``stop`` or
    at the end of a ``with`` block."""

    _server: ServerThread | None = None

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


# ----- JSON apps (the Supabase stand-in) -----


@dataclass
class JsonResponse:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


# method, path, query pairs, lower-cased headers -> response
JsonApp = Callable[[str, str, Sequence[tuple[str, str]], Mapping[str, str]], JsonResponse]


def json_app(handle: JsonApp) -> App:
    """An :data:`App` that parses the query, calls ``handle`` and JSON-encodes its answer."""

    def app(request: Request) -> Reply:
        split = urlsplit(request.target)
        query = parse_qsl(split.query, keep_blank_values=True)
        response = handle(request.method, split.path, query, request.headers)
        payload = json.dumps(response.body, separators=(",", ":")).encode("utf-8")
        headers = dict(response.headers)
        content_type = headers.pop("Content-Type", JSON)
        return Reply(response.status, payload, content_type, list(headers.items()))

    return app


def json_error_reply() -> Reply:
    return Reply(500, b'{"message":"stub internal error"}')
