"""Mean reversion: z-score positions, backtest, half-life, Hurst, ADF, regime.

Definitions: docs/analytics.md, section 5.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from cl3_worker.analytics.adf import adf_test
from cl3_worker.analytics.backtest import backtest

HURST_MIN_CANDLES = 40
HURST_MAX_TAU = 100


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """Inner product of long vectors without BLAS: einsum runs single-threaded, and threaded
    BLAS on a memory-bound dot product is slower and erratic when CPUs are shared."""
    return float(np.einsum("i,i->", a, b))


def zscores(close: np.ndarray, window: int) -> np.ndarray:
    """(close - SMA_window) / rolling std (ddof=1); NaN before `window` rows and where std is 0."""
    series = pd.Series(close, copy=False)
    roll = series.rolling(window, min_periods=window)
    mean = roll.mean().to_numpy()
    std = roll.std(ddof=1).to_numpy()
    z = np.full(close.shape[0], np.nan)
    ok = std > 0  # NaN compares False, so undefined std stays undefined
    z[ok] = (close[ok] - mean[ok]) / std[ok]
    return z


def positions_loop(z: np.ndarray, entry_z: float, exit_z: float) -> np.ndarray:
    """The documented state machine, row by row. Kept as the reference for `positions`."""
    out = np.zeros(z.shape[0], dtype=np.int8)
    pos = 0
    for i, v in enumerate(z.tolist()):
        if v == v:  # not NaN: undefined z leaves the position unchanged
            if pos == 0:
                if v < -entry_z:
                    pos = 1
                elif v > entry_z:
                    pos = -1
            elif pos == 1:
                if v >= -exit_z:
                    pos = 0
            elif v <= exit_z:
                pos = 0
        out[i] = pos
    return out


def positions(z: np.ndarray, entry_z: float, exit_z: float) -> np.ndarray:
    """Vectorised equivalent of `positions_loop` (requires 0 < exit_z <= entry_z).

    On defined rows, z within [-exit_z, exit_z] forces 0 from any state. Other rows are on the
    long side (z < -exit_z) or the short side (z > exit_z); consecutive same-side rows form a
    run. Inside a long run the position is 0 until the first entry row (z < -entry_z) and +1
    from there to the run's end; a short run mirrors this. One subtlety: a run entered while
    holding the opposite position spends its first row exiting to 0, so an entry on that row
    does not count. Whether a run ends non-zero therefore depends on the previous run only
    when the run's sole entry is its first row and it directly follows an opposite run; such
    chains alternate, which a forward fill plus parity resolves without a Python loop.
    """
    if not 0 < exit_z <= entry_z:
        return positions_loop(z, entry_z, exit_z)  # the run analysis assumes this ordering
    out = np.zeros(z.shape[0], dtype=np.int8)
    is_defined = ~np.isnan(z)
    rows = np.flatnonzero(is_defined)
    if rows.size == 0:
        return out
    runs = _Runs.of(z[rows], entry_z, exit_z)
    if runs is None:
        return out
    return _carry_forward(out, rows, is_defined, runs.positions())


class _Runs:
    """Maximal same-side blocks of the defined rows, and where each one holds a position."""

    def __init__(self, side: np.ndarray, entry: np.ndarray, prev_side: np.ndarray,
                 starts: np.ndarray, ends: np.ndarray) -> None:  # fmt: skip
        self.side, self.entry, self.prev_side, self.starts, self.ends = (
            side,
            entry,
            prev_side,
            starts,
            ends,
        )
        # Entries per run, from a running count of entry rows (cheaper than a grouped count).
        self.entry_count = np.concatenate(([0], np.cumsum(entry, dtype=np.int32)))

    @classmethod
    def of(cls, zd: np.ndarray, entry_z: float, exit_z: float) -> _Runs | None:
        long_side = zd < -exit_z
        short_side = zd > exit_z
        side = long_side.view(np.int8) - short_side.view(np.int8)  # +1 long, -1 short, 0 neutral
        entry = (long_side & (zd < -entry_z)) | (short_side & (zd > entry_z))
        prev_side = np.zeros(zd.size, dtype=np.int8)
        prev_side[1:] = side[:-1]
        in_run = side != 0
        starts = np.flatnonzero(in_run & (side != prev_side))
        if starts.size == 0:
            return None
        return cls(side, entry, prev_side, starts, _run_ends(in_run, starts))

    def eligible(self, adjacent: np.ndarray) -> np.ndarray:
        """Which runs end non-zero: has_later or (first_entry and not (adjacent and
        eligible_{j-1})); chains of the undetermined case alternate (forward fill + parity)."""
        starts, ends = self.starts, self.ends
        entries_per_run = self.entry_count[ends + 1] - self.entry_count[starts]
        first_entry = self.entry[starts]
        has_later = entries_per_run - first_entry > 0
        undetermined = first_entry & ~has_later & adjacent
        determined_value = has_later | first_entry
        idx = np.arange(starts.size, dtype=np.int32)
        last_determined = np.maximum.accumulate(np.where(undetermined, -1, idx))
        # The first run is never undetermined (nothing precedes it), so last_determined >= 0.
        flip = (idx - last_determined) % 2 == 1
        return np.asarray(determined_value[last_determined] ^ flip)

    def positions(self) -> np.ndarray:
        """The position on every defined row."""
        starts, ends, entry_count = self.starts, self.ends, self.entry_count
        # Directly after an opposite-side run (no neutral row between).
        adjacent = self.prev_side[starts] == -self.side[starts]
        eligible = self.eligible(adjacent)
        enters_holding = np.zeros(starts.size, dtype=bool)
        enters_holding[1:] = adjacent[1:] & eligible[:-1]
        # First entry row at or after `search_from` inside the run: the running entry count
        # tells whether there is one; its position is the next entry row after search_from.
        search_from = starts + enters_holding
        has_entry = entry_count[ends + 1] - entry_count[np.minimum(search_from, ends + 1)] > 0
        active = eligible & has_entry & (search_from <= ends)
        entry_rows = np.flatnonzero(self.entry)
        begin = entry_rows[np.searchsorted(entry_rows, search_from[active])]
        sign = self.side[starts[active]]
        # Position = sign from `begin` to the run's end: a difference array, then a running sum.
        delta = np.zeros(self.side.size + 1, dtype=np.int8)
        delta[begin] = sign  # begins are distinct rows
        np.subtract.at(delta, ends[active] + 1, sign)  # an end + 1 can coincide with a begin
        return np.cumsum(delta[:-1], dtype=np.int8)


def _carry_forward(
    out: np.ndarray, rows: np.ndarray, is_defined: np.ndarray, pos_defined: np.ndarray
) -> np.ndarray:
    """Undefined rows keep the previous defined row's position (0 before the first one)."""
    n = out.size
    if rows[0] + rows.size == n:
        # Undefined rows only form a prefix (the warm-up window): nothing to carry forward.
        out[rows] = pos_defined
        return out
    last_defined = np.maximum.accumulate(np.where(is_defined, np.arange(n, dtype=np.int64), -1))
    has_prev = last_defined >= 0
    full = np.zeros(n, dtype=np.int8)
    full[rows] = pos_defined
    out[has_prev] = full[last_defined[has_prev]]
    return out


