"""Augmented Dickey-Fuller test, numerically identical to statsmodels
`adfuller(y, autolag="AIC")` (regression "c", default maxlag), but fast on long series.

Why not call adfuller directly: with autolag it fits maxlag + 1 OLS models by SVD on an
nobs x (lags + 2) design matrix; for 1,000,000 candles (maxlag 120) that takes minutes and
gigabytes. Every one of those models only needs the cross-products of its columns, and the
lag columns are shifted copies of one series, so all cross-products can be had from
maxlag + 1 dot products plus O(maxlag^2) boundary corrections. The nested AIC search then
reads every model's residual sum of squares off one Cholesky factor. Same sample, same lag
choice rule (smallest AIC, ties to the shorter lag), same final regression on its own
sample, same MacKinnon p-value. If the cross-product matrix is not safely positive definite
(degenerate series), statsmodels itself is used, so edge cases keep its behaviour.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy import linalg
from statsmodels.tsa.adfvalues import mackinnonp
from statsmodels.tsa.stattools import adfuller

# Condition numbers beyond this make the normal-equations route lose too many digits to
# guarantee the same lag choice as statsmodels' SVD route; those series go to statsmodels.
_MAX_CONDITION = 1e10


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """Inner product of long vectors without BLAS: einsum runs single-threaded, and threaded
    BLAS on a memory-bound dot product is slower and erratic when CPUs are shared."""
    return float(np.einsum("i,i->", a, b))


class _Degenerate(Exception):
    pass


def default_maxlag(nobs: int) -> int:
    """statsmodels' default (Schwert 1989), capped for regression "c" (one trend term)."""
    return min(nobs // 2 - 2, math.ceil(12.0 * (nobs / 100.0) ** 0.25))


def adf_test(y: np.ndarray) -> tuple[float, float] | None:
    """(adf_stat, p_value) of adfuller(y, autolag="AIC"), or None when it cannot run."""
    y = np.asarray(y, dtype=np.float64)
    if y.size < 4 or not np.all(np.isfinite(y)) or y.max() == y.min():
        return None
    if default_maxlag(y.size) < 0:
        return None
    try:
        stat = _fast_adf_stat(y)
    except (_Degenerate, np.linalg.LinAlgError, ValueError):
        return statsmodels_adf(y)
    if not math.isfinite(stat):
        return statsmodels_adf(y)
    return stat, _pvalue(stat)


def statsmodels_adf(y: np.ndarray) -> tuple[float, float] | None:
    """The reference implementation; None when it refuses the series."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = adfuller(y, autolag="AIC")
    except (ValueError, np.linalg.LinAlgError, ZeroDivisionError):
        return None
    stat, p = float(res[0]), float(res[1])
    if not (math.isfinite(stat) and math.isfinite(p)):
        return None
    return stat, p


def _pvalue(stat: float) -> float:
    return float(mackinnonp(stat, regression="c", N=1))


def _fast_adf_stat(x: np.ndarray) -> float:
    nobs_all = x.size
    maxlag = default_maxlag(nobs_all)
    d = np.diff(x)
    # Shifting d by a constant changes no centred cross-product but avoids cancellation
    # when the series drifts.
    d -= d.mean()

    # Lag search: every model on the same sample (rows maxlag .. of the differences).
    gram = _centered_gram(x, d, maxlag)
    nobs = nobs_all - 1 - maxlag
    tail = _residual_components(gram)
    # ssr of the model with lags 1..L = sum of squared components L+1 .. maxlag+1.
    ssr = np.cumsum((tail**2)[::-1])[::-1]
    best, best_aic = 0, math.inf
    for lag in range(maxlag + 1):
        s = ssr[lag + 1]
        if not s > 0:
            raise _Degenerate("perfect fit")
        llf = -nobs / 2.0 * (math.log(2.0 * math.pi) + math.log(s / nobs) + 1.0)
        aic = -2.0 * llf + 2.0 * (lag + 2)
        if aic < best_aic:  # strict: ties keep the shorter lag, like min() over (aic, lag)
            best, best_aic = lag, aic

    # Final regression with the chosen lag on its own (longer) sample.
    gram = _centered_gram(x, d, best)
    nobs = nobs_all - 1 - best
    k = best + 1  # regressors besides the constant: level and `best` lags
    df_resid = nobs - (k + 1)
    if df_resid <= 0:
        raise _Degenerate("no residual degrees of freedom")
    gxx, gxy = gram[:k, :k], gram[:k, k]
    scale = np.sqrt(np.maximum(np.diag(gxx), 0.0))
    if not np.all(scale > 0):
        raise _Degenerate("constant regressor")
    corr = gxx / np.outer(scale, scale)
    if np.linalg.cond(corr) > _MAX_CONDITION:
        raise _Degenerate("ill-conditioned")
    factor = linalg.cho_factor(corr)
    beta_scaled = linalg.cho_solve(factor, gxy / scale)
    e0 = np.zeros(k)
    e0[0] = 1.0
    inv00 = float(linalg.cho_solve(factor, e0)[0]) / scale[0] ** 2
    resid_ss = float(_residual_components(gram)[-1] ** 2)
    b0 = float(beta_scaled[0]) / scale[0]
    return float(b0 / math.sqrt(resid_ss / df_resid * inv00))


def _residual_components(gram: np.ndarray) -> np.ndarray:
    """Last row of the Cholesky factor of the (scaled) cross-product matrix, rescaled.

    Its squared entries j >= L+1 sum to the residual sum of squares of the regression of
    the last column on the first L+1 columns: the nested fits all come from one factor.
    """
    scale = np.sqrt(np.maximum(np.diag(gram), 0.0))
    if not np.all(scale > 0):
        raise _Degenerate("constant column")
    corr = gram / np.outer(scale, scale)
    if np.linalg.cond(corr[:-1, :-1]) > _MAX_CONDITION:
        raise _Degenerate("ill-conditioned")
    lower = np.linalg.cholesky(corr)
    return lower[-1] * scale[-1]


def _centered_gram(x: np.ndarray, d: np.ndarray, lags: int) -> np.ndarray:
    """Centred cross-products of [level, Δ lag 1 .. lags, Δ] on adfuller's sample for `lags`.

    Row i of the sample (i = 0 .. nobs-1) is t = lags + i of the differences d: the target is
    d[t], the level is x[t], lag a is d[t - a].
    """
    nobs = d.size - lags
    m = lags + 1  # lag columns a = 0 .. lags, where a = 0 is the target
    # Window of lag a: d[lags - a : lags - a + nobs]. Sums of each window, by sliding.
    sums = np.empty(m)
    sums[0] = d[lags : lags + nobs].sum()
    if lags:
        a = np.arange(1, m)
        sums[1:] = sums[0] + np.cumsum(d[lags - a] - d[lags - a + nobs])

    lag_gram = np.empty((m, m))
    for h in range(m):
        # Raw cross-product of lag a with lag a + h, first for a = 0 by a dot product...
        raw = np.empty(m - h)
        raw[0] = _dot(d[lags : lags + nobs], d[lags - h : lags - h + nobs])
        if m - h > 1:
            # ...then slide the window one row back per step: one term enters, one leaves.
            a = np.arange(1, m - h)
            entering = d[lags - a] * d[lags - a - h]
            leaving = d[lags - a + nobs] * d[lags - a + nobs - h]
            raw[1:] = raw[0] + np.cumsum(entering - leaving)
        idx = np.arange(m - h)
        centred = raw - sums[idx] * sums[idx + h] / nobs
        lag_gram[idx, idx + h] = centred
        lag_gram[idx + h, idx] = centred

    level = x[lags : lags + nobs] - x[lags : lags + nobs].mean()
    level_cross = np.array([_dot(level, d[lags - a : lags - a + nobs]) for a in range(m)])

    # Order: level, lag 1 .. lags, target (lag 0 last).
    order = [*range(1, m), 0]
    gram = np.empty((m + 1, m + 1))
    gram[0, 0] = _dot(level, level)
    gram[0, 1:] = level_cross[order]
    gram[1:, 0] = level_cross[order]
    gram[1:, 1:] = lag_gram[np.ix_(order, order)]
    return gram
