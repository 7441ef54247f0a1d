"""HTTP transport and the public ``SandboxExchange`` object.

Stdlib ``ThreadingHTTPServer`` with what keeps it off the critical path of a benchmark:
HTTP/1.1 keep-alive, ``TCP_NODELAY`` on accepted sockets (otherwise a kept-alive client waits
~40 ms on Nagle + delayed ACK), the whole response (status line, headers, body) written with a
single ``sendall``, a listen backlog that absorbs 16+ simultaneous connects, and live
keep-alive connections cut on ``stop()`` so pooled clients see the exchange go away.
"""

from __future__ import annotations

import logging
import threading
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from types import TracebackType
from typing import Any

from ..httpd import TrackedHTTPServer
from .app import ExchangeApp, Reply
from .config import SandboxConfig
from .errors import error_body
from .faults import KLINES_PATH, Fault
from .stats import Stats
from .symbols import symbol_map

_log = logging.getLogger(__name__)
_REASONS = {s.value: s.phrase for s in HTTPStatus} | {418: "I'm a teapot"}


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


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    # Idle kept-alive connections are closed after this many seconds.
    timeout = 120

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def _serve(self, head: bool) -> None:
        length = self.headers.get("Content-Length", "0")
        if length.isdigit() and int(length):  # drain a stray body so the next request parses
            self.rfile.read(int(length))
        try:
            reply = self.server.app.handle(self.path, self.client_address[0])
        except Exception:  # a sandbox bug must not look like a network failure to clients
            _log.exception("sandbox exchange failed on %s", self.path)
            reply = Reply(
                500, error_body(-1000, "An unknown error occurred while processing the request.")
            )
        if reply.drop:
            self.close_connection = True
            return
        self._write(reply, head)

    def _write(self, reply: Reply, head: bool) -> None:
        lines = [
            f"HTTP/1.1 {reply.status} {_REASONS.get(reply.status, 'Unknown')}",
            f"Date: {self.server.dates.get(self.server.app.config.clock())}",
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

    def log_message(self, format: str, *args: Any) -> None:
        pass  # a benchmark would otherwise print a line per request


class _Server(TrackedHTTPServer):
    def __init__(self, address: tuple[str, int], app: ExchangeApp) -> None:
        self.app = app
        self.dates = _DateCache()
        super().__init__(address, _Handler)


class SandboxExchange:
    """A Binance-compatible spot market-data exchange on a local port.

    ``start()`` serves in background threads and returns ``self``; also a context manager.
    Faults are scripted in-process only (``inject``, ``corrupt_archive``), never over HTTP.
    """

    def __init__(
        self, config: SandboxConfig | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.config = config or SandboxConfig()
        self.host = host
        self.port = port
        self.app = ExchangeApp(self.config)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("sandbox exchange is not started")
        return f"http://{self.host}:{self.port}"

    def start(self) -> SandboxExchange:
        if self._server is not None:
            return self
        self._server = _Server((self.host, self.port), self.app)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"sandbox-exchange-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Blocking variant of ``start()`` for the CLI."""
        self.start()
        assert self._thread is not None
        try:
            while self._thread.is_alive():
                self._thread.join(0.5)
        finally:
            self.stop()

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.close_open_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> SandboxExchange:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ----- in-process controls (tests, demo, benchmarks) -----

    def stats(self) -> dict[str, object]:
        return self.app.stats.snapshot()

    def reset_stats(self) -> None:
        self.app.stats.reset()

    def reset_limits(self) -> None:
        """Forget every IP's used weight and ban."""
        self.app.limiter.reset()

    def inject(
        self,
        status: int,
        count: int = 1,
        retry_after: int | None = None,
        path: str = KLINES_PATH,
        delay_ms: float = 0.0,
        body: bytes | None = None,
    ) -> None:
        """The next ``count`` requests to ``path`` get this response instead of being served.

        418/429 come with Binance's -1003 bodies and ``Retry-After`` (default 1 s), 5xx with a
        gateway HTML page; ``status=0`` drops the connection without a response;
        ``delay_ms`` holds the response back first (to trip client timeouts).
        """
        self.app.faults.inject(Fault(status, retry_after, delay_ms, body), count, path)

    def clear_faults(self) -> None:
        self.app.faults.clear()

    def prewarm(self, symbol: str, interval: str, start_ms: int, end_ms: int) -> int:
        """Pre-render the closed candles of a range, so a benchmark measures clients, not
        first-touch generation (every client then sees the same warm server)."""
        spec = symbol_map(self.config.symbols)[symbol]
        renderer = self.app.api.renderer
        return renderer.prewarm(spec, interval, start_ms, end_ms, self.config.now_ms())

    def clear_caches(self) -> None:
        """Drop rendered klines blocks (a cold-server measurement starts from here)."""
        self.app.api.renderer.clear()

    def corrupt_archive(self, name: str, corrupt: bool = True) -> None:
        """Serve the archive zip ``name`` (e.g. ``BTCUSDT-1m-2024-01.zip``) with bad bytes."""
        self.app.archive.set_corrupt(name, corrupt)


__all__ = ["SandboxExchange", "Stats"]