def _run_ends(in_run: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Last row of each run given the run starts (runs are maximal same-side blocks)."""
    m = in_run.size
    nxt = np.empty(starts.size, dtype=np.int64)
    nxt[:-1] = starts[1:]
    nxt[-1] = m
    # A run ends before the next run start or before the first neutral row, whichever is first.
    neutral_next = np.where(~in_run, np.arange(m), m)
    neutral_next = np.minimum.accumulate(neutral_next[::-1])[::-1]
    return np.minimum(nxt, neutral_next[starts]) - 1


def half_life(r: np.ndarray, close: np.ndarray) -> float | None:
    """-ln 2 / beta of the OLS Δy_t = a + beta * y_{t-1} over consecutive candles, y = ln close."""
    ok = ~np.isnan(r)
    if np.count_nonzero(ok) < 2:
        return None
    dy = r[ok]
    x = np.log(close)[:-1][ok[1:]]
    xc = x - x.mean()
    sxx = float(_dot(xc, xc))
    if sxx <= 0:
        return None
    beta = float(_dot(xc, dy - dy.mean())) / sxx
    if not beta < 0:
        return None
    return -math.log(2.0) / beta


def hurst(y: np.ndarray) -> float | None:
    """Slope of ln sigma_tau on ln tau, sigma_tau = std(ddof=0) of y[tau:] - y[:-tau]."""
    n = y.shape[0]
    if n < HURST_MIN_CANDLES:
        return None
    taus = np.arange(2, min(HURST_MAX_TAU, n // 4) + 1)
    sigmas = np.empty(taus.size)
    buf = np.empty(n)
    for i, tau in enumerate(taus.tolist()):
        d = buf[: n - tau]
        np.subtract(y[tau:], y[:-tau], out=d)
        d -= d.mean()
        sigmas[i] = math.sqrt(float(_dot(d, d)) / d.size)
    if not np.all(sigmas > 0):
        return None
    lx, ly = np.log(taus), np.log(sigmas)
    lxc = lx - lx.mean()
    return float(np.dot(lxc, ly - ly.mean()) / np.dot(lxc, lxc))


def regime(h: float | None) -> str | None:
    if h is None:
        return None
    if h < 0.45:
        return "mean_reverting"
    if h > 0.55:
        return "trending"
    return "random_walk"


def mean_reversion(
    close: np.ndarray,
    r: np.ndarray,
    *,
    window: int,
    entry_z: float,
    exit_z: float,
    periods_per_year: float,
) -> dict[str, Any]:
    z = zscores(close, window)
    pos = positions(z, entry_z, exit_z)
    z_rows = np.flatnonzero(~np.isnan(z))
    first_signal = int(z_rows[0]) if z_rows.size else None
    y = np.log(close)
    h = hurst(y)
    adf = adf_test(y)
    last_z = z[-1] if z.size else np.nan
    return {
        "window": window,
        "entry_z": float(entry_z),
        "exit_z": float(exit_z),
        "half_life_candles": half_life(r, close),
        "hurst": h,
        "adf_stat": adf[0] if adf else None,
        "adf_p_value": adf[1] if adf else None,
        "regime": regime(h),
        "current_z": None if np.isnan(last_z) else float(last_z),
        "backtest": backtest(pos, r, first_signal, periods_per_year),
    }
