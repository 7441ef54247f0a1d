"""Futures contracts, their lifetimes and their candles of every kind, in process."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from cl3_sandbox.exchange import (
    DELISTED_USDM_SYMBOL,
    PERPETUAL_DELIVERY_MS,
    SETTLED_COINM_SYMBOL,
    SandboxConfig,
    expected_klines,
)
from cl3_sandbox.exchange.catalog import Catalog
from cl3_sandbox.exchange.contracts import listed_quarterlies, parse_quarterly, quarter_deliveries
from cl3_sandbox.exchange.intervals import floor_open
from cl3_sandbox.exchange.timezones import parse_time_zone
from tests.unit.sandbox.resample import mismatches, resample

MIN, HOUR, DAY = 60_000, 3_600_000, 86_400_000
NOW = 1_742_042_096_789  # 2025-03-15 12:34:56.789 UTC
JAN_2024 = 1_704_067_200_000
CATALOG = Catalog(SandboxConfig())


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


def test_quarterlies_deliver_at_8_on_the_last_friday_of_the_quarter():
    deliveries = quarter_deliveries(NOW, 2, 2)
    assert deliveries == [ms("2024-09-27T08:00"), ms("2024-12-27T08:00"),
                          ms("2025-03-28T08:00"), ms("2025-06-27T08:00")]  # fmt: skip
    current, following = listed_quarterlies(NOW)[1:]
    assert (current.symbol, current.contract_type) == ("BTCUSD_250328", "CURRENT_QUARTER")
    assert (following.symbol, following.contract_type) == ("BTCUSD_250627", "NEXT_QUARTER")
    assert current.onboard_ms == ms("2024-09-27T08:00")  # listed two quarters ahead
    settled = listed_quarterlies(NOW)[0]
    assert (settled.symbol, settled.status) == (SETTLED_COINM_SYMBOL, "DELIVERED")
    assert settled.delivery_ms == ms("2023-03-31T08:00") == settled.end_ms


@pytest.mark.parametrize("name", ["BTCUSD_230330", "BTCUSD_230428", "ETHUSD_230331", "BTCUSD",
                                  "BTCUSD_PERP", "BTCUSD_231399"])  # fmt: skip
def test_only_real_quarterly_names_parse(name):
    assert parse_quarterly(name) is None


def test_rest_and_archive_know_different_symbols():
    assert CATALOG.series("usdm", "trade", DELISTED_USDM_SYMBOL) is None
    assert CATALOG.series("usdm", "trade", DELISTED_USDM_SYMBOL, archives=True) is not None
    assert CATALOG.series("spot", "trade", "BCCUSDT") is None
    assert CATALOG.series("spot", "trade", "BCCUSDT", archives=True) is not None
    assert CATALOG.series("coinm", "trade", "BTCUSD_240628", now_ms=NOW) is None  # delivered
    assert CATALOG.series("coinm", "trade", "BTCUSD_240628", archives=True) is not None
    assert CATALOG.series("coinm", "trade", SETTLED_COINM_SYMBOL, now_ms=NOW) is not None
    assert CATALOG.series("usdm", "index", "BTCUSDT") is not None  # index by pair
    assert CATALOG.series("coinm", "index", "BTCUSD") is not None
    assert CATALOG.series("coinm", "index", "BTCUSD_PERP") is None
    assert CATALOG.series("spot", "mark", "BTCUSDT") is None
    perp = CATALOG.contracts[("usdm", "BTCUSDT")]
    assert perp.delivery_ms == PERPETUAL_DELIVERY_MS and perp.end_ms is None


def _rows(symbol: str, kind: str, market: str = "usdm", interval: str = "1m", count: int = 5):
    start = JAN_2024
    return expected_klines(symbol, interval, start, start + (count - 1) * MIN, NOW,
                           market=market, kind=kind)  # fmt: skip


def test_usdm_trade_rows_print_the_symbols_precisions():
    row = _rows("BTCUSDT", "trade")[0]
    assert [len(row[i].split(".")[1]) for i in (1, 2, 3, 4)] == [2] * 4  # pricePrecision
    assert len(row[5].split(".")[1]) == 3 and len(row[9].split(".")[1]) == 3  # quantity
    assert len(row[7].split(".")[1]) == 5 and len(row[10].split(".")[1]) == 5  # quote
    assert float(row[2]) >= max(float(row[1]), float(row[4])) and row[11] == "0"


def test_coinm_volumes_are_contracts_and_the_8th_field_is_base_volume():
    for row in _rows("BTCUSD_PERP", "trade", "coinm"):
        contracts, base = int(row[5]), float(row[7])
        vwap = sum(float(row[i]) for i in (1, 2, 3, 4)) / 4
        assert row[5] == str(contracts) and row[9] == str(int(row[9]))
        assert base == pytest.approx(contracts * 100 / vwap, abs=1e-8)
        assert len(row[1].split(".")[1]) == 1  # BTCUSD's tick is 0.1


def test_mark_index_and_premium_rows_have_only_prices():
    trade = _rows("BTCUSDT", "trade")
    mark, index = _rows("BTCUSDT", "mark"), _rows("BTCUSDT", "index")
    premium = _rows("BTCUSDT", "premium")
    for kind_rows, count in ((mark, 60), (index, 60), (premium, 12)):
        for row in kind_rows:
            assert row[5] == row[7] == row[9] == row[10] == row[11] == "0"
            assert row[8] == count  # samples a minute: 1 a second, premium 1 every 5 s
            assert len(row[1].split(".")[1]) == 8
    for t, m, i, p in zip(trade, mark, index, premium, strict=True):
        assert abs(float(m[4]) / float(t[4]) - 1) < 0.003  # mark follows the last price
        assert abs(float(i[4]) / float(t[4]) - 1) < 0.003
        assert abs(float(p[4])) < 0.003
    assert any(float(r[4]) < 0 for r in _rows("ETHUSDT", "premium", count=300))


def test_quarterly_contango_decays_to_delivery():
    far = expected_klines("BTCUSD_230331", "1d", ms("2022-10-10"), ms("2022-10-10"), NOW,
                          market="coinm", kind="premium")[0]  # fmt: skip
    near = expected_klines("BTCUSD_230331", "1d", ms("2023-03-30"), ms("2023-03-30"), NOW,
                           market="coinm", kind="premium")[0]  # fmt: skip
    assert float(far[4]) > 0.02 > abs(float(near[4]))


def test_settled_contract_has_candles_up_to_delivery_only():
    delivery = ms("2023-03-31T08:00")
    rows = expected_klines(SETTLED_COINM_SYMBOL, "1h", delivery - 5 * HOUR, delivery + DAY, NOW,
                           market="coinm")  # fmt: skip
    assert [r[0] for r in rows] == [delivery - h * HOUR for h in range(5, 0, -1)]
    first = expected_klines(SETTLED_COINM_SYMBOL, "1m", 0, ms("2022-09-30T08:00"), NOW,
                            market="coinm")  # fmt: skip
    assert [r[0] for r in first] == [ms("2022-09-30T08:00")]  # from its onboarding


@pytest.mark.parametrize(("market", "symbol", "kind"), [
    ("usdm", "BTCUSDT", "trade"), ("usdm", "BTCUSDT", "mark"), ("usdm", "BTCUSDT", "index"),
    ("usdm", "ETHUSDT", "premium"), ("coinm", "BTCUSD_PERP", "trade"), ("coinm", "BTCUSD", "index"),
])  # fmt: skip
def test_futures_intervals_aggregate_their_minutes_too(market, symbol, kind):
    start = JAN_2024
    minutes = expected_klines(symbol, "1m", start, start + 3 * DAY - 1, NOW, market=market,
                              kind=kind)  # fmt: skip
    for interval in ("15m", "4h", "1d"):
        served = expected_klines(symbol, interval, start, start + 2 * DAY, NOW, market=market,
                                 kind=kind)  # fmt: skip
        expected = resample(minutes, lambda t, i=interval: floor_open(i, t, parse_time_zone("0")))
        assert mismatches(served, expected) == []


def test_series_are_deterministic_and_seeded():
    a = _rows("BTCUSDT", "mark")
    assert a == _rows("BTCUSDT", "mark")
    other = expected_klines("BTCUSDT", "1m", JAN_2024, JAN_2024, NOW, SandboxConfig(seed=1),
                            market="usdm", kind="mark")  # fmt: skip
    assert other[0] != a[0]
    assert np.all(np.diff([r[0] for r in a]) == MIN)
