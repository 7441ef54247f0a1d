"""Shared helpers of the sandbox HTTP tests (plain functions; the fixtures are in conftest.py)."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile

import requests

from cl3_sandbox.exchange import SandboxExchange

NOW_S = 1_742_042_096.789  # 2025-03-15 12:34:56.789 UTC: inside the current 1m/1h/1d candles
NOW_MS = int(NOW_S * 1000)
MIN, HOUR, DAY = 60_000, 3_600_000, 86_400_000
GAP = (1_679_661_600_000, 1_679_666_400_000)  # default gap, 2023-03-24 12:40-14:00 UTC
JAN_2024 = 1_704_067_200_000
FEB_2025 = 1_738_368_000_000


class Clock:
    """A settable clock, so windows, bans and the open candle are reproducible."""

    def __init__(self, now: float = NOW_S) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def get(http: requests.Session, ex: SandboxExchange, path: str, **params) -> requests.Response:
    return http.get(f"{ex.url}{path}", params=params, timeout=30)


def spot_klines(http: requests.Session, ex: SandboxExchange, **params) -> requests.Response:
    params = {"symbol": "BTCUSDT", "interval": "1m", **params}
    return http.get(f"{ex.url}/api/v3/klines", params=params, timeout=10)


def archive(http: requests.Session, ex: SandboxExchange, path: str) -> tuple[bytes, str]:
    """The zip at ``path`` and its .CHECKSUM line, both asserted to be served."""
    data = http.get(f"{ex.url}{path}", timeout=30)
    line = http.get(f"{ex.url}{path}.CHECKSUM", timeout=30)
    assert data.status_code == 200 and line.status_code == 200, path
    assert data.headers["Content-Type"] == "application/zip"
    return data.content, line.text


def checksum_matches(data: bytes, line: str, name: str) -> bool:
    return line == f"{hashlib.sha256(data).hexdigest()}  {name}\n"


def csv_rows(data: bytes) -> list[list[str]]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        (name,) = zf.namelist()
        return list(csv.reader(io.StringIO(zf.read(name).decode())))


def as_rest(row: list[str]) -> list:
    """An archive CSV row as the REST JSON row (ints stay ints, decimals stay strings)."""
    return [int(row[0]), *row[1:6], int(row[6]), row[7], int(row[8]), *row[9:]]
