"""The shared backtest: returns, Sharpe, drawdown, trades (docs/analytics.md, 4)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cl3_worker.analytics.backtest import backtest, max_drawdown

PPY = 365.0  # daily candles


def sample_std(values: list[float]) -> float:
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


def test_backtest_by_hand() -> None:
    position = np.array([1, 1, 0, -1, -1, 0, 1], dtype=np.int8)
    r = np.array([np.nan, 0.01, 0.02, -0.01, -0.03, 0.02, 0.05])
    out = backtest(position, r, 0, PPY)
    # s_t = position_{t-1} * r_t for t = 1..6.
    s = [0.01, 0.02, 0.0, 0.03, -0.02, 0.0]
    assert out["total_log_return"] == pytest.approx(0.04, abs=1e-15)
    assert out["buy_hold_log_return"] == pytest.approx(0.06, abs=1e-15)
    assert out["sharpe"] == pytest.approx(sum(s) / 6 / sample_std(s) * math.sqrt(365), rel=1e-12)
    # C = .01 .03 .03 .06 .04 .04: deepest fall 0.02 below the 0.06 peak.
    assert out["max_drawdown"] == pytest.approx(1 - math.exp(-0.02), rel=1e-12)
    # Trades: long rows 0-1 (+0.03), short rows 3-4 (+0.01); the long from row 6 is open.
    assert out["n_trades"] == 2
    assert out["win_rate"] == 1.0
    assert out["open_position"] == 1


def test_backtest_starts_after_first_signal_row() -> None:
    position = np.array([0, 0, 1, 1, 0], dtype=np.int8)
    r = np.array([np.nan, 0.5, 0.02, -0.01, 0.04])
    out = backtest(position, r, 2, PPY)
    # Rows 3, 4: s = [1 * -0.01, 1 * 0.04]; the row-1 return is before the backtest.
    assert out["total_log_return"] == pytest.approx(0.03, abs=1e-15)
    assert out["buy_hold_log_return"] == pytest.approx(0.03, abs=1e-15)
    # Position already 1 at the first row: that trade opens there and closes at row 4.
    assert out["n_trades"] == 1
    assert out["win_rate"] == 1.0
    assert out["open_position"] == 0
    assert out["max_drawdown"] == pytest.approx(1 - math.exp(-0.01), rel=1e-12)


def test_undefined_returns_count_as_zero() -> None:
    position = np.array([1, 1, 1, 1], dtype=np.int8)
    r = np.array([np.nan, 0.01, np.nan, 0.02])
    out = backtest(position, r, 0, PPY)
    assert out["total_log_return"] == pytest.approx(0.03, abs=1e-15)
    assert out["buy_hold_log_return"] == pytest.approx(0.03, abs=1e-15)
    assert out["n_trades"] == 0
    assert out["win_rate"] is None
    assert out["open_position"] == 1


def test_direct_flip_closes_one_trade_and_opens_another() -> None:
    position = np.array([1, -1, 0], dtype=np.int8)
    r = np.array([np.nan, 0.01, 0.02])
    out = backtest(position, r, 0, PPY)
    # Long earns +0.01 (row 1); short earns -0.02 (row 2).
    assert out["n_trades"] == 2
    assert out["win_rate"] == 0.5
    assert out["total_log_return"] == pytest.approx(-0.01, abs=1e-15)


def test_losing_and_flat_trades_are_not_wins() -> None:
    position = np.array([1, 0, 1, 0], dtype=np.int8)
    r = np.array([np.nan, -0.01, 0.3, 0.0])
    out = backtest(position, r, 0, PPY)
    assert out["n_trades"] == 2
    assert out["win_rate"] == 0.0  # -0.01 and exactly 0


def test_sharpe_null_when_flat_or_too_short() -> None:
    flat = backtest(np.zeros(5, dtype=np.int8), np.full(5, 0.01), 0, PPY)
    assert flat["sharpe"] is None  # s is all zeros: std 0
    assert flat["total_log_return"] == 0.0
    assert flat["buy_hold_log_return"] == pytest.approx(0.04)
    one_row = backtest(np.ones(2, dtype=np.int8), np.array([np.nan, 0.01]), 0, PPY)
    assert one_row["sharpe"] is None


def test_empty_backtest() -> None:
    out = backtest(np.zeros(4, dtype=np.int8), np.full(4, np.nan), None, PPY)
    assert out == {
        "total_log_return": 0.0,
        "buy_hold_log_return": 0.0,
        "sharpe": None,
        "max_drawdown": 0.0,
        "n_trades": 0,
        "win_rate": None,
        "open_position": 0,
    }


def test_max_drawdown_formula() -> None:
    # Peak includes 0: a loss from the start counts against 0.
    assert max_drawdown(np.array([-0.1])) == pytest.approx(1 - math.exp(-0.1))
    # Rise to 0.1 then fall to -0.2: drawdown from the 0.1 peak is 0.3 in log terms.
    assert max_drawdown(np.array([0.1, -0.3])) == pytest.approx(1 - math.exp(-0.3))
    assert max_drawdown(np.array([0.1, 0.2])) == 0.0
    assert max_drawdown(np.array([])) == 0.0
