"""The backtest shared by the SMA and mean-reversion strategies (docs/analytics.md, 4 and 5)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from cl3_worker.analytics.returns import defined


def backtest(
    position: np.ndarray, r: np.ndarray, first_signal: int | None, periods_per_year: float
) -> dict[str, Any]:
    """Backtest of `position` (one value per candle) against returns `r` (NaN = undefined).

    `first_signal` is the first row where the strategy's signal exists; the backtest covers
    the rows after it. The strategy earns s_t = position_{t-1} * r_t with undefined r as 0.
    """
    n = int(position.shape[0])
    if first_signal is None or first_signal >= n - 1:
        held = np.zeros(0, dtype=np.float64)
        rr = np.zeros(0, dtype=np.float64)
        pos = np.asarray(position[first_signal:] if first_signal is not None else position[-1:])
    else:
        pos = np.asarray(position[first_signal:])  # positions at rows first_signal .. n-1
        held = pos[:-1].astype(np.float64)  # position held during rows first_signal+1 .. n-1
        rr = defined(r[first_signal + 1 :])
    s = held * rr

    total = float(s.sum())
    buy_hold = float(rr.sum())
    sharpe: float | None = None
    if s.size >= 2:
        sd = float(s.std(ddof=1))
        if sd > 0:
            sharpe = float(s.mean()) / sd * math.sqrt(periods_per_year)

    n_trades, win_rate = _closed_trades(pos, s)
    return {
        "total_log_return": total,
        "buy_hold_log_return": buy_hold,
        "sharpe": sharpe,
        "max_drawdown": max_drawdown(s),
        "n_trades": n_trades,
        "win_rate": win_rate,
        "open_position": int(pos[-1]) if pos.size else 0,
    }


def max_drawdown(s: np.ndarray) -> float:
    """max_t (1 - exp(C_t - max(0, max_{u<=t} C_u))), C the running sum of s; 0 when empty."""
    if s.size == 0:
        return 0.0
    c = np.cumsum(s)
    peak = np.maximum(np.maximum.accumulate(c), 0.0)
    return float(np.max(-np.expm1(c - peak)))


def _closed_trades(pos: np.ndarray, s: np.ndarray) -> tuple[int, float | None]:
    """Closed trades of the position path `pos` (rows first_signal .. n-1) and their win rate.

    A trade is a maximal run of one non-zero position value. It opens where the position
    leaves 0 (or already at the first row) and is closed once the position changes again
    inside the backtest; a run reaching the last row is the open position, not a trade.
    Row k of the run earns s[k] (held from row k to row k+1).
    """
    if pos.size == 0:
        return 0, None
    p = pos.astype(np.int64)
    nonzero = p != 0
    change = np.ones(p.size, dtype=bool)
    change[1:] = p[1:] != p[:-1]
    starts = np.flatnonzero(nonzero & change)
    last_of_run = np.ones(p.size, dtype=bool)
    last_of_run[:-1] = p[:-1] != p[1:]
    ends = np.flatnonzero(nonzero & last_of_run)
    closed = ends < p.size - 1
    starts, ends = starts[closed], ends[closed]
    if starts.size == 0:
        return 0, None
    # Sum s[start .. end] per trade; reduceat on a zero-padded copy so end + 1 is in range.
    padded = np.concatenate((s, [0.0]))
    bounds = np.empty(2 * starts.size, dtype=np.int64)
    bounds[0::2] = starts
    bounds[1::2] = ends + 1
    trade_sums = np.add.reduceat(padded, bounds)[0::2]
    wins = int(np.count_nonzero(trade_sums > 0))
    return int(starts.size), wins / int(starts.size)
