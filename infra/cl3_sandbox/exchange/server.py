"""The public ``SandboxExchange`` object: the exchange app served over real HTTP.

Transport (keep-alive, ``TCP_NODELAY``, one write per reply, connections cut on ``stop()``) is
the shared :mod:`cl3_sandbox.httpd`; routing, limits and bodies are :class:`.app.ExchangeApp`.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..httpd import Reply, Request, ServerThread, StandIn
from .app import ExchangeApp
from .config import SandboxConfig
from .errors import error_body
from .faults import KLINES_PATH, Fault
from .quality import CandleEdit, PageCorruption
from .sources import SPOT, TRADE
from .stats import Stats


def _internal_error() -> Reply:
    # A sandbox bug must not look like a network failure to clients: Binance's -1000.
    return Reply(500, error_body(-1000, "An unknown error occurred while processing the request."))


class SandboxExchange(StandIn):
    """A Binance-compatible market-data exchange (spot, USDⓈ-M, COIN-M, archive) on a port.

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
        self._server: ServerThread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("sandbox exchange is not started")
        return f"http://{self.host}:{self.port}"

    def start(self) -> SandboxExchange:
        if self._server is not None:
            return self
        server = ServerThread(
            "sandbox-exchange",
            self.host,
            self.port,
            self._serve,
            idle_timeout=120,  # idle kept-alive connections are closed after this many seconds
            clock=self.config.clock,
            error_reply=_internal_error,
        )
        self.port = server.port
        self._server = server.start()
        return self

    def _serve(self, request: Request) -> Reply:
        return self.app.handle(request.target, request.client_ip)

    def serve_forever(self) -> None:
        """Blocking variant of ``start()`` for the CLI."""
        server = self.start()._server
        assert server is not None
        try:
            while server.is_alive():
                server.join(0.5)
        finally:
            self.stop()

    # ----- in-process controls (tests, demo, benchmarks) -----

    def stats(self) -> dict[str, object]:
        """Counters: totals (``klines_requests``, ``weight_used_total``, ``responses_429``, ...),
        per family under ``families`` and archive zips under ``archive_downloads_by_kind``."""
        return self.app.stats.snapshot()

    def reset_stats(self) -> None:
        self.app.stats.reset()

    def reset_limits(self) -> None:
        """Forget every IP's used weight, funding requests and ban, in every family."""
        self.app.reset_limits()

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
        ``delay_ms`` holds the response back first (to trip client timeouts). The fault
        belongs to the path's family (``/api``, ``/fapi`` or ``/dapi``).
        """
        fault = Fault(status, retry_after, delay_ms, body)
        self.app.family_of(path).faults.inject(fault, count, path)

    def clear_faults(self) -> None:
        self.app.clear_faults()

    def prewarm(
        self,
        symbol: str,
        interval: str,
        start_ms: int,
        end_ms: int,
        market: str = SPOT,
        kind: str = TRADE,
    ) -> int:
        """Pre-render the closed candles of a range, so a benchmark measures clients, not
        first-touch generation (every client then sees the same warm server)."""
        now = self.config.now_ms()
        series = self.app.catalog.series(market, kind, symbol, now_ms=now)
        if series is None:
            raise KeyError(f"unknown sandbox series {market}/{kind}/{symbol}")
        return self.app.renderer.prewarm(series, interval, start_ms, end_ms, now)

    def clear_caches(self) -> None:
        """Drop rendered klines blocks and hour aggregates (a cold-server measurement)."""
        self.app.renderer.clear()
        self.app.rollup.clear()

    def corrupt_archive(self, name: str, corrupt: bool = True) -> None:
        """Serve the archive zip ``name`` (e.g. ``BTCUSDT-1m-2024-01.zip``) with bad bytes."""
        self.app.archive.set_corrupt(name, corrupt)

    def reupload_archive(
        self, name: str, change: Mapping[int, Mapping[str, float]] | None = None
    ) -> None:
        """Binance replaced the archive zip ``name``: from now on it has new bytes and a new
        ``.CHECKSUM``. ``change`` maps open times to new column values (e.g.
        ``{open_ms: {"close": 42.0}}``); without it only the zip is rebuilt."""
        self.app.archive.reupload(name, change)

    def edit_rest_candle(self, edit: CandleEdit) -> None:
        """REST serves another value for one candle from now on (the archive keeps its own)."""
        self.app.quality.add_edit(edit)
        self.app.renderer.clear()  # cached blocks hold the old rows

    def corrupt_klines(self, corruption: PageCorruption) -> None:
        """REST klines pages covering the range are served implausible from now on."""
        self.app.quality.add_corruption(corruption)

    def clear_quality_fixtures(self) -> None:
        self.app.quality.clear()
        self.app.renderer.clear()


__all__ = ["CandleEdit", "PageCorruption", "SandboxExchange", "Stats"]
