"""The data.binance.vision layout as the sandbox reads it."""

from __future__ import annotations

import pytest

from cl3_sandbox.exchange.archive_paths import archive_key, parse

JAN_2024, FEB_2024 = 1_704_067_200_000, 1_706_745_600_000
DAY = 86_400_000


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01.zip",
         ("spot", "klines", "trade", "BTCUSDT", "1m", JAN_2024, FEB_2024, False)),
        ("/data/spot/daily/klines/BTCUSDT/1s/BTCUSDT-1s-2024-01-01.zip.CHECKSUM",
         ("spot", "klines", "trade", "BTCUSDT", "1s", JAN_2024, JAN_2024 + DAY, True)),
        ("/data/futures/um/monthly/markPriceKlines/BTCUSDT/1mo/BTCUSDT-1mo-2024-01.zip",
         ("usdm", "markPriceKlines", "mark", "BTCUSDT", "1M", JAN_2024, FEB_2024, False)),
        ("/data/futures/cm/daily/indexPriceKlines/BTCUSD/1h/BTCUSD-1h-2024-01-01.zip",
         ("coinm", "indexPriceKlines", "index", "BTCUSD", "1h", JAN_2024, JAN_2024 + DAY, False)),
        ("/data/futures/cm/monthly/klines/BTCUSD_240329/1d/BTCUSD_240329-1d-2024-01.zip",
         ("coinm", "klines", "trade", "BTCUSD_240329", "1d", JAN_2024, FEB_2024, False)),
        ("/data/futures/um/monthly/premiumIndexKlines/ETHUSDT/5m/ETHUSDT-5m-2024-01.zip",
         ("usdm", "premiumIndexKlines", "premium", "ETHUSDT", "5m", JAN_2024, FEB_2024, False)),
        ("/data/futures/um/monthly/fundingRate/ETHUSDT/ETHUSDT-fundingRate-2024-01.zip",
         ("usdm", "fundingRate", "", "ETHUSDT", "", JAN_2024, FEB_2024, False)),
    ],
)  # fmt: skip
def test_paths_name_their_file_and_period(path, expected):
    where = parse(path)
    assert where is not None
    got = (where.market, where.dataset, where.kind, where.symbol, where.interval,
           where.start_ms, where.end_ms, where.checksum)  # fmt: skip
    assert got == expected
    assert where.zip_name == path.rsplit("/", 1)[1].removesuffix(".CHECKSUM")


@pytest.mark.parametrize(
    "path",
    [
        "/data/futures/um/monthly/klines/BTCUSDT/1s/BTCUSDT-1s-2024-01.zip",  # no 1s on futures
        "/data/futures/um/daily/klines/BTCUSDT/1w/BTCUSDT-1w-2024-01-01.zip",  # daily <= 1d
        "/data/futures/um/daily/fundingRate/BTCUSDT/BTCUSDT-fundingRate-2024-01-01.zip",
        "/data/futures/cm/monthly/fundingRate/BTCUSD_PERP/BTCUSD_PERP-fundingRate-2024-01.zip",
        "/data/spot/monthly/markPriceKlines/BTCUSDT/1m/BTCUSDT-1m-2024-01.zip",
        "/data/spot/monthly/klines/BTCUSDT/1M/BTCUSDT-1M-2024-01.zip",  # the directory is 1mo
        "/data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01-02.zip",  # monthly with a day
        "/data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2024-02-30.zip",
        "/data/futures/xm/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01.zip",
        "/data/spot/monthly/klines/BTCUSDT/1m/ETHUSDT-1m-2024-01.zip",
    ],
)
def test_malformed_or_nonexistent_layouts_are_refused(path):
    assert parse(path) is None


def test_counter_keys_group_files_by_kind():
    assert archive_key("/data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01.zip") == (
        "/data/spot/monthly/klines/*.zip"
    )
    key = archive_key("/data/futures/um/daily/markPriceKlines/X/1m/X-1m-2024-01-01.zip.CHECKSUM")
    assert key == "/data/futures/um/daily/markPriceKlines/*.zip.CHECKSUM"
