"""Funding events: schedule (8 h, then 4 h after the switch), delays, rates, selection, CSV."""

from __future__ import annotations

import numpy as np

from cl3_sandbox.exchange import FUNDING_SWITCH_MS, FUNDING_SWITCH_SYMBOL, SandboxConfig
from cl3_sandbox.exchange.catalog import Catalog
from cl3_sandbox.exchange.funding import archive_csv, delayed, events, nominal_times, select

HOUR = 3_600_000
NOW = 1_742_042_096_789  # 2025-03-15 12:34:56.789 UTC
CATALOG = Catalog(SandboxConfig())


def contract(symbol: str, market: str = "usdm"):
    found = CATALOG.contracts[(market, symbol)]
    return found, CATALOG.underlying(found)


def test_eight_hour_schedule_from_onboarding():
    btc, _ = contract("BTCUSDT")
    times, hours = nominal_times(btc, NOW)
    assert times[0] > btc.onboard_ms and times[0] - btc.onboard_ms <= 8 * HOUR
    assert set(np.diff(times)) == {8 * HOUR} and set(hours) == {8}
    assert set(times % (8 * HOUR)) == {0}  # 00:00, 08:00, 16:00 UTC
    assert times[-1] <= NOW < times[-1] + 8 * HOUR


def test_the_switch_symbol_moves_from_8_to_4_hours():
    eth, _ = contract(FUNDING_SWITCH_SYMBOL)
    times, hours = nominal_times(eth, NOW)
    at = int(np.searchsorted(times, FUNDING_SWITCH_MS))
    assert times[at] == FUNDING_SWITCH_MS and hours[at] == 8  # it closes an 8 h period
    assert times[at + 1] - times[at] == 4 * HOUR and hours[at + 1] == 4
    assert set(np.diff(times[: at + 1])) == {8 * HOUR}
    assert set(np.diff(times[at:])) == {4 * HOUR} and set(hours[at + 1 :]) == {4}
    # interval_hours derived from the previous event equals the archive's column everywhere
    assert np.array_equal(np.diff(times) // HOUR, hours[1:])


def test_funding_times_are_a_few_ms_late_deterministically():
    btc, spot = contract("BTCUSDT")
    nominal, _ = nominal_times(btc, NOW)
    late = delayed(btc, spot, nominal, 0)
    delay = late - nominal
    assert delay.min() >= 0 and delay.max() <= 19 and len(set(delay)) > 10
    assert np.array_equal(late, delayed(btc, spot, nominal, 0))


def test_rates_follow_binances_formula():
    btc, spot = contract("BTCUSDT")
    nominal, hours = nominal_times(btc, NOW)
    ev = events(btc, spot, nominal[-2000:], hours[-2000:], 0)
    assert np.isclose(ev.rates, 0.0001).mean() > 0.5  # interest rate when the premium is calm
    assert (np.abs(ev.rates) <= 0.02).all() and len(set(ev.rates)) > 20
    assert np.array_equal(ev.rates, np.round(ev.rates, 8))
    eth, eth_spot = contract(FUNDING_SWITCH_SYMBOL)
    nominal, hours = nominal_times(eth, NOW)
    ev = events(eth, eth_spot, nominal[-50:], hours[-50:], 0)
    assert np.isclose(ev.rates, 0.00005).mean() > 0.5  # 4 h: half the 8 h interest
    assert (ev.marks > 0).all()


def test_selection_is_inclusive_ascending_and_limited():
    times = np.array([10, 20, 30, 40, 50])
    assert select(times, None, None, 2).tolist() == [3, 4]  # latest
    assert select(times, 20, None, 2).tolist() == [1, 2]  # from startTime
    assert select(times, 20, 40, 10).tolist() == [1, 2, 3]  # both ends inclusive
    assert select(times, None, 30, 2).tolist() == [1, 2]  # latest up to endTime
    assert select(times, 60, None, 2).tolist() == []


def test_archive_csv_has_binances_header_and_columns():
    eth, spot = contract(FUNDING_SWITCH_SYMBOL)
    nominal, hours = nominal_times(eth, FUNDING_SWITCH_MS + 8 * HOUR)
    ev = events(eth, spot, nominal[-4:], hours[-4:], 0)
    lines = archive_csv(ev).decode().splitlines()
    assert lines[0] == "calc_time,funding_interval_hours,last_funding_rate"
    assert [line.split(",")[1] for line in lines[1:]] == ["8", "8", "4", "4"]
    assert [int(line.split(",")[0]) for line in lines[1:]] == ev.times.tolist()


def test_delivery_contracts_have_no_funding():
    quarterly = CATALOG.contract("coinm", "BTCUSD_230331", True, NOW)
    assert quarterly is not None and nominal_times(quarterly, NOW)[0].size == 0
