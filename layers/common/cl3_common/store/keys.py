"""What identifies a stored series: market, kind, symbol and interval.

`spot` / `trade` are the defaults, so every spot request, stored id and test from before
futures keeps working unchanged (see docs/data-model.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cl3_common.errors import InvalidRequest

MARKETS: tuple[str, ...] = ("spot", "usdm", "coinm")
KINDS: tuple[str, ...] = ("trade", "mark", "index", "premium")
DEFAULT_MARKET, DEFAULT_KIND = "spot", "trade"


def validate_market(market: str) -> str:
    if market not in MARKETS:
        raise InvalidRequest(f"unknown market {market!r}; use one of {', '.join(MARKETS)}")
    return market


def validate_kind(market: str, kind: str) -> str:
    if kind not in KINDS:
        raise InvalidRequest(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    if market == "spot" and kind != "trade":
        raise InvalidRequest(f"kind {kind!r} exists only for futures markets (usdm, coinm)")
    return kind


@dataclass(frozen=True)
class SeriesKey:
    """One stored series. Construct spot trade candles as SeriesKey("BTCUSDT", "1m")."""

    symbol: str
    interval: str
    market: str = DEFAULT_MARKET
    kind: str = DEFAULT_KIND

    def __lt__(self, other: SeriesKey) -> bool:
        # Listed market first, as the stores list them.
        return self.sort_key < other.sort_key

    @property
    def sort_key(self) -> tuple[str, str, str, str]:
        return (self.market, self.kind, self.symbol, self.interval)

    @property
    def is_default(self) -> bool:
        return self.market == DEFAULT_MARKET and self.kind == DEFAULT_KIND

    @property
    def prefix(self) -> str:
        """ "" for spot trade candles, else "usdm:mark:" (the MongoDB id prefix)."""
        return "" if self.is_default else f"{self.market}:{self.kind}:"

    @property
    def series_id(self) -> str:
        """ "BTCUSDT_1m" or "usdm:mark:BTCUSDT_1m": ids of per-series records."""
        return f"{self.prefix}{self.symbol}_{self.interval}"

    def candle_id(self, open_ms: int) -> str:
        """The MongoDB `_id` of one candle (duplicate-safe, like the SQLite primary key)."""
        return f"{self.series_id}_{open_ms}"

    def label(self) -> str:
        return f"{self.symbol} {self.interval}" + (
            "" if self.is_default else f" ({self.prefix[:-1]})"
        )

    def to_json(self) -> dict[str, str]:
        return {"market": self.market, "kind": self.kind, "symbol": self.symbol,
                "interval": self.interval}  # fmt: skip

    @classmethod
    def from_series_id(cls, series_id: str) -> SeriesKey:
        """The inverse of `series_id`."""
        market, kind = DEFAULT_MARKET, DEFAULT_KIND
        if ":" in series_id:
            market, kind, series_id = series_id.split(":", 2)
        symbol, interval = series_id.rsplit("_", 1)
        return cls(symbol, interval, market, kind)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SeriesKey:
        return cls(
            symbol=str(data["symbol"]),
            interval=str(data["interval"]),
            market=str(data.get("market") or DEFAULT_MARKET),
            kind=str(data.get("kind") or DEFAULT_KIND),
        )
