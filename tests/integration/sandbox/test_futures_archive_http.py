"""Futures, funding and delisted-symbol archives on the data.binance.vision layout, over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cl3_sandbox.exchange import (
    DELISTED_SPOT_SYMBOL,
    DELISTED_USDM_SYMBOL,
    FUNDING_SWITCH_MS,
    FUNDING_SWITCH_SYMBOL,
    SETTLED_COINM_SYMBOL,
    SandboxConfig,
    SandboxExchange,
    expected_klines,
)
from tests.integration.sandbox.support import (
    HOUR,
    NOW_MS,
    NOW_S,
    Clock,
    archive,
    as_rest,
    checksum_matches,
    csv_rows,
    get,
)

JAN_2024, FEB_2024 = 1_704_067_200_000, 1_706_745_600_000
HEADER = ["open_time", "open", "high", "low", "close", "volume", "close_time", "quote_volume",
          "count", "taker_buy_volume", "taker_buy_quote_volume", "ignore"]  # fmt: skip


@pytest.fixture(scope="module")
def ex() -> Iterator[SandboxExchange]:
    with SandboxExchange(SandboxConfig(clock=Clock(NOW_S))) as server:
        yield server


@pytest.mark.parametrize(("market", "dataset", "name", "kind"), [
    ("um", "klines", "BTCUSDT", "trade"),
    ("um", "markPriceKlines", "ETHUSDT", "mark"),
    ("um", "indexPriceKlines", "BTCUSDT", "index"),
    ("um", "premiumIndexKlines", "BTCUSDT", "premium"),
    ("cm", "klines", "BTCUSD_PERP", "trade"),
    ("cm", "indexPriceKlines", "BTCUSD", "index"),
])  # fmt: skip
def test_monthly_files_have_a_header_equal_rest_and_match_their_checksum(
    http, ex, market, dataset, name, kind
):
    zip_name = f"{name}-1h-2024-01.zip"
    path = f"/data/futures/{market}/monthly/{dataset}/{name}/1h/{zip_name}"
    data, line = archive(http, ex, path)
    assert checksum_matches(data, line, zip_name)
    rows = csv_rows(data)
    assert rows[0] == HEADER and len(rows) == 1 + 31 * 24
    full = {"um": "usdm", "cm": "coinm"}[market]
    expected = expected_klines(name, "1h", JAN_2024, FEB_2024 - 1, NOW_MS, market=full,
                               kind=kind)  # fmt: skip
    assert [as_rest(r) for r in rows[1:]] == expected  # milliseconds, same digits as REST


def test_daily_files_and_2025_files_stay_in_milliseconds(http, ex):
    data, _ = archive(
        http, ex, "/data/futures/um/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2025-02-01.zip"
    )
    rows = csv_rows(data)
    assert len(rows) == 1 + 1440 and len(rows[1][0]) == 13 and rows[1][0] == "1738368000000"


def test_funding_archive_has_binances_columns_and_the_switch(http, ex):
    name = f"{FUNDING_SWITCH_SYMBOL}-fundingRate-2024-07.zip"
    path = f"/data/futures/um/monthly/fundingRate/{FUNDING_SWITCH_SYMBOL}/{name}"
    data, line = archive(http, ex, path)
    assert checksum_matches(data, line, name)
    rows = csv_rows(data)
    assert rows[0] == ["calc_time", "funding_interval_hours", "last_funding_rate"]
    assert rows[1][1] == "8" and int(rows[1][0]) // HOUR * HOUR == FUNDING_SWITCH_MS
    assert {r[1] for r in rows[2:]} == {"4"} and len(rows) == 1 + 1 + 31 * 6 - 1
    rest = get(http, ex, "/fapi/v1/fundingRate", symbol=FUNDING_SWITCH_SYMBOL,
               startTime=FUNDING_SWITCH_MS, limit=3).json()  # fmt: skip
    assert [[str(r["fundingTime"]), r["fundingRate"]] for r in rest] == [
        [row[0], row[2]] for row in rows[1:4]
    ]


def test_delisted_symbols_live_only_in_the_archive(http, ex):
    rest = get(http, ex, "/fapi/v1/klines", symbol=DELISTED_USDM_SYMBOL, interval="1d")
    assert rest.json() == {"code": -1121, "msg": "Invalid symbol."}
    um = f"/data/futures/um/monthly/klines/{DELISTED_USDM_SYMBOL}/1d/"
    data, _ = archive(http, ex, f"{um}{DELISTED_USDM_SYMBOL}-1d-2022-01.zip")
    assert len(csv_rows(data)) == 1 + 31
    last, _ = archive(http, ex, f"{um}{DELISTED_USDM_SYMBOL}-1d-2022-11.zip")
    assert as_rest(csv_rows(last)[-1])[0] == 1_668_470_400_000  # 2022-11-15, the last day
    assert get(http, ex, f"{um}{DELISTED_USDM_SYMBOL}-1d-2022-12.zip").status_code == 404
    spot = get(http, ex, "/api/v3/klines", symbol=DELISTED_SPOT_SYMBOL, interval="1d")
    assert spot.json() == {"code": -1121, "msg": "Invalid symbol."}
    info = get(http, ex, "/api/v3/exchangeInfo").json()
    assert DELISTED_SPOT_SYMBOL not in {s["symbol"] for s in info["symbols"]}
    base = f"/data/spot/daily/klines/{DELISTED_SPOT_SYMBOL}/1m/{DELISTED_SPOT_SYMBOL}-1m-"
    data, _ = archive(http, ex, f"{base}2018-06-01.zip")
    assert len(csv_rows(data)) == 1440  # spot files have no header
    assert get(http, ex, f"{base}2019-06-01.zip").status_code == 404
    funding, _ = archive(http, ex, f"/data/futures/um/monthly/fundingRate/{DELISTED_USDM_SYMBOL}"
                                   f"/{DELISTED_USDM_SYMBOL}-fundingRate-2021-05.zip")  # fmt: skip
    assert len(csv_rows(funding)) == 1 + 31 * 3


def test_settled_and_past_quarterlies_are_archived_to_delivery(http, ex):
    base = f"/data/futures/cm/daily/klines/{SETTLED_COINM_SYMBOL}/1h/{SETTLED_COINM_SYMBOL}-1h-"
    data, _ = archive(http, ex, f"{base}2023-03-31.zip")
    assert len(csv_rows(data)) == 1 + 8  # 00:00 .. 07:00, delivered at 08:00
    assert get(http, ex, f"{base}2023-04-01.zip").status_code == 404
    old = "/data/futures/cm/monthly/klines/BTCUSD_220624/1d/BTCUSD_220624-1d-2022-05.zip"
    assert len(csv_rows(archive(http, ex, old)[0])) == 1 + 31


@pytest.mark.parametrize("path", [
    "/data/futures/um/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2025-03.zip",  # month not over
    "/data/futures/um/monthly/klines/NOPE/1m/NOPE-1m-2024-01.zip",
    "/data/futures/um/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2019-01.zip",  # before onboarding
    "/data/futures/cm/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01.zip",  # not a COIN-M symbol
    "/data/futures/um/monthly/fundingRate/BTCUSDT/BTCUSDT-fundingRate-2025-03.zip",
])  # fmt: skip
def test_missing_files_are_s3_404s(http, ex, path):
    r = get(http, ex, path)
    assert r.status_code == 404 and b"<Code>NoSuchKey</Code>" in r.content


def test_archive_downloads_are_counted_per_kind(http):
    with SandboxExchange(SandboxConfig(clock=Clock(NOW_S))) as ex:
        archive(http, ex, "/data/futures/um/monthly/klines/BTCUSDT/1d/BTCUSDT-1d-2024-01.zip")
        archive(http, ex, "/data/futures/cm/monthly/markPriceKlines/BTCUSD_PERP/1d/"
                          "BTCUSD_PERP-1d-2024-01.zip")  # fmt: skip
        archive(http, ex, "/data/spot/monthly/klines/BTCUSDT/1d/BTCUSDT-1d-2024-01.zip")
        archive(http, ex, "/data/futures/um/monthly/fundingRate/BTCUSDT/"
                          "BTCUSDT-fundingRate-2024-01.zip")  # fmt: skip
        stats = ex.stats()
        assert stats["archive_downloads"] == 4
        assert stats["archive_downloads_by_kind"] == {
            "um/klines": 1,
            "cm/markPriceKlines": 1,
            "spot/klines": 1,
            "um/fundingRate": 1,
        }
        assert stats["by_path"]["/data/futures/um/monthly/klines/*.zip.CHECKSUM"] == 1
        assert stats["weight_used_total"] == 0  # the archive is not the API
