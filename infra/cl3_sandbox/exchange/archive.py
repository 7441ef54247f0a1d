"""The data.binance.vision archive: monthly and daily zips with ``.CHECKSUM`` siblings.

Layout: see :mod:`.archive_paths`. Each zip holds one CSV named like the zip. Spot files are
header-less, and those of 2025-01-01 and later carry microsecond timestamps (Binance switched
spot archives to µs then). Futures files start with Binance's header row
(``open_time,open,high,...,ignore``; funding: ``calc_time,funding_interval_hours,
last_funding_rate``) and stay in milliseconds. A file exists only once its period is complete
and all its candles are closed; missing files get S3's XML ``NoSuchKey`` 404. The archive knows
more than REST: delisted symbols and every delivered quarterly.

Zips are generated on demand, byte-for-byte deterministic (fixed zip timestamps), and kept in a
size-bounded LRU, because a month of 1m is 44,640 rows. ``reupload`` imitates Binance replacing a
file after a fix: new bytes, new ``.CHECKSUM``, optionally changed rows.
"""

from __future__ import annotations

import hashlib
import io
import threading
import zipfile
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from .archive_paths import ARCHIVE_PREFIX, FUNDING, ArchivePath, archive_key, parse
from .catalog import Catalog
from .config import SandboxConfig
from .funding import archive_csv, events, nominal_times
from .intervals import floor_open, next_opens
from .klines import merge_gaps, select_opens
from .render import CSV_CHUNK_ROWS, klines_csv
from .rollup import Rollup
from .series import Candles
from .sources import SPOT, Series

__all__ = ["ARCHIVE_PREFIX", "ArchiveReply", "ArchiveStore", "archive_key"]
MICROS_FROM_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z
_FAR_FUTURE_MS = 2**62  # "now" for archive content: every candle of a file is closed
KLINES_HEADER = (b"open_time,open,high,low,close,volume,close_time,quote_volume,count,"
                 b"taker_buy_volume,taker_buy_quote_volume,ignore\n")  # fmt: skip
Edits = Mapping[int, Mapping[str, float]]  # open_time -> {Candles column: new value}


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
    data_kind: str = ""  # e.g. "spot/klines", "um/fundingRate"


def _not_found(path: str) -> ArchiveReply:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code>'
        f"<Message>The specified key does not exist.</Message><Key>{path.lstrip('/')}</Key>"
        "</Error>"
    ).encode()
    return ArchiveReply(404, body, "application/xml", "missing")


def corrupted(data: bytes) -> bytes:
    """Flip a run of bytes in the middle: the sha256 and the zip's CRC no longer match."""
    mid = len(data) // 2
    run = bytes(b ^ 0xFF for b in data[mid : mid + 64])
    return data[:mid] + run + data[mid + len(run) :]


def _apply(c: Candles, edits: Edits) -> Candles:
    c = Candles(*(getattr(c, name).copy() for name in Candles.__dataclass_fields__))
    for open_time, fields in edits.items():
        rows = np.flatnonzero(c.open_time == open_time)
        for name, value in fields.items():
            getattr(c, name)[rows] = value
    return c


