"""The one rule for duplicate candles: the first one stored wins.

Both backends store a candle once per open time and ignore later copies (SQLite's
`INSERT OR IGNORE`, MongoDB's duplicate `_id`), so anything that has to make a column of
candles unique keeps the first of each open time too. Imported only on the worker side (numpy).
"""

from __future__ import annotations

import numpy as np


def ordered(ot: np.ndarray, close: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ascending by open time, one row per open time (the first of each, in input order)."""
    if ot.size < 2 or bool(np.all(ot[1:] > ot[:-1])):
        return ot, close
    order = np.argsort(ot, kind="stable")
    ot, close = ot[order], close[order]
    keep = np.ones(ot.size, dtype=bool)
    keep[1:] = ot[1:] != ot[:-1]
    return ot[keep], close[keep]
