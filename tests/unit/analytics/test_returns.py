"""Log returns only between consecutive candles (docs/analytics.md, 1)."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pytest

from cl3_worker.analytics.intervals import follows_previous, interval_ms, periods_per_year
from cl3_worker.analytics.returns import log_returns

H = 3_600_000


def ms(*args: int) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp() * 1000)


def test_consecutive_candles_give_log_ratios() -> None:
    ot = np.array([0, H, 2 * H, 3 * H])
    r = log_returns(ot, np.array([100.0, 110.0, 99.0, 99.0]), "1h")
    assert math.isnan(r[0])
    assert r[1] == pytest.approx(math.log(1.1), abs=1e-15)
    assert r[2] == pytest.approx(math.log(0.9), abs=1e-15)
    assert r[3] == 0.0  # unchanged price: exactly zero, not a rounding residue


def test_missing_candle_breaks_the_chain() -> None:
    ot = np.array([0, H, 3 * H, 4 * H])  # the 2h candle is missing
    r = log_returns(ot, np.array([100.0, 101.0, 102.0, 103.0]), "1h")
    assert math.isnan(r[0])
    assert r[1] == pytest.approx(math.log(1.01), abs=1e-15)
    assert math.isnan(r[2])  # never spans the hole
    assert r[3] == pytest.approx(math.log(103 / 102), abs=1e-15)


def test_interval_must_match_exactly() -> None:
    # 1h apart is not consecutive for 30m candles, nor for 2h candles.
    ot = np.array([0, H, 2 * H])
    assert np.isnan(log_returns(ot, np.array([1.0, 2.0, 3.0]), "30m")).all()
    assert np.isnan(log_returns(ot, np.array([1.0, 2.0, 3.0]), "2h")).all()


def test_monthly_candles_follow_calendar_months() -> None:
    ot = np.array([ms(2024, 1, 1), ms(2024, 2, 1), ms(2024, 3, 1), ms(2024, 5, 1), ms(2024, 6, 1)])
    mask = follows_previous(ot, "1M")
    # Jan->Feb (31 days) and Feb->Mar (29 days, leap year) both count; April is missing.
    assert mask.tolist() == [False, True, True, False, True]


def test_monthly_offset_within_month_must_match() -> None:
    ot = np.array([ms(2024, 1, 1), ms(2024, 2, 1, 1)])
    assert follows_previous(ot, "1M").tolist() == [False, False]


def test_weekly_candles_are_seven_days_apart() -> None:
    monday = ms(2024, 1, 1)
    ot = np.array([monday, monday + 7 * 86_400_000, monday + 21 * 86_400_000])
    assert follows_previous(ot, "1w").tolist() == [False, True, False]


def test_single_and_empty_series() -> None:
    assert np.isnan(log_returns(np.array([0]), np.array([5.0]), "1m")).all()
    assert log_returns(np.array([], dtype=np.int64), np.array([]), "1m").size == 0


def test_interval_lengths() -> None:
    assert interval_ms("1s") == 1_000
    assert interval_ms("15m") == 900_000
    assert interval_ms("1w") == 604_800_000
    assert interval_ms("1M") == 30 * 86_400_000  # annualisation only
    assert periods_per_year("1d") == 365.0
    assert periods_per_year("1h") == 365.0 * 24
    with pytest.raises(ValueError):
        interval_ms("7m")
