"""The public kline archive (data.binance.vision layout): monthly and daily zips of CSV.

Whole past months and days download far faster than paging the REST API. Every zip is
checked against its `.CHECKSUM` (SHA-256) before anything is parsed; a corrupt file is
refetched once and otherwise left to the REST pager, never stored. A host that cannot be
reached or answers 5xx raises `ArchiveUnavailable` after a few quick retries; the pager then
pages that period from REST (pager.py).
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import requests
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from cl3_common.errors import RetryableError
from cl3_common.intervals import DAY_MS, next_open

# Spot archives switched to microsecond timestamps from 2025-01-01.
_MICROS_THRESHOLD = 10**15


class CorruptArchive(Exception):
    """The zip does not match its published checksum (or is not a readable zip)."""


class ArchiveUnavailable(RetryableError):
    """The archive host could not be reached, timed out or answered 5xx; `reason` says which
    (without the file, so one outage reads as one reason)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"archive {path}: {reason}", system="binance-archive")
        self.reason = reason


def archive_interval(interval: str) -> str:
    # Binance names the monthly interval "1mo" on the archive (1M vs 1m on case-insensitive S3).
    return "1mo" if interval == "1M" else interval


def file_path(symbol: str, interval: str, period_start_ms: int, daily: bool) -> str:
    day = datetime.fromtimestamp(period_start_ms / 1000, tz=UTC)
    iv = archive_interval(interval)
    stamp = day.strftime("%Y-%m-%d" if daily else "%Y-%m")
    kind = "daily" if daily else "monthly"
    return f"/data/spot/{kind}/klines/{symbol}/{iv}/{symbol}-{iv}-{stamp}.zip"


def parse_rows(csv_bytes: bytes) -> list[list[Any]]:
    """CSV rows into the 12-field REST shape, timestamps in milliseconds."""
    rows: list[list[Any]] = []
    for rec in csv.reader(io.StringIO(csv_bytes.decode())):
        if not rec or not rec[0].strip().isdigit():
            continue  # tolerate a header row, as futures archives have one
        open_t, close_t = int(rec[0]), int(rec[6])
        if open_t >= _MICROS_THRESHOLD:
            open_t //= 1000
        if close_t >= _MICROS_THRESHOLD:
            close_t //= 1000
        rows.append([open_t, rec[1], rec[2], rec[3], rec[4], rec[5], close_t, rec[7],
                     int(rec[8]), rec[9], rec[10], rec[11] if len(rec) > 11 else "0"])  # fmt: skip
    return rows


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

    def rows(self, path: str) -> list[list[Any]] | None:
        """The file's rows, or None when the archive has no such file (404)."""
        for attempt in range(2):
            payload = self._get(path)
            if payload is None:
                return None
            checksum = self._get(path + ".CHECKSUM")
            if checksum is None:
                return None  # an unverifiable file is never stored
            try:
                return _verified_rows(payload, checksum)
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
        try:
            response = self._session.get(self.base_url + path, timeout=self._timeout_s)
        except requests.RequestException as e:
            raise ArchiveUnavailable(path, e.__class__.__name__) from e
        if response.status_code == 200:
            return response.content
        if response.status_code in (403, 404):  # S3 answers 403 or 404 for a missing key
            return None
        raise ArchiveUnavailable(path, f"HTTP {response.status_code}")


def _verified_rows(payload: bytes, checksum_file: bytes) -> list[list[Any]]:
    expected = checksum_file.decode(errors="replace").split()[0].lower() if checksum_file else ""
    if hashlib.sha256(payload).hexdigest() != expected:
        raise CorruptArchive("archive checksum mismatch")
    try:
        with zipfile.ZipFile(io.BytesIO(payload)) as archive:
            names = [n for n in archive.namelist() if n.endswith(".csv")]
            if len(names) != 1:
                raise CorruptArchive(f"archive holds {len(names)} CSV files, expected 1")
            return parse_rows(archive.read(names[0]))
    except zipfile.BadZipFile as e:
        raise CorruptArchive("archive is not a readable zip") from e


def period_end(period_start_ms: int, daily: bool) -> int:
    return period_start_ms + DAY_MS if daily else next_open(period_start_ms, "1M")
