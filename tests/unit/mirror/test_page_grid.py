"""The mirror's page grid: shared pages per market and kind, COIN-M windows within 200 days."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cl3_common.exchange.markets import COINM_MARKET, SPOT_MARKET, USDM_MARKET
from cl3_common.intervals import DAY_MS, INTERVALS, align_down, count_candles
from cl3_common.mirror.grid import PageGrid

MARCH_2024 = 1_709_251_200_000
FUTURES_INTERVALS = [i for i in INTERVALS if i != "1s"]


def test_spot_and_usdm_pages_are_full_pages_from_the_epoch():
    spot, usdm = PageGrid.of(SPOT_MARKET, "trade"), PageGrid.of(USDM_MARKET, "mark")
    assert (spot.candles("1m"), usdm.candles("1m")) == (1000, 499)
    assert not spot.windowed and not usdm.windowed
    start = usdm.start("1m", MARCH_2024 + 17 * 60_000)
    assert start % (499 * 60_000) == 0 and start <= MARCH_2024 + 17 * 60_000
    assert usdm.end("1m", start) == start + 499 * 60_000
    assert usdm.start("1M", MARCH_2024) == spot.start("1M", MARCH_2024) == 0
    assert spot.holds_present("1M", MARCH_2024, now=MARCH_2024)  # all of history, one page
    monday = usdm.start("1w", MARCH_2024)
    assert datetime.fromtimestamp(monday / 1000, UTC).weekday() == 0


@pytest.mark.parametrize("interval", FUTURES_INTERVALS)
def test_coinm_windows_hold_at_most_200_days_and_tile_the_time_line(interval):
    grid = PageGrid.of(COINM_MARKET, "index")
    assert grid.windowed
    at = MARCH_2024 + 12_345_678
    start = grid.start(interval, at)
    end = grid.end(interval, start)
    assert start <= align_down(at, interval) < end
    assert end - 1 - start <= 200 * DAY_MS  # asked with both bounds: within the window
    assert count_candles(start, end, interval) == grid.candles(interval) <= 499
    assert grid.start(interval, end) == end  # the next page starts where this one ends
    assert grid.start(interval, end - 1) == start


def test_coinm_months_are_half_years_and_premium_is_not_windowed():
    grid = PageGrid.of(COINM_MARKET, "trade")
    start = grid.start("1M", MARCH_2024)
    assert datetime.fromtimestamp(start / 1000, UTC) == datetime(2024, 1, 1, tzinfo=UTC)
    end = grid.end("1M", start)
    assert datetime.fromtimestamp(end / 1000, UTC) == datetime(2024, 7, 1, tzinfo=UTC)
    assert grid.candles("1d") == 200 and grid.candles("1m") == 499
    premium = PageGrid.of(COINM_MARKET, "premium")
    assert not premium.windowed and premium.candles("1d") == 499
