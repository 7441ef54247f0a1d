"""`analyze`: one (symbol, interval) series in, the stored seasonality document out.

The document and every number in it: docs/analytics.md.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cl3_common.errors import InsufficientData
from cl3_common.store.ordering import ordered
from cl3_worker.analytics.calendar import calendar_profiles, find_patterns, weekday_hour_means
from cl3_worker.analytics.intervals import interval_ms, periods_per_year
from cl3_worker.analytics.jsonsafe import jsonable
from cl3_worker.analytics.meanrev import mean_reversion
from cl3_worker.analytics.params import AnalysisParams
from cl3_worker.analytics.returns import log_returns
from cl3_worker.analytics.sma import sma_crossover


def series_arrays(
    df: pd.DataFrame, start_ms: int | None = None, end_ms: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(open_time int64 ms, close float64) in [start_ms, end_ms), ascending and unique."""
    missing = [c for c in ("open_time", "close") if c not in df.columns]
    if missing:
        raise ValueError(f"candles frame lacks column(s): {', '.join(missing)}")
    ot = _epoch_ms(df["open_time"])
    close = df["close"].to_numpy(dtype=np.float64)

    # The contract says sorted and unique; repair rather than mis-compute if it is not, with
    # the store's rule for duplicates (the first wins).
    ot, close = ordered(ot, close)
    lo = np.searchsorted(ot, start_ms, side="left") if start_ms is not None else 0
    hi = np.searchsorted(ot, end_ms, side="left") if end_ms is not None else ot.size
    ot, close = ot[lo:hi], close[lo:hi]
    if close.size and not (bool(np.all(np.isfinite(close))) and bool(np.all(close > 0))):
        raise ValueError("close prices must be positive and finite")
    return ot, close


def _epoch_ms(times: pd.Series) -> np.ndarray:
    """Open times as int64 epoch ms, from integers or (naive UTC or aware) datetimes."""
    if not pd.api.types.is_datetime64_any_dtype(times):
        return times.to_numpy(dtype=np.int64)
    if getattr(times.dt, "tz", None) is not None:
        times = times.dt.tz_convert("UTC").dt.tz_localize(None)
    return times.to_numpy(dtype="datetime64[ms]").astype(np.int64)


def analyze(
    df: pd.DataFrame,
    *,
    symbol: str,
    interval: str,
    params: AnalysisParams,
    start_ms: int | None,
    end_ms: int | None,
    now_ms: int,
) -> dict[str, Any]:
    """The seasonality document (docs/analytics.md) plus `heatmap` (7 weekdays x 24 hours).

    Raises InsufficientData with fewer than slow + 2 candles, ValueError on a bad interval.
    """
    interval_ms(interval)  # validate before any work
    ot, close = series_arrays(df, start_ms, end_ms)
    if ot.size < params.min_candles:
        raise InsufficientData.candles(params.min_candles, int(ot.size))

    ppy = periods_per_year(interval)
    r = log_returns(ot, close, interval)
    calendar = calendar_profiles(ot, r, interval)
    doc: dict[str, Any] = {
        "symbol": symbol,
        "interval": interval,
        "start": int(start_ms) if start_ms is not None else int(ot[0]),
        "end": int(end_ms) if end_ms is not None else int(ot[-1]),
        "candles": int(ot.size),
        "returns": int(np.count_nonzero(~np.isnan(r))),
        "computed_at": int(now_ms),
        "params": params.to_dict(),
        "calendar": calendar,
        "patterns": find_patterns(calendar, params.alpha),
        "sma_crossover": sma_crossover(
            ot,
            close,
            r,
            fast=params.fast,
            slow=params.slow,
            horizon=params.resolved_horizon,
            periods_per_year=ppy,
        ),
        "mean_reversion": mean_reversion(
            close,
            r,
            window=params.window,
            entry_z=params.entry_z,
            exit_z=params.exit_z,
            periods_per_year=ppy,
        ),
        "heatmap": weekday_hour_means(ot, r),
    }
    return jsonable(doc)
