"""The data.binance.vision kline archive: monthly and daily zips with ``.CHECKSUM`` siblings.

Layout (as on Binance's public data bucket)::

    /data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01.zip
    /data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01-15.zip(.CHECKSUM)

Each zip holds one header-less CSV of the 12 kline fields, named like the zip. Files of
2025-01-01 and later carry microsecond timestamps (Binance switched spot archives to µs then).
The monthly interval directory is ``1mo`` on Binance (``1M`` would clash with ``1m`` on
case-insensitive stores), so that is the name accepted here. A file exists only once its period
is complete and all its candles are closed; missing files get S3's XML ``NoSuchKey`` 404.
Zips are generated on demand, byte-for-byte deterministic (fixed zip timestamps), and kept in a
size-bounded LRU, because a month of 1m is 44,640 rows.
"""

from __future__ import annotations

import hashlib
import io
import re
import threading
import zipfile
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime

from .config import SandboxConfig
from .intervals import DAY_MS, MONTH, floor_open, is_interval, next_opens
from .klines import select_opens
from .render import CSV_CHUNK_ROWS, klines_csv
from .series import candles
from .symbols import symbol_map

MICROS_FROM_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z
_FAR_FUTURE_MS = 2**62  # "now" for archive content: every candle of a file is closed
_PATH = re.compile(
    r"^/data/spot/(?P<period>monthly|daily)/klines/(?P<symbol>[A-Z0-9]+)/(?P<interval>\w+)/"
    r"(?P<name>(?P=symbol)-(?P=interval)-(?P<y>\d{4})-(?P<m>\d{2})(?:-(?P<d>\d{2}))?)"
    r"\.zip(?P<checksum>\.CHECKSUM)?$"
)
ARCHIVE_PREFIX = "/data/"


@dataclass(frozen=True)
class ArchiveFile:
    zip_bytes: bytes
    sha256: str
    rows: int


@dataclass(frozen=True)
class ArchiveReply:
    status: int
    body: bytes
    content_type: str
    kind: str  # "zip", "checksum" or "missing"


def _archive_interval(name: str) -> str | None:
    if name == "1mo":
        return MONTH
    return name if is_interval(name) and name != MONTH else None


def _not_found(path: str) -> ArchiveReply:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code>'
        f"<Message>The specified key does not exist.</Message><Key>{path.lstrip('/')}</Key>"
        "</Error>"
    ).encode()
    return ArchiveReply(404, body, "application/xml", "missing")


def _period(match: re.Match[str]) -> tuple[int, int] | None:
    y, m, d = int(match["y"]), int(match["m"]), match["d"]
    monthly = match["period"] == "monthly"
    if monthly == (d is not None):
        return None
    try:
        start = datetime(y, m, int(d) if d else 1, tzinfo=UTC)
    except ValueError:
        return None
    start_ms = int(start.timestamp() * 1000)
    end_ms = floor_open(MONTH, start_ms + 32 * DAY_MS) if monthly else start_ms + DAY_MS
    return start_ms, end_ms


def corrupted(data: bytes) -> bytes:
    """Flip a run of bytes in the middle: the sha256 and the zip's CRC no longer match."""
    mid = len(data) // 2
    run = bytes(b ^ 0xFF for b in data[mid : mid + 64])
    return data[:mid] + run + data[mid + len(run) :]


class ArchiveStore:
    def __init__(self, config: SandboxConfig) -> None:
        self._config = config
        self._symbols = symbol_map(config.symbols)
        self._budget = config.archive_cache_mb * 1024 * 1024
        self._cache: OrderedDict[str, ArchiveFile] = OrderedDict()
        self._cached_bytes = 0
        self._corrupt: set[str] = set(config.corrupt_archives)
        self._lock = threading.Lock()

    def set_corrupt(self, zip_name: str, corrupt: bool = True) -> None:
        with self._lock:
            if corrupt:
                self._corrupt.add(zip_name)
            else:
                self._corrupt.discard(zip_name)

    def get(self, path: str, now_ms: int) -> ArchiveReply:
        match = _PATH.match(path)
        interval = _archive_interval(match["interval"]) if match else None
        period = _period(match) if match else None
        spec = self._symbols.get(match["symbol"]) if match else None
        if match is None or interval is None or period is None or spec is None:
            return _not_found(path)
        start_ms, end_ms = period
        opens = select_opens(spec, interval, start_ms, end_ms - 1, None, now_ms, self._config.gaps)
        if end_ms > now_ms or len(opens) == 0 or next_opens(interval, opens[-1:])[0] > now_ms:
            return _not_found(path)
        zip_name = match["name"] + ".zip"
        archive = self._file(zip_name, spec.symbol, interval, opens, start_ms >= MICROS_FROM_MS)
        if match["checksum"]:
            line = f"{archive.sha256}  {zip_name}\n".encode()
            return ArchiveReply(200, line, "text/plain", "checksum")
        with self._lock:
            broken = zip_name in self._corrupt
        data = corrupted(archive.zip_bytes) if broken else archive.zip_bytes
        return ArchiveReply(200, data, "application/zip", "zip")

    def _file(self, zip_name: str, symbol: str, interval: str, opens, micros: bool) -> ArchiveFile:
        with self._lock:
            hit = self._cache.get(zip_name)
            if hit is not None:
                self._cache.move_to_end(zip_name)
                return hit
        # Built outside the lock: two threads may build the same file once, which is harmless.
        archive = self._build(zip_name, symbol, interval, opens, micros)
        with self._lock:
            if zip_name not in self._cache:
                self._cache[zip_name] = archive
                self._cached_bytes += len(archive.zip_bytes)
            while self._cached_bytes > self._budget and len(self._cache) > 1:
                _, old = self._cache.popitem(last=False)
                self._cached_bytes -= len(old.zip_bytes)
        return archive

    def _build(self, zip_name: str, symbol: str, interval: str, opens, micros: bool) -> ArchiveFile:
        spec = self._symbols[symbol]
        csv_name = zip_name[: -len(".zip")] + ".csv"
        first = datetime.fromtimestamp(int(opens[0]) / 1000, tz=UTC)
        info = zipfile.ZipInfo(csv_name, date_time=first.timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        buffer = io.BytesIO()
        with (
            zipfile.ZipFile(buffer, "w") as archive,
            archive.open(info, "w") as member,
        ):
            for i in range(0, len(opens), CSV_CHUNK_ROWS):
                chunk = opens[i : i + CSV_CHUNK_ROWS]
                page = candles(spec, interval, chunk, _FAR_FUTURE_MS, self._config.seed)
                member.write(klines_csv(page, micros))
        data = buffer.getvalue()
        return ArchiveFile(data, hashlib.sha256(data).hexdigest(), len(opens))
