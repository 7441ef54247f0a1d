"""Log returns between consecutive candles only (docs/analytics.md, 1)."""

from __future__ import annotations

import numpy as np

from cl3_worker.analytics.intervals import follows_previous


def log_returns(open_time: np.ndarray, close: np.ndarray, interval: str) -> np.ndarray:
    """r_t = ln(close_t / close_{t-1}) where candle t directly follows t-1, else NaN.

    Row 0 has no predecessor, so it is always NaN. Across a gap (a missing candle) the return
    is undefined rather than spanning the hole, which would mix horizons in the statistics.
    """
    c = np.asarray(close, dtype=np.float64)
    r = np.full(c.shape[0], np.nan)
    if c.shape[0] < 2:
        return r
    ok = follows_previous(open_time, interval)
    # ln of the ratio (not a difference of logs) is the documented formula; it is also exactly 0
    # for unchanged prices, which keeps "std 0" cases exact.
    ratio = np.log(c[1:] / c[:-1])
    r[1:] = np.where(ok[1:], ratio, np.nan)
    return r


def defined(r: np.ndarray) -> np.ndarray:
    """Returns with undefined values counted as 0 (docs/analytics.md: sums and strategies)."""
    return np.nan_to_num(r, nan=0.0)
