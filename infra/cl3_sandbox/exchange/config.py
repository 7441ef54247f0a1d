"""SandboxConfig: everything the sandbox exchange can be told, all defaulted, immutable."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .contracts import DEFAULT_CONTRACTS, Contract
from .faults import Always
from .quality import CandleEdit, PageCorruption
from .symbols import DEFAULT_DELISTED, DEFAULT_SYMBOLS, SymbolSpec

# Like Binance's maintenance window of 2023-03-24: no candle opens in [12:40, 14:00) UTC.
DEFAULT_GAPS: tuple[tuple[int, int], ...] = ((1_679_661_600_000, 1_679_666_400_000),)
SPOT, FAPI, DAPI = "spot", "fapi", "dapi"  # the API families, each with its own limits
FAMILIES = (SPOT, FAPI, DAPI)


@dataclass(frozen=True)
class FamilyConfig:
    """Limits and faults of one API family (``/api``, ``/fapi`` or ``/dapi``).

    Each family has its own weight limiter and ban state, like Binance's separate hosts.
    ``funding_limit`` requests per ``funding_window_s`` is the separate per-IP limit of the
    family's ``fundingRate`` endpoint (0: none; USDⓈ-M documents 500 per 5 minutes).
    """

    weight_limit: int = 2400
    window_s: int = 60
    ban_s: int = 120
    ban_after_violations: int = 3
    latency_ms: float = 0.0  # added to each of this family's requests
    fail_every: int = 0  # every Nth klines request (any kind) fails with fail_status
    fail_status: int = 503
    fail_paths: frozenset[str] = frozenset()  # paths that always fail with fail_status
    always: tuple[Always, ...] = ()  # e.g. Always("/fapi/v1/klines", 418, retry_after=30)
    funding_limit: int = 500
    funding_window_s: int = 300


@dataclass(frozen=True)
class SandboxConfig:
    """Behaviour of one sandbox exchange.

    Rate limiting follows Binance: ``weight_limit`` request weight per fixed window of
    ``window_s`` seconds per client IP; past it 429 with ``Retry-After``; more than
    ``ban_after_violations`` further requests before the window resets get the IP banned for
    ``ban_s`` seconds (418). The top-level limits and faults are spot's (``/api/v3``);
    ``fapi`` and ``dapi`` carry the futures families' own.
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
    spot_always: tuple[Always, ...] = ()
    fapi: FamilyConfig = field(default_factory=FamilyConfig)
    dapi: FamilyConfig = field(default_factory=lambda: FamilyConfig(funding_limit=0))
    # Exchange outages: no candle holds a minute in [start_ms, end_ms) (all markets).
    gaps: tuple[tuple[int, int], ...] = DEFAULT_GAPS
    # Archive zip file names (e.g. "BTCUSDT-1m-2024-01.zip") served with corrupted bytes.
    corrupt_archives: frozenset[str] = frozenset()
    symbols: tuple[SymbolSpec, ...] = DEFAULT_SYMBOLS
    delisted: tuple[SymbolSpec, ...] = DEFAULT_DELISTED  # spot pairs kept only in archives
    contracts: tuple[Contract, ...] = DEFAULT_CONTRACTS  # besides the COIN-M quarterlies
    # Data-quality fixtures: REST serving other values than the archive for some candles,
    # and REST pages served corrupt (for plausibility checks).
    rest_edits: tuple[CandleEdit, ...] = ()
    corrupt_pages: tuple[PageCorruption, ...] = ()
    seed: int = 0  # changes every synthetic series at once
    archive_cache_mb: int = 256
    # Rendered blocks of closed candles kept in memory (0 disables; a year of 1m is ~100 MB).
    page_cache_mb: int = 512
    rollup_cache_mb: int = 128  # closed-hour aggregates behind intervals above 1m
    clock: Callable[[], float] = time.time

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    def family(self, name: str) -> FamilyConfig:
        if name == FAPI:
            return self.fapi
        if name == DAPI:
            return self.dapi
        return FamilyConfig(
            self.weight_limit, self.window_s, self.ban_s, self.ban_after_violations, 0.0,
            self.fail_every, self.fail_status, self.fail_paths, self.spot_always, 0, 300,
        )  # fmt: skip
