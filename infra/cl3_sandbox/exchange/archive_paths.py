"""The data.binance.vision layout: which file a path names, and which period it covers.

::

    /data/spot/{monthly,daily}/klines/{SYMBOL}/{interval}/{SYMBOL}-{interval}-YYYY-MM(-DD).zip
    /data/futures/{um,cm}/{monthly,daily}/{klines,markPriceKlines,indexPriceKlines,
        premiumIndexKlines}/{SYMBOL}/{interval}/{SYMBOL}-{interval}-YYYY-MM(-DD).zip
    /data/futures/um/monthly/fundingRate/{SYMBOL}/{SYMBOL}-fundingRate-YYYY-MM.zip

each with a ``.CHECKSUM`` sibling. The monthly interval directory is ``1mo`` (``1M`` would clash
with ``1m`` on case-insensitive stores). Futures daily files exist for intervals up to 1d only
(binance-public-data's ``DAILY_INTERVALS``); futures have no 1s klines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from .intervals import DAY_MS, MONTH, floor_open, is_interval
from .sources import COINM, INDEX, MARK, PREMIUM, SPOT, TRADE, USDM

ARCHIVE_PREFIX = "/data/"
FUNDING = "fundingRate"
_MARKETS = {"spot": SPOT, "um": USDM, "cm": COINM}
_KINDS = {"klines": TRADE, "markPriceKlines": MARK, "indexPriceKlines": INDEX,
          "premiumIndexKlines": PREMIUM}  # fmt: skip
_DAILY_FUTURES = {"1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d"}
_KLINES = re.compile(
    r"^/data/(?:(?P<spot>spot)|futures/(?P<fut>um|cm))/(?P<period>monthly|daily)/"
    r"(?P<dataset>klines|markPriceKlines|indexPriceKlines|premiumIndexKlines)/"
    r"(?P<symbol>[A-Z0-9_]+)/(?P<interval>\w+)/"
    r"(?P<name>(?P=symbol)-(?P=interval)-(?P<y>\d{4})-(?P<m>\d{2})(?:-(?P<d>\d{2}))?)"
    r"\.zip(?P<checksum>\.CHECKSUM)?$"
)
_FUNDING = re.compile(
    r"^/data/futures/(?P<fut>um)/(?P<period>monthly)/(?P<dataset>fundingRate)/"
    r"(?P<symbol>[A-Z0-9_]+)/(?P<name>(?P=symbol)-fundingRate-(?P<y>\d{4})-(?P<m>\d{2}))"
    r"\.zip(?P<checksum>\.CHECKSUM)?$"
)


@dataclass(frozen=True)
class ArchivePath:
    market: str  # spot | usdm | coinm
    dataset: str  # klines, markPriceKlines, ..., fundingRate
    kind: str  # trade | mark | index | premium ("" for fundingRate)
    symbol: str
    interval: str  # "" for fundingRate
    zip_name: str
    start_ms: int
    end_ms: int
    checksum: bool

    @property
    def data_kind(self) -> str:
        """Counter key, e.g. "spot/klines" or "um/fundingRate"."""
        short = {SPOT: "spot", USDM: "um", COINM: "cm"}[self.market]
        return f"{short}/{self.dataset}"


def _period(match: re.Match[str]) -> tuple[int, int] | None:
    day = match.groupdict().get("d")
    monthly = match["period"] == "monthly"
    if monthly == (day is not None):
        return None
    try:
        start = datetime(int(match["y"]), int(match["m"]), int(day) if day else 1, tzinfo=UTC)
    except ValueError:
        return None
    start_ms = int(start.timestamp() * 1000)
    end_ms = floor_open(MONTH, start_ms + 32 * DAY_MS) if monthly else start_ms + DAY_MS
    return start_ms, end_ms


def _interval(name: str, spot: bool, daily: bool) -> str | None:
    if name == "1mo":
        return MONTH if spot or not daily else None
    if not is_interval(name) or name == MONTH:
        return None
    if not spot and (name == "1s" or (daily and name not in _DAILY_FUTURES)):
        return None
    return name


def parse(path: str) -> ArchivePath | None:
    """The file ``path`` names, or None if it is not a well-formed archive path."""
    match = _KLINES.match(path) or _FUNDING.match(path)
    if match is None:
        return None
    period = _period(match)
    market = SPOT if match.groupdict().get("spot") else _MARKETS[match["fut"]]
    if period is None or (market == SPOT and match["dataset"] != "klines"):
        return None
    if match["dataset"] == FUNDING:
        return ArchivePath(market, FUNDING, "", match["symbol"], "", match["name"] + ".zip",
                           *period, bool(match["checksum"]))  # fmt: skip
    interval = _interval(match["interval"], market == SPOT, match["period"] == "daily")
    if interval is None:
        return None
    return ArchivePath(market, match["dataset"], _KINDS[match["dataset"]], match["symbol"],
                       interval, match["name"] + ".zip", *period,
                       bool(match["checksum"]))  # fmt: skip


def archive_key(path: str) -> str:
    """Archive paths are counted per kind, not per file, so ``by_path`` stays small."""
    parts = path.split("/")
    suffix = ".zip.CHECKSUM" if path.endswith(".CHECKSUM") else ".zip"
    if len(parts) > 3 and parts[2] == "futures":
        period = parts[4] if len(parts) > 4 else "?"
        dataset = parts[5] if len(parts) > 5 else "?"
        return f"/data/futures/{parts[3]}/{period}/{dataset}/*{suffix}"
    period = parts[3] if len(parts) > 3 else "?"
    return f"/data/spot/{period}/klines/*{suffix}"