class ArchiveStore:
    def __init__(self, config: SandboxConfig, catalog: Catalog, rollup: Rollup) -> None:
        self._config = config
        self._catalog = catalog
        self._rollup = rollup
        self._gaps = merge_gaps(config.gaps)
        self._budget = config.archive_cache_mb * 1024 * 1024
        self._cache: OrderedDict[tuple[str, int], ArchiveFile] = OrderedDict()
        self._cached_bytes = 0
        self._corrupt: set[str] = set(config.corrupt_archives)
        self._revisions: dict[str, tuple[int, Edits]] = {}  # zip name -> (revision, edits)
        self._lock = threading.Lock()

    def set_corrupt(self, zip_name: str, corrupt: bool = True) -> None:
        with self._lock:
            if corrupt:
                self._corrupt.add(zip_name)
            else:
                self._corrupt.discard(zip_name)

    def reupload(self, zip_name: str, edits: Edits | None = None) -> None:
        """From now on serve ``zip_name`` re-built: new zip bytes, rows changed by ``edits``."""
        with self._lock:
            revision, _ = self._revisions.get(zip_name, (0, {}))
            self._revisions[zip_name] = (revision + 1, dict(edits or {}))

    def get(self, path: str, now_ms: int) -> ArchiveReply:
        where = parse(path)
        if where is None or where.end_ms > now_ms:
            return _not_found(path)
        if where.interval:  # its last candle (e.g. a week straddling the month) must be closed
            last = floor_open(where.interval, where.end_ms - 1)
            if next_opens(where.interval, np.array([last]))[0] > now_ms:
                return _not_found(path)
        built = self._file(where)
        if built is None:
            return _not_found(path)
        if where.checksum:
            line = f"{built.sha256}  {where.zip_name}\n".encode()
            return ArchiveReply(200, line, "text/plain", "checksum", where.data_kind)
        with self._lock:
            broken = where.zip_name in self._corrupt
        data = corrupted(built.zip_bytes) if broken else built.zip_bytes
        return ArchiveReply(200, data, "application/zip", "zip", where.data_kind)

    def _file(self, where: ArchivePath) -> ArchiveFile | None:
        with self._lock:
            revision, edits = self._revisions.get(where.zip_name, (0, {}))
            key = (f"{where.market}/{where.dataset}/{where.zip_name}", revision)
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        # Built outside the lock: two threads may build the same file once, which is harmless.
        if where.dataset == FUNDING:
            content = self._funding_csv(where)
        else:
            content = self._klines_csv(where, edits)
        if content is None:
            return None
        built = self._zip(where, content, revision)
        with self._lock:
            if key not in self._cache:
                self._cache[key] = built
                self._cached_bytes += len(built.zip_bytes)
            while self._cached_bytes > self._budget and len(self._cache) > 1:
                _, old = self._cache.popitem(last=False)
                self._cached_bytes -= len(old.zip_bytes)
        return built

    def _series(self, where: ArchivePath) -> Series | None:
        return self._catalog.series(where.market, where.kind, where.symbol, archives=True)

    def _klines_csv(self, where: ArchivePath, edits: Edits) -> tuple[list[bytes], int] | None:
        series = self._series(where)
        if series is None:
            return None
        interval = where.interval
        opens = select_opens(series, interval, where.start_ms, where.end_ms - 1, None,
                             _FAR_FUTURE_MS, self._gaps)  # fmt: skip
        if len(opens) == 0:
            return None
        micros = where.market == SPOT and where.start_ms >= MICROS_FROM_MS
        parts = [] if where.market == SPOT else [KLINES_HEADER]
        for i in range(0, len(opens), CSV_CHUNK_ROWS):
            chunk = self._rollup.candles(series, interval, opens[i : i + CSV_CHUNK_ROWS],
                                         _FAR_FUTURE_MS)  # fmt: skip
            if edits:
                chunk = _apply(chunk, edits)
            parts.append(klines_csv(chunk, micros, series.fmt))
        return parts, len(opens)

    def _funding_csv(self, where: ArchivePath) -> tuple[list[bytes], int] | None:
        contract = self._catalog.contract(where.market, where.symbol, True, where.end_ms)
        if contract is None:
            return None
        underlying = self._catalog.underlying(contract)
        nominal, hours = nominal_times(contract, where.end_ms - 1)
        picked = (nominal >= where.start_ms) & (nominal < where.end_ms)
        if not picked.any():
            return None
        ev = events(contract, underlying, nominal[picked], hours[picked], self._config.seed)
        return [archive_csv(ev)], int(picked.sum())

    def _zip(self, where: ArchivePath, content: tuple[list[bytes], int], revision: int):
        parts, rows = content
        csv_name = where.zip_name[: -len(".zip")] + ".csv"
        stamp = datetime.fromtimestamp(where.start_ms / 1000, tz=UTC)
        info = zipfile.ZipInfo(csv_name, date_time=stamp.timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            if revision:  # a re-upload is a different file even when its rows are the same
                archive.comment = f"re-upload {revision}".encode()
            with archive.open(info, "w") as member:
                for part in parts:
                    member.write(part)
        data = buffer.getvalue()
        return ArchiveFile(data, hashlib.sha256(data).hexdigest(), rows)
