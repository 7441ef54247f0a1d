"""SMA crossover: cross events, forward returns after them, and the strategy backtest.

Definitions: docs/analytics.md, section 4.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cl3_worker.analytics.backtest import backtest
from cl3_worker.analytics.returns import defined

MAX_EVENTS = 500
GOLDEN = "golden"
DEATH = "death"


def rolling_mean(close: np.ndarray, rows: int) -> np.ndarray:
    """Mean of the last `rows` closes (NaN until `rows` exist). pandas keeps constant windows
    exact, which matters: a spurious fast > slow from rounding would invent crosses."""
    return pd.Series(close, copy=False).rolling(rows, min_periods=rows).mean().to_numpy()


def crossover_state(close: np.ndarray, fast: int, slow: int) -> tuple[np.ndarray, np.ndarray]:
    """(exists, state): where both SMAs exist, state = fast SMA > slow SMA."""
    f = rolling_mean(close, fast)
    s = rolling_mean(close, slow)
    exists = ~(np.isnan(f) | np.isnan(s))
    state = exists & (f > s)
    return exists, state


def sma_crossover(
    open_time: np.ndarray,
    close: np.ndarray,
    r: np.ndarray,
    *,
    fast: int,
    slow: int,
    horizon: int,
    periods_per_year: float,
) -> dict[str, Any]:
    n = close.shape[0]
    exists, state = crossover_state(close, fast, slow)
    signal_rows = np.flatnonzero(exists)
    first_signal = int(signal_rows[0]) if signal_rows.size else None

    # A cross needs the state on both rows: the first row with a state is not a cross.
    both = np.zeros(n, dtype=bool)
    both[1:] = exists[1:] & exists[:-1]
    turned = np.zeros(n, dtype=bool)
    turned[1:] = state[1:] != state[:-1]
    cross_rows = np.flatnonzero(both & turned)
    is_golden = state[cross_rows]

    position = state.astype(np.int8)
    recent = cross_rows[-MAX_EVENTS:]
    events = [
        {
            "open_time": int(open_time[i]),
            "type": GOLDEN if state[i] else DEATH,
            "close": float(close[i]),
        }
        for i in recent
    ]
    last_event = (
        {"open_time": events[-1]["open_time"], "type": events[-1]["type"]} if events else None
    )
    return {
        "fast": fast,
        "slow": slow,
        "horizon": horizon,
        "events_total": int(cross_rows.size),
        "last_event": last_event,
        "events": events,
        "forward": forward_returns(r, cross_rows, is_golden, horizon),
        "backtest": backtest(position, r, first_signal, periods_per_year),
    }


def forward_returns(
    r: np.ndarray, cross_rows: np.ndarray, is_golden: np.ndarray, horizon: int
) -> dict[str, dict[str, Any]]:
    """Per cross type: count, mean and hit rate of sum(r[c+1 .. c+horizon]), undefined r as 0.

    Only crosses with `horizon` rows after them count.
    """
    n = r.shape[0]
    complete = cross_rows + horizon <= n - 1
    rows, golden = cross_rows[complete], is_golden[complete]
    # Window sums via a running sum: O(n) whatever the horizon or number of crosses.
    running = np.concatenate(([0.0], np.cumsum(defined(r))))
    sums = running[rows + horizon + 1] - running[rows + 1]
    return {GOLDEN: _summary(sums[golden]), DEATH: _summary(sums[~golden])}


def _summary(values: np.ndarray) -> dict[str, Any]:
    if values.size == 0:
        return {"count": 0, "mean": None, "hit_rate": None}
    return {
        "count": int(values.size),
        "mean": float(values.mean()),
        "hit_rate": float(np.count_nonzero(values > 0) / values.size),
    }
