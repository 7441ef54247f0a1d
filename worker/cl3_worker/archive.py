"""The public archive (data.binance.vision): monthly and daily zips of CSV, every market.

Whole past months and days download far faster than paging the REST API. Every zip is
checked against its `.CHECKSUM` (SHA-256) before anything is parsed; a corrupt file is
refetched once and otherwise left to the REST pager, never stored. Paths are
`cl3_common.exchange.archive_paths`; futures files start with a header row, spot files from
2025 carry microsecond timestamps. A host that cannot be
reached or answers 5xx raises `ArchiveUnavailable` after a few quick retries; the pager then
pages that period from REST (pager.py).
"""

from __future__ import annotations

import hashlib
import io
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import requests
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from cl3_common.errors import RetryableError
from cl3_common.exchange.archive_paths import klines_file
from cl3_common.intervals import DAY_MS, next_open
from cl3_common.observability import record
from cl3_common.store import Row
from cl3_common.store.rows import MICROS_THRESHOLD

Columns = tuple[Any, ...]  # numpy arrays, one per stored-row field


class CorruptArchive(Exception):
    """The zip does not match its published checksum (or is not a readable zip)."""


class ArchiveUnavailable(RetryableError):
    """The archive host could not be reached, timed out or answered 5xx; `reason` says which
    (without the file, so one outage reads as one reason)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"archive {path}: {reason}", system="binance-archive")
        self.reason = reason


def file_path(
    symbol: str,
    interval: str,
    period_start_ms: int,
    daily: bool,
    *,
    market: str = "spot",
    kind: str = "trade",
) -> str:
    return klines_file(symbol, interval, period_start_ms, daily, market=market, kind=kind)


def parse_rows(csv_bytes: bytes) -> list[Row]:
    """An archive CSV as stored rows (timestamps in milliseconds), parsed by pandas' C reader.

    A month of 1m is 44,640 lines: the csv module plus per-row conversion took ~0.4 s of the
    worker's GIL per file, pandas ~0.1 s. Values are parsed exactly (round-trip): a candle from
    the archive equals the same candle from the REST API.
    """
    return rows_of(parse_columns(csv_bytes))


def parse_columns(csv_bytes: bytes) -> Columns:
    """The CSV's columns in stored-row order as numpy arrays (int64 times and trades, float64
    the rest); empty arrays for an empty file."""
    import numpy as np
    import pandas as pd

    if not csv_bytes.strip():
        return tuple(np.empty(0, np.int64 if i in (0, 1, 8) else np.float64) for i in range(11))
    has_header = not csv_bytes[:1].isdigit()  # futures archives start with a header row
    exact = {"float_precision": "round_trip"} if int(pd.__version__.split(".")[0]) < 3 else {}
    frame = pd.read_csv(io.BytesIO(csv_bytes), header=0 if has_header else None,
                        usecols=range(11), **exact)  # fmt: skip
    frame.columns = range(11)
    times = [np.asarray(frame[i], dtype=np.int64) for i in (0, 6)]
    opens, closes = (np.where(t >= MICROS_THRESHOLD, t // 1000, t) for t in times)
    floats = {i: np.asarray(frame[i], dtype=np.float64) for i in (1, 2, 3, 4, 5, 7, 9, 10)}
    trades = np.asarray(frame[8], dtype=np.int64)
    return (opens, closes, floats[1], floats[2], floats[3], floats[4], floats[5], floats[7],
            trades, floats[9], floats[10])  # fmt: skip


def rows_of(columns: Columns) -> list[Row]:
    return list(zip(*(column.tolist() for column in columns), strict=True))


@dataclass(frozen=True)
class ArchiveFile:
    """A verified klines file: its columns (numpy, stored-row order) and the SHA-256 its
    `.CHECKSUM` published for it. Rows are built only when asked for: a columnar writer
    never needs them, and building them costs about as much as parsing the CSV."""

    path: str
    sha256: str
    columns: Columns

    @cached_property
    def rows(self) -> list[Row]:
        return rows_of(self.columns)

    def __len__(self) -> int:
        return len(self.columns[0])


class ArchiveClient:
    def __init__(
        self,
        base_url: str,
        session: requests.Session,
        *,
        sleep: Callable[[float], None],
        timeout_s: tuple[float, float] = (3.05, 30.0),  # (connect, read between bytes)
        max_attempts: int = 3,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._session = session
        self._sleep = sleep
        self._timeout_s = timeout_s
        self._max_attempts = max_attempts

    def rows(self, path: str) -> list[Row] | None:
        """The klines file's candles as stored rows, or None when the archive has no such file."""
        loaded = self.load(path)
        return None if loaded is None else loaded.rows

    def load(self, path: str) -> ArchiveFile | None:
        """The verified klines file with its checksum (recorded when loaded, re-checked by
        audits), or None when the archive has no such file."""
        verified = self._verified(path)
        if verified is None:
            return None
        loaded = ArchiveFile(path, verified[0], parse_columns(verified[1]))
        record.candles_fetched("archive", len(loaded))  # ops
        return loaded

    def csv(self, path: str) -> bytes | None:
        """The verified CSV inside the zip, or None when the archive has no such file."""
        verified = self._verified(path)
        return None if verified is None else verified[1]

    def _verified(self, path: str) -> tuple[str, bytes] | None:
        """(SHA-256, the CSV) of the zip, refetched once when it does not match its checksum."""
        for attempt in range(2):
            payload = self._get(path)
            if payload is None:
                return None
            checksum = self._get(path + ".CHECKSUM")
            if checksum is None:
                return None  # an unverifiable file is never stored
            try:
                return _verified_csv(payload, checksum)
            except CorruptArchive:
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")

    def _get(self, path: str) -> bytes | None:
        retrying = Retrying(
            retry=retry_if_exception_type(ArchiveUnavailable),
            stop=stop_after_attempt(self._max_attempts),
            wait=wait_random_exponential(multiplier=0.25, max=2),
            sleep=self._sleep,
            reraise=True,
        )
        return retrying(self._get_once, path)

    def _get_once(self, path: str) -> bytes | None:
        began = time.perf_counter()
        # ops: files by kind, never by name (a name holds a symbol)
        kind = "checksum" if path.endswith(".CHECKSUM") else "zip"
        try:
            response = self._session.get(self.base_url + path, timeout=self._timeout_s)
        except requests.RequestException as e:
            record.exchange_response("archive", kind, None, time.perf_counter() - began, 0)
            raise ArchiveUnavailable(path, e.__class__.__name__) from e
        record.exchange_response(
            "archive", kind, response.status_code, time.perf_counter() - began, 0
        )
        if response.status_code == 200:
            return response.content
        if response.status_code in (403, 404):  # S3 answers 403 or 404 for a missing key
            return None
        raise ArchiveUnavailable(path, f"HTTP {response.status_code}")


def _verified_csv(payload: bytes, checksum_file: bytes) -> tuple[str, bytes]:
    """(the SHA-256, the CSV inside) of a zip that matches its published checksum."""
    expected = checksum_file.decode(errors="replace").split()[0].lower() if checksum_file else ""
    sha256 = hashlib.sha256(payload).hexdigest()
    if sha256 != expected:
        raise CorruptArchive("archive checksum mismatch")
    try:
        with zipfile.ZipFile(io.BytesIO(payload)) as archive:
            names = [n for n in archive.namelist() if n.endswith(".csv")]
            if len(names) != 1:
                raise CorruptArchive(f"archive holds {len(names)} CSV files, expected 1")
            return sha256, archive.read(names[0])
    except zipfile.BadZipFile as e:
        raise CorruptArchive("archive is not a readable zip") from e


def period_end(period_start_ms: int, daily: bool) -> int:
    return period_start_ms + DAY_MS if daily else next_open(period_start_ms, "1M")
