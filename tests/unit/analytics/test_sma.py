"""SMA crossover events, forward returns and backtest, worked out by hand (docs/analytics.md, 4)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cl3_worker.analytics.returns import log_returns
from cl3_worker.analytics.sma import crossover_state, forward_returns, sma_crossover

H = 3_600_000
PPY_1H = 365.0 * 24
# fast(2): -, 10.5, 11.5, 11.5, 10.5, 9.5, 9.25, 10.75, 12.5, 13.5
# slow(3): -, -,   11,  11.33, 11,  10,  9.5,  10.17, 11.5, 13
# state:   -, -,   T,   T,     F,   F,   F,    T,     T,    T
CLOSES = np.array([10, 11, 12, 11, 10, 9, 9.5, 12, 13, 14], dtype=np.float64)


def run(open_time: np.ndarray, horizon: int = 2) -> dict:
    r = log_returns(open_time, CLOSES, "1h")
    return sma_crossover(
        open_time, CLOSES, r, fast=2, slow=3, horizon=horizon, periods_per_year=PPY_1H
    )


def test_state_exists_once_both_averages_do() -> None:
    exists, state = crossover_state(CLOSES, 2, 3)
    assert exists.tolist() == [False, False] + [True] * 8
    assert state.tolist() == [False, False, True, True, False, False, False, True, True, True]


def test_events_by_hand() -> None:
    ot = np.arange(10) * H
    out = run(ot)
    assert (out["fast"], out["slow"], out["horizon"]) == (2, 3, 2)
    # Row 2 is the first row with a state: not a cross although the state is true there.
    assert out["events_total"] == 2
    assert out["events"] == [
        {"open_time": 4 * H, "type": "death", "close": 10.0},
        {"open_time": 7 * H, "type": "golden", "close": 12.0},
    ]
    assert out["last_event"] == {"open_time": 7 * H, "type": "golden"}


def test_forward_returns_by_hand() -> None:
    out = run(np.arange(10) * H)
    # Death at row 4: r5 + r6 = ln(9.5 / 10); golden at row 7: r8 + r9 = ln(14 / 12).
    assert out["forward"]["death"] == {
        "count": 1,
        "mean": pytest.approx(math.log(0.95), abs=1e-15),
        "hit_rate": 0.0,
    }
    assert out["forward"]["golden"] == {
        "count": 1,
        "mean": pytest.approx(math.log(14 / 12), abs=1e-15),
        "hit_rate": 1.0,
    }
    # Horizon 3: the golden cross at row 7 lacks 3 rows after it; only the death counts.
    longer = run(np.arange(10) * H, horizon=3)["forward"]
    assert longer["golden"] == {"count": 0, "mean": None, "hit_rate": None}
    assert longer["death"]["count"] == 1
    assert longer["death"]["mean"] == pytest.approx(math.log(12 / 10), abs=1e-15)


def test_backtest_by_hand() -> None:
    bt = run(np.arange(10) * H)["backtest"]
    # position 0 0 1 1 0 0 0 1 1 1; backtest rows 3..9; s = ln(11/12), ln(10/11), 0, 0, 0,
    # ln(13/12), ln(14/13).
    s = [math.log(11 / 12), math.log(10 / 11), 0, 0, 0, math.log(13 / 12), math.log(14 / 13)]
    mean = sum(s) / 7
    std = math.sqrt(sum((v - mean) ** 2 for v in s) / 6)
    assert bt["total_log_return"] == pytest.approx(math.log(140 / 144), abs=1e-15)
    assert bt["buy_hold_log_return"] == pytest.approx(math.log(14 / 12), abs=1e-15)
    assert bt["sharpe"] == pytest.approx(mean / std * math.sqrt(PPY_1H), rel=1e-12)
    # Running sum stays below 0; its low is ln(10/12): drawdown 1 - 10/12.
    assert bt["max_drawdown"] == pytest.approx(1 / 6, rel=1e-12)
    # One closed trade (rows 2-3, held at the backtest's start, lost ln(10/12)); one open.
    assert bt["n_trades"] == 1
    assert bt["win_rate"] == 0.0
    assert bt["open_position"] == 1


def test_gap_makes_the_return_undefined_not_spanning() -> None:
    ot = np.arange(10) * H
    ot[8:] += H  # candle 8 opens 2h after candle 7: r8 undefined
    out = run(ot)
    # Crosses are on rows (SMAs over rows), unchanged by the gap.
    assert out["events_total"] == 2
    assert out["forward"]["golden"]["mean"] == pytest.approx(math.log(14 / 13), abs=1e-15)
    bt = out["backtest"]
    assert bt["total_log_return"] == pytest.approx(math.log(10 / 12 * 14 / 13), abs=1e-15)
    assert bt["buy_hold_log_return"] == pytest.approx(math.log(14 / 13), abs=1e-15)


def test_forward_returns_direct() -> None:
    r = np.array([np.nan, 0.01, 0.02, np.nan, -0.05, 0.03])
    out = forward_returns(r, np.array([0, 1, 3, 4]), np.array([True, False, True, False]), 2)
    # Row 0: 0.01 + 0.02; row 1: 0.02 + 0 (undefined); row 3: -0.05 + 0.03; row 4: incomplete.
    assert out["golden"]["count"] == 2
    assert out["golden"]["mean"] == pytest.approx((0.03 - 0.02) / 2)
    assert out["golden"]["hit_rate"] == 0.5
    assert out["death"] == {"count": 1, "mean": pytest.approx(0.02), "hit_rate": 1.0}


def test_constant_prices_have_no_crosses() -> None:
    close = np.full(60, 100.0)
    ot = np.arange(60) * H
    r = log_returns(ot, close, "1h")
    out = sma_crossover(ot, close, r, fast=20, slow=50, horizon=20, periods_per_year=PPY_1H)
    assert out["events_total"] == 0
    assert out["last_event"] is None
    assert out["events"] == []
    assert out["backtest"]["sharpe"] is None
    assert out["backtest"]["open_position"] == 0


def test_only_most_recent_500_events_are_listed() -> None:
    # Alternating prices make the 2-vs-3 SMAs cross nearly every row.
    n = 1500
    close = 100 + np.where(np.arange(n) % 2 == 0, 1.0, -1.0) * (1 + np.arange(n) % 3)
    ot = np.arange(n) * H
    r = log_returns(ot, close, "1h")
    out = sma_crossover(ot, close, r, fast=2, slow=3, horizon=2, periods_per_year=PPY_1H)
    assert out["events_total"] > 500
    assert len(out["events"]) == 500
    assert out["events"][-1]["open_time"] == out["last_event"]["open_time"]
    times = [e["open_time"] for e in out["events"]]
    assert times == sorted(times)
