"""SandboxConfig: everything the sandbox exchange can be told, all defaulted, immutable."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from .symbols import DEFAULT_SYMBOLS, SymbolSpec

# Like Binance's maintenance window of 2023-03-24: no candle opens in [12:40, 14:00) UTC.
DEFAULT_GAPS: tuple[tuple[int, int], ...] = ((1_679_661_600_000, 1_679_666_400_000),)


@dataclass(frozen=True)
class SandboxConfig:
    """Behaviour of one sandbox exchange.

    Rate limiting follows Binance: ``weight_limit`` request weight per fixed window of
    ``window_s`` seconds per client IP; past it 429 with ``Retry-After``; more than
    ``ban_after_violations`` further requests before the window resets get the IP banned for
    ``ban_s`` seconds (418).
    """

    latency_ms: float = 0.0  # added to every request, to imitate a network round trip
    weight_limit: int = 6000
    window_s: int = 60
    ban_s: int = 120
    ban_after_violations: int = 3
    # Every Nth /api/v3/klines request fails with fail_status (a gateway-like HTML body).
    fail_every: int = 0
    fail_status: int = 503
    # Paths that always fail with fail_status (e.g. {"/api/v3/exchangeInfo"}).
    fail_paths: frozenset[str] = frozenset()
    # Exchange outages: no candle has its open time in [start_ms, end_ms).
    gaps: tuple[tuple[int, int], ...] = DEFAULT_GAPS
    # Archive zip file names (e.g. "BTCUSDT-1m-2024-01.zip") served with corrupted bytes.
    corrupt_archives: frozenset[str] = frozenset()
    symbols: tuple[SymbolSpec, ...] = DEFAULT_SYMBOLS
    seed: int = 0  # changes every synthetic series at once
    archive_cache_mb: int = 256
    # Rendered blocks of closed candles kept in memory (0 disables; a year of 1m is ~100 MB).
    page_cache_mb: int = 512
    clock: Callable[[], float] = time.time

    def now_ms(self) -> int:
        return int(self.clock() * 1000)
