"""Where the public archive (data.binance.vision) keeps each file, for every market and kind.

    /data/spot/{monthly,daily}/klines/{SYMBOL}/{interval}/{SYMBOL}-{interval}-YYYY-MM(-DD).zip
    /data/futures/{um,cm}/{monthly,daily}/{klines,markPriceKlines,indexPriceKlines,
        premiumIndexKlines}/{SYMBOL}/{interval}/{SYMBOL}-{interval}-YYYY-MM(-DD).zip
    /data/futures/um/monthly/fundingRate/{SYMBOL}/{SYMBOL}-fundingRate-YYYY-MM.zip

each with a `.CHECKSUM` sibling (SHA-256). Index klines are filed under the pair. The monthly
interval directory is `1mo` (`1M` would clash with `1m` on case-insensitive stores).
"""

from __future__ import annotations

from datetime import UTC, datetime

from cl3_common.exchange.markets import KLINES_DATASETS, MARKETS, SPOT, TRADE


def archive_interval(interval: str) -> str:
    return "1mo" if interval == "1M" else interval


def _stamp(period_start_ms: int, daily: bool) -> str:
    day = datetime.fromtimestamp(period_start_ms / 1000, tz=UTC)
    return day.strftime("%Y-%m-%d" if daily else "%Y-%m")


def klines_file(
    symbol: str,
    interval: str,
    period_start_ms: int,
    daily: bool,
    *,
    market: str = SPOT,
    kind: str = TRADE,
) -> str:
    """The zip holding the klines of one UTC day or month."""
    root = MARKETS[market].archive_root
    iv = archive_interval(interval)
    period = "daily" if daily else "monthly"
    dataset = KLINES_DATASETS[kind]
    name = f"{symbol}-{iv}-{_stamp(period_start_ms, daily)}.zip"
    return f"/data/{root}/{period}/{dataset}/{symbol}/{iv}/{name}"


def funding_file(symbol: str, month_start_ms: int, *, market: str) -> str:
    """The monthly fundingRate zip (USDⓈ-M only; COIN-M has no funding archive)."""
    root = MARKETS[market].archive_root
    name = f"{symbol}-fundingRate-{_stamp(month_start_ms, daily=False)}.zip"
    return f"/data/{root}/monthly/fundingRate/{symbol}/{name}"
