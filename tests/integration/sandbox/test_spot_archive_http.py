"""The spot data.binance.vision archive over real HTTP: layout, contents, checksums."""

from __future__ import annotations

import hashlib
import io
import zipfile
import zlib

import pytest

from cl3_sandbox.exchange import SandboxConfig, SandboxExchange, expected_klines
from tests.integration.sandbox.support import DAY, MIN, NOW_S, Clock

FEB_2025 = 1_738_368_000_000


@pytest.fixture
def ex(server: SandboxExchange, clock: Clock) -> SandboxExchange:
    clock.now = NOW_S
    return server


def _archive(http, ex, path):
    return http.get(f"{ex.url}/data/spot/{path}", timeout=30)


def _csv_rows(zip_bytes: bytes, name: str) -> list[list[str]]:
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as zf:
        assert zf.namelist() == [name]
        return [line.split(",") for line in zf.read(name).decode().splitlines()]


def _as_rest(row: list[str], micros: bool) -> list:
    scale = 1000 if micros else 1
    return [int(row[0]) // scale, *row[1:6], int(row[6]) // scale, row[7], int(row[8]), *row[9:]]


def test_monthly_archive_equals_rest_and_checksum_matches(http, ex):
    before = ex.stats()["archive_downloads"]
    name = "BTCUSDT-1h-2023-03"
    r = _archive(http, ex, f"monthly/klines/BTCUSDT/1h/{name}.zip")
    assert r.status_code == 200
    checksum = _archive(http, ex, f"monthly/klines/BTCUSDT/1h/{name}.zip.CHECKSUM").text
    assert checksum == f"{hashlib.sha256(r.content).hexdigest()}  {name}.zip\n"
    rows = _csv_rows(r.content, f"{name}.csv")
    start, end = 1_677_628_800_000, 1_680_307_200_000  # March 2023
    expected = expected_klines("BTCUSDT", "1h", start, end - 1, int(NOW_S * 1000))
    assert [_as_rest(row, micros=False) for row in rows] == expected
    assert len(rows) == 31 * 24 - 1  # the 13:00 candle of 2023-03-24 opens inside the gap
    assert ex.stats()["archive_downloads"] == before + 1
    assert "X-MBX-USED-WEIGHT-1M" not in r.headers  # the archive costs no API weight


def test_2025_archives_are_in_microseconds(http, ex):
    name = "ETHUSDT-1m-2025-02-03"
    r = _archive(http, ex, f"daily/klines/ETHUSDT/1m/{name}.zip")
    rows = _csv_rows(r.content, f"{name}.csv")
    assert len(rows) == 1440 and int(rows[0][0]) == (FEB_2025 + 2 * DAY) * 1000
    assert int(rows[0][6]) == (FEB_2025 + 2 * DAY + MIN) * 1000 - 1  # ...59999999
    day = FEB_2025 + 2 * DAY
    expected = expected_klines("ETHUSDT", "1m", day, day + DAY - 1, int(NOW_S * 1000))
    assert [_as_rest(row, micros=True) for row in rows] == expected
    monthly = _archive(http, ex, "monthly/klines/ETHUSDT/1mo/ETHUSDT-1mo-2025-01.zip")
    (row,) = _csv_rows(monthly.content, "ETHUSDT-1mo-2025-01.csv")
    assert int(row[0]) == 1_735_689_600_000_000


@pytest.mark.parametrize("path", [
    "monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2025-03.zip",  # the current month is incomplete
    "daily/klines/BTCUSDT/1m/BTCUSDT-1m-2025-03-15.zip",  # today
    "daily/klines/BTCUSDT/1m/BTCUSDT-1m-2017-08-16.zip",  # before the listing
    "monthly/klines/BTCUSDT/1M/BTCUSDT-1M-2024-01.zip",  # Binance's directory is 1mo
    "monthly/klines/NOPE/1m/NOPE-1m-2024-01.zip",
    "monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2024-13.zip",
    "daily/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01.zip",
])  # fmt: skip
def test_missing_archives_are_404(http, ex, path):
    r = _archive(http, ex, path)
    assert r.status_code == 404 and b"NoSuchKey" in r.content


def test_corrupted_archives_fail_their_checksum(http, clock):
    name = "SOLUSDT-1d-2024-02.zip"
    config = SandboxConfig(clock=clock, corrupt_archives=frozenset({name}))
    with SandboxExchange(config) as ex:
        path = f"monthly/klines/SOLUSDT/1d/{name}"
        bad = _archive(http, ex, path).content
        digest = _archive(http, ex, path + ".CHECKSUM").text.split()[0]
        assert hashlib.sha256(bad).hexdigest() != digest
        ex.corrupt_archive(name, False)
        good = _archive(http, ex, path).content
        assert hashlib.sha256(good).hexdigest() == digest
        ex.corrupt_archive(name)
        # A flipped run of bytes breaks the deflate stream or, failing that, the CRC.
        with (
            pytest.raises((zipfile.BadZipFile, zlib.error)),
            zipfile.ZipFile(io.BytesIO(bad)) as zf,
        ):
            zf.read(zf.namelist()[0])
