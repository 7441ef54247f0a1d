"""Calendar profiles of returns, their p/q-values, and the significant patterns.

Definitions: docs/analytics.md, sections 2 and 3.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats

from cl3_common.intervals import DAY_MS, HOUR_MS, WEEK_MS
from cl3_worker.analytics.intervals import interval_ms

PROFILES: tuple[str, ...] = ("hour_of_day", "day_of_week", "month_of_year")
PROFILE_KEYS: dict[str, range] = {
    "hour_of_day": range(24),
    "day_of_week": range(7),
    "month_of_year": range(1, 13),
}


def hour_of_day(open_time: np.ndarray) -> np.ndarray:
    return ((np.asarray(open_time, dtype=np.int64) // HOUR_MS) % 24).astype(np.int8)


def day_of_week(open_time: np.ndarray) -> np.ndarray:
    """0 = Monday. Day 0 of the epoch (1970-01-01) was a Thursday, hence the +3."""
    return (((np.asarray(open_time, dtype=np.int64) // DAY_MS) + 3) % 7).astype(np.int8)


def month_of_year(open_time: np.ndarray) -> np.ndarray:
    months = np.asarray(open_time, dtype=np.int64).astype("datetime64[ms]").astype("datetime64[M]")
    return (months.astype(np.int64) % 12 + 1).astype(np.int8)


def applicable_profiles(interval: str) -> tuple[str, ...]:
    """hour_of_day only under 1 day, day_of_week only under 1 week, month_of_year always."""
    ms = interval_ms(interval)
    names = []
    if ms < DAY_MS:
        names.append("hour_of_day")
    if ms < WEEK_MS:
        names.append("day_of_week")
    names.append("month_of_year")
    return tuple(names)


def key_codes(profile: str, open_time: np.ndarray) -> np.ndarray:
    if profile == "hour_of_day":
        return hour_of_day(open_time)
    if profile == "day_of_week":
        return day_of_week(open_time)
    return month_of_year(open_time)


def bh_qvalues(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values; NaN entries are left out of the family and stay NaN."""
    p = np.asarray(p, dtype=np.float64)
    q = np.full(p.shape, np.nan)
    idx = np.flatnonzero(~np.isnan(p))
    m = idx.size
    if m == 0:
        return q
    order = np.argsort(p[idx], kind="stable")
    ranked = p[idx][order] * m / np.arange(1, m + 1)
    # Step-up: q_(i) = min_{j >= i} p_(j) * m / j, capped at 1.
    adjusted = np.minimum(np.minimum.accumulate(ranked[::-1])[::-1], 1.0)
    q[idx[order]] = adjusted
    return q


def profile_stats(codes: np.ndarray, r: np.ndarray, keys: range) -> list[dict[str, Any]]:
    """Per-key statistics of the defined returns `r` grouped by `codes` (same length)."""
    valid = ~np.isnan(r)
    codes = codes[valid]
    values = r[valid]
    # One stable sort groups every key's returns contiguously (radix sort on int8 codes).
    order = np.argsort(codes, kind="stable")
    grouped = values[order]
    lo = keys.start
    counts = np.bincount(codes.astype(np.int64) - lo, minlength=len(keys))[: len(keys)]
    bounds = np.concatenate(([0], np.cumsum(counts)))

    rows: list[dict[str, Any]] = []
    t_stats = np.full(len(keys), np.nan)
    dfs = np.ones(len(keys))
    for i, key in enumerate(keys):
        seg = grouped[bounds[i] : bounds[i + 1]]
        n = int(seg.size)
        row: dict[str, Any] = {
            "key": key,
            "n": n,
            "mean": None,
            "median": None,
            "std": None,
            "hit_rate": None,
            "t_stat": None,
            "p_value": None,
            "q_value": None,
        }
        if n >= 1:
            row["mean"] = float(seg.mean())
            row["median"] = float(np.median(seg))
            row["hit_rate"] = float(np.count_nonzero(seg > 0) / n)
        if n >= 2:
            std = float(seg.std(ddof=1))
            row["std"] = std
            if std > 0:
                t_stats[i] = row["mean"] / (std / np.sqrt(n))
                dfs[i] = n - 1
                row["t_stat"] = float(t_stats[i])
        rows.append(row)

    p_values = np.full(len(keys), np.nan)
    has_t = ~np.isnan(t_stats)
    p_values[has_t] = 2.0 * stats.t.sf(np.abs(t_stats[has_t]), dfs[has_t])
    q_values = bh_qvalues(p_values)
    for i, row in enumerate(rows):
        if has_t[i]:
            row["p_value"] = float(p_values[i])
            row["q_value"] = float(q_values[i])
    return rows


def calendar_profiles(
    open_time: np.ndarray, r: np.ndarray, interval: str
) -> dict[str, list[dict[str, Any]]]:
    """All three profiles; one that does not apply to the interval is an empty list."""
    used = applicable_profiles(interval)
    out: dict[str, list[dict[str, Any]]] = {}
    for profile in PROFILES:
        if profile in used:
            out[profile] = profile_stats(key_codes(profile, open_time), r, PROFILE_KEYS[profile])
        else:
            out[profile] = []
    return out


def find_patterns(calendar: dict[str, list[dict[str, Any]]], alpha: float) -> list[dict[str, Any]]:
    """Keys with q_value < alpha, by q_value, ties by profile (document order) then key."""
    found: list[tuple[float, int, int, dict[str, Any]]] = []
    for rank, profile in enumerate(PROFILES):
        for row in calendar.get(profile, []):
            q = row["q_value"]
            if q is None or not q < alpha:
                continue
            pattern = {
                "profile": profile,
                "key": row["key"],
                "direction": "up" if row["mean"] > 0 else "down",
                "mean": row["mean"],
                "t_stat": row["t_stat"],
                "p_value": row["p_value"],
                "q_value": q,
                "n": row["n"],
            }
            found.append((q, rank, row["key"], pattern))
    found.sort(key=lambda item: item[:3])
    return [item[3] for item in found]


def weekday_hour_means(open_time: np.ndarray, r: np.ndarray) -> list[list[float | None]]:
    """7 x 24 matrix (Monday first) of mean defined return by weekday and hour; None if empty."""
    valid = ~np.isnan(r)
    cell = day_of_week(open_time[valid]).astype(np.int64) * 24 + hour_of_day(open_time[valid])
    counts = np.bincount(cell, minlength=168)
    sums = np.bincount(cell, weights=r[valid], minlength=168)
    means = np.full(168, np.nan)
    np.divide(sums, counts, out=means, where=counts > 0)
    grid = means.reshape(7, 24)
    return [[None if np.isnan(v) else float(v) for v in row] for row in grid]
