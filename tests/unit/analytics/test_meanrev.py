"""Mean reversion: z-scores, the position state machine, backtest, half-life, Hurst, ADF."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy.signal import lfilter
from statsmodels.tsa.stattools import adfuller

from cl3_worker.analytics.adf import adf_test
from cl3_worker.analytics.meanrev import (
    half_life,
    hurst,
    mean_reversion,
    positions,
    positions_loop,
    regime,
    zscores,
)
from cl3_worker.analytics.returns import log_returns

H = 3_600_000


def test_zscores_by_hand() -> None:
    z = zscores(np.array([1.0, 2.0, 3.0, 3.0, 3.0, 6.0]), 3)
    assert np.isnan(z[:2]).all()
    assert z[2] == pytest.approx(1.0, rel=1e-12)  # (3 - 2) / 1
    assert z[3] == pytest.approx(1 / 3 / math.sqrt(1 / 3), rel=1e-12)  # window 2, 3, 3
    assert math.isnan(z[4])  # window 3, 3, 3: std 0 -> undefined, not inf
    assert z[5] == pytest.approx(2 / math.sqrt(3), rel=1e-12)  # window 3, 3, 6


def test_state_machine_by_hand() -> None:
    nan = math.nan
    z = np.array([nan, -2.5, -1.0, nan, -0.5, -0.4, 2.1, 2.5, 0.6, 0.5, -3, 3, 3, -2.0])
    expected = [0, 1, 1, 1, 0, 0, -1, -1, -1, 0, 1, 0, -1, 0]
    # -2.5 enters long; -1.0 holds (< -0.5); NaN holds; -0.5 exits (>= -exit); 2.1 enters
    # short; 0.5 exits (<= exit); -3 enters long; 3 only exits (one step per row), the next 3
    # enters short; -2.0 exits the short but does not enter (not < -2).
    assert positions(z, 2.0, 0.5).tolist() == expected
    assert positions_loop(z, 2.0, 0.5).tolist() == expected


def test_vectorised_state_machine_matches_loop() -> None:
    rng = np.random.default_rng(11)
    for trial in range(2000):
        n = int(rng.integers(1, 50))
        entry = float(rng.choice([0.5, 1.0, 2.0]))
        exit_ = float(rng.choice([0.1, 0.5, entry]))
        exit_ = min(exit_, entry)
        grid = np.array(
            [-3, -2, -1, -0.5, -0.1, 0, 0.1, 0.5, 1, 2, 3, -entry, entry, -exit_, exit_]
        )
        z = rng.choice(grid, n) if trial % 2 else rng.normal(0, 2, n)
        z[rng.random(n) < 0.15] = np.nan
        assert positions(z, entry, exit_).tolist() == positions_loop(z, entry, exit_).tolist()


def test_mean_reversion_by_hand() -> None:
    close = np.array([10, 11, 10, 7, 8, 9, 12, 11], dtype=np.float64)
    ot = np.arange(8) * H
    r = log_returns(ot, close, "1h")
    out = mean_reversion(close, r, window=3, entry_z=1.0, exit_z=0.5, periods_per_year=8760.0)
    # z from row 2: -1/sqrt3, -7/sqrt39, -1/sqrt21, 1, 7/sqrt39, 1/sqrt21.
    # Row 3 enters long (z < -1), row 4 exits; row 6 enters short (z > 1), row 7 exits.
    assert out["current_z"] == pytest.approx(1 / math.sqrt(21), rel=1e-12)
    bt = out["backtest"]
    assert bt["total_log_return"] == pytest.approx(math.log(8 / 7) + math.log(12 / 11), abs=1e-15)
    assert bt["buy_hold_log_return"] == pytest.approx(math.log(11 / 10), abs=1e-15)
    assert bt["n_trades"] == 2
    assert bt["win_rate"] == 1.0
    assert bt["open_position"] == 0
    assert bt["max_drawdown"] == 0.0
    s = [0.0, math.log(8 / 7), 0.0, 0.0, math.log(12 / 11)]
    mean = sum(s) / 5
    std = math.sqrt(sum((v - mean) ** 2 for v in s) / 4)
    assert bt["sharpe"] == pytest.approx(mean / std * math.sqrt(8760), rel=1e-12)
    assert (out["window"], out["entry_z"], out["exit_z"]) == (3, 1.0, 0.5)
    assert out["hurst"] is None and out["regime"] is None  # fewer than 40 candles
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = adfuller(np.log(close), autolag="AIC")
    assert out["adf_stat"] == pytest.approx(ref[0], rel=1e-8)
    assert out["adf_p_value"] == pytest.approx(ref[1], rel=1e-8)


def test_half_life_by_hand() -> None:
    # y = 0, 1, 0.5, 0.75: x = 0, 1, 0.5 and dy = 1, -0.5, 0.25 -> beta = -0.75 / 0.5 = -1.5.
    close = np.exp(np.array([0.0, 1.0, 0.5, 0.75]))
    r = log_returns(np.arange(4) * H, close, "1h")
    assert half_life(r, close) == pytest.approx(math.log(2) / 1.5, rel=1e-12)


def test_half_life_skips_pairs_across_gaps() -> None:
    # Same pairs as above plus one across a gap that would change the fit if used.
    close = np.exp(np.array([0.0, 1.0, 0.5, 0.75, 5.0]))
    ot = np.array([0, H, 2 * H, 3 * H, 9 * H])
    r = log_returns(ot, close, "1h")
    assert half_life(r, close) == pytest.approx(math.log(2) / 1.5, rel=1e-12)


def test_half_life_null_when_not_reverting_or_undefined() -> None:
    close = np.exp(np.array([0.0, 1.0, 2.0, 3.5]))  # beta = +0.25
    assert half_life(log_returns(np.arange(4) * H, close, "1h"), close) is None
    flat = np.full(5, 7.0)
    assert half_life(log_returns(np.arange(5) * H, flat, "1h"), flat) is None


def naive_hurst(y: np.ndarray) -> float:
    taus = list(range(2, min(100, len(y) // 4) + 1))
    sig = [np.std(y[t:] - y[:-t]) for t in taus]
    return float(np.polyfit(np.log(taus), np.log(sig), 1)[0])


def test_hurst_matches_definition_and_limits() -> None:
    rng = np.random.default_rng(3)
    y = np.cumsum(rng.normal(0, 0.01, 300))
    assert hurst(y) == pytest.approx(naive_hurst(y), rel=1e-10)
    assert hurst(y[:39]) is None
    assert hurst(y[:40]) == pytest.approx(naive_hurst(y[:40]), rel=1e-10)  # tau = 2..10
    assert hurst(np.full(100, 3.0)) is None  # sigma 0: ln undefined
    # Pure trend in exactly representable steps: every difference equal, sigma exactly 0.
    assert hurst(np.arange(100) * 0.25) is None


def test_hurst_regimes_on_synthetic_series() -> None:
    rng = np.random.default_rng(5)
    e = rng.normal(0, 0.001, 20_000)
    walk = hurst(np.cumsum(e))
    reverting = hurst(lfilter([1.0], [1.0, -0.9], e))
    trending = hurst(np.cumsum(lfilter([1.0], [1.0, -0.7], e)))  # persistent increments
    assert walk is not None and 0.45 <= walk <= 0.55
    assert reverting is not None and reverting < 0.45
    assert trending is not None and trending > 0.55


def test_regime_thresholds() -> None:
    assert regime(None) is None
    assert regime(0.449) == "mean_reverting"
    assert regime(0.45) == "random_walk"
    assert regime(0.55) == "random_walk"
    assert regime(0.551) == "trending"


@pytest.mark.parametrize("n", [12, 57, 400, 1500])
@pytest.mark.parametrize("kind", ["walk", "reverting", "drift", "arma"])
def test_adf_equals_statsmodels(n: int, kind: str) -> None:
    rng = np.random.default_rng(n)
    e = rng.normal(0, 0.001, n)
    y = {
        "walk": np.cumsum(e),
        "reverting": lfilter([1.0], [1.0, -0.95], e),
        "drift": np.cumsum(e + 0.0004),
        "arma": np.cumsum(lfilter([1.0, 0.6, -0.3, 0.2], [1.0], e)),
    }[kind] + math.log(30_000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = adfuller(y, autolag="AIC")
    got = adf_test(y)
    assert got is not None
    assert got[0] == pytest.approx(ref[0], rel=1e-8, abs=1e-10)
    assert got[1] == pytest.approx(ref[1], rel=1e-7, abs=1e-12)


def test_adf_null_when_it_cannot_run() -> None:
    assert adf_test(np.full(100, 4.2)) is None  # constant: statsmodels refuses
    assert adf_test(np.array([1.0, 2.0, 1.5])) is None  # too short


@pytest.mark.parametrize(
    "y",
    [
        np.r_[0.0, np.ones(49)],  # one step, then flat: the lag search sample is all zeros
        np.tile([0.0, 0.0, 1.0, 1.0], 15),  # exact fit: statsmodels' answer is kept as is
        np.round(np.cumsum(np.random.default_rng(0).normal(0, 1, 300))) * 1e-4 + 10,  # ticks
        np.r_[np.zeros(25), np.ones(25)],
    ],
)
def test_adf_degenerate_series_behave_like_statsmodels(y: np.ndarray) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = adfuller(y, autolag="AIC")
    got = adf_test(y)
    assert got is not None
    assert got[0] == pytest.approx(ref[0], rel=1e-8)
    assert got[1] == pytest.approx(ref[1], rel=1e-7, abs=1e-12)
