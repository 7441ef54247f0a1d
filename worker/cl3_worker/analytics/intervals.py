"""Interval arithmetic the analytics need: candle length and which candles are consecutive.

The interval table itself lives in `cl3_common.intervals` (shared with ingestion); this module
adds the vectorised form the analytics use on whole columns of open times.
"""

from __future__ import annotations

import numpy as np

from cl3_common.errors import InvalidInterval
from cl3_common.intervals import DAY_MS, nominal_ms

YEAR_MS = 365 * DAY_MS


def interval_ms(interval: str) -> int:
    """Length of one candle in ms; "1M" counts as 30 days (used for annualisation only)."""
    try:
        return nominal_ms(interval)
    except InvalidInterval as exc:
        raise ValueError(str(exc)) from exc


def periods_per_year(interval: str) -> float:
    """The annualisation factor's square: 365 days / interval."""
    return YEAR_MS / interval_ms(interval)


def follows_previous(open_time: np.ndarray, interval: str) -> np.ndarray:
    """Boolean mask: True at row t when candle t opens exactly one interval after candle t-1.

    Row 0 is always False. For "1M" the next candle opens at the start of the next calendar
    month (same offset within the month), so month lengths of 28..31 days all count.
    """
    ot = np.asarray(open_time, dtype=np.int64)
    mask = np.zeros(ot.shape[0], dtype=bool)
    if ot.shape[0] < 2:
        return mask
    if interval == "1M":
        months = ot.astype("datetime64[ms]").astype("datetime64[M]")
        offset = ot - months.astype("datetime64[ms]").astype(np.int64)
        step = np.diff(months.astype(np.int64))
        mask[1:] = (step == 1) & (offset[1:] == offset[:-1])
    else:
        mask[1:] = np.diff(ot) == interval_ms(interval)
    return mask
