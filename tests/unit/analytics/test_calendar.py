"""Calendar profiles, Student-t p-values, BH q-values, patterns (docs/analytics.md, 2-3)."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pytest

from cl3_worker.analytics.calendar import (
    applicable_profiles,
    bh_qvalues,
    calendar_profiles,
    day_of_week,
    find_patterns,
    hour_of_day,
    month_of_year,
    profile_stats,
    weekday_hour_means,
)

H = 3_600_000


def ms(*args: int) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp() * 1000)


def test_keys_are_utc_hour_weekday_month() -> None:
    ot = np.array([ms(2024, 3, 10, 13), ms(2024, 1, 1, 0), ms(1969, 12, 31, 23)])
    assert hour_of_day(ot).tolist() == [13, 0, 23]
    # 2024-03-10 was a Sunday, 2024-01-01 a Monday, 1969-12-31 a Wednesday.
    assert day_of_week(ot).tolist() == [6, 0, 2]
    assert month_of_year(ot).tolist() == [3, 1, 12]


def test_profiles_by_interval() -> None:
    assert applicable_profiles("1m") == ("hour_of_day", "day_of_week", "month_of_year")
    assert applicable_profiles("12h") == ("hour_of_day", "day_of_week", "month_of_year")
    assert applicable_profiles("1d") == ("day_of_week", "month_of_year")
    assert applicable_profiles("3d") == ("day_of_week", "month_of_year")
    assert applicable_profiles("1w") == ("month_of_year",)
    assert applicable_profiles("1M") == ("month_of_year",)


def test_profile_statistics_by_hand() -> None:
    codes = np.array([0, 0, 0, 1, 1, 2], dtype=np.int8)
    r = np.array([0.01, 0.02, -0.006, 0.005, 0.005, 0.03])
    rows = profile_stats(codes, r, range(4))
    assert [row["key"] for row in rows] == [0, 1, 2, 3]

    # Key 0: n=3, mean 0.008, deviations 0.002, 0.012, -0.014 -> SS 3.44e-4, var 1.72e-4.
    k0 = rows[0]
    std = math.sqrt(1.72e-4)
    t = 0.008 / (std / math.sqrt(3))
    # Student t with 2 degrees of freedom has a closed form: p = 1 - |t| / sqrt(2 + t^2).
    p = 1 - abs(t) / math.sqrt(2 + t * t)
    assert k0["n"] == 3
    assert k0["mean"] == pytest.approx(0.008, rel=1e-12)
    assert k0["median"] == pytest.approx(0.01, rel=1e-12)
    assert k0["std"] == pytest.approx(std, rel=1e-12)
    assert k0["hit_rate"] == pytest.approx(2 / 3)
    assert k0["t_stat"] == pytest.approx(t, rel=1e-12)
    assert t == pytest.approx(1.0565, abs=1e-4)
    assert k0["p_value"] == pytest.approx(p, rel=1e-9)
    assert k0["q_value"] == pytest.approx(p, rel=1e-9)  # the only key with a p-value

    # Key 1: two equal returns: std is 0, so t/p/q are null (not NaN, not inf).
    assert rows[1] == {
        "key": 1, "n": 2, "mean": 0.005, "median": 0.005, "std": 0.0, "hit_rate": 1.0,
        "t_stat": None, "p_value": None, "q_value": None,
    }  # fmt: skip
    # Key 2: one return: no std.
    assert rows[2] == {
        "key": 2, "n": 1, "mean": 0.03, "median": 0.03, "std": None, "hit_rate": 1.0,
        "t_stat": None, "p_value": None, "q_value": None,
    }  # fmt: skip
    # Key 3: listed although empty.
    assert rows[3] == {
        "key": 3, "n": 0, "mean": None, "median": None, "std": None, "hit_rate": None,
        "t_stat": None, "p_value": None, "q_value": None,
    }  # fmt: skip


def test_undefined_returns_are_ignored() -> None:
    rows = profile_stats(
        np.array([5, 5, 5], dtype=np.int8), np.array([np.nan, 0.01, -0.01]), range(24)
    )
    assert rows[5]["n"] == 2
    assert rows[5]["mean"] == 0.0
    assert rows[5]["hit_rate"] == 0.5


def test_benjamini_hochberg_by_hand() -> None:
    # Sorted p: 0.01, 0.03, 0.04, 0.20 -> p*m/rank: 0.04, 0.06, 0.05333, 0.20 -> step-up minima.
    q = bh_qvalues(np.array([0.01, 0.04, 0.03, 0.20]))
    assert q == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.20], rel=1e-12)


def test_benjamini_hochberg_excludes_null_p_and_caps_at_one() -> None:
    q = bh_qvalues(np.array([0.01, np.nan, 0.04]))
    assert q[0] == pytest.approx(0.02)
    assert math.isnan(q[1])
    assert q[2] == pytest.approx(0.04)
    assert bh_qvalues(np.array([0.9, 0.8])).tolist() == [0.9, 0.9]
    assert math.isnan(bh_qvalues(np.array([np.nan]))[0])


def test_q_values_span_one_profile() -> None:
    codes = np.array([0, 0, 0, 1, 1, 1], dtype=np.int8)
    r = np.array([0.01, 0.02, 0.03, -0.01, 0.0, 0.02])
    rows = profile_stats(codes, r, range(2))
    # Key 0: mean 0.02, std 0.01 -> t = 0.02 / (0.01 / sqrt 3) = 2 sqrt 3.
    # Key 1: mean 1/300, var 7/3 * 1e-4 -> t = 1 / sqrt 7. Both with 2 degrees of freedom.
    t0, t1 = 2 * math.sqrt(3), 1 / math.sqrt(7)
    p0 = 1 - t0 / math.sqrt(2 + t0 * t0)  # 0.0742
    p1 = 1 - t1 / math.sqrt(2 + t1 * t1)  # 0.7418
    assert rows[0]["t_stat"] == pytest.approx(t0, rel=1e-12)
    assert rows[1]["t_stat"] == pytest.approx(t1, rel=1e-12)
    assert rows[0]["p_value"] == pytest.approx(p0, rel=1e-9)
    assert rows[1]["p_value"] == pytest.approx(p1, rel=1e-9)
    # BH over the two keys: q0 = min(2 * p0, p1), q1 = p1.
    assert rows[0]["q_value"] == pytest.approx(2 * p0, rel=1e-9)
    assert rows[1]["q_value"] == pytest.approx(p1, rel=1e-9)


def test_calendar_profiles_list_every_key() -> None:
    ot = np.arange(10) * H + ms(2024, 1, 1)
    r = np.full(10, 0.001)
    r[0] = np.nan
    cal = calendar_profiles(ot, r, "1h")
    assert [len(cal[p]) for p in ("hour_of_day", "day_of_week", "month_of_year")] == [24, 7, 12]
    assert [row["key"] for row in cal["month_of_year"]] == list(range(1, 13))
    assert cal["hour_of_day"][0]["n"] == 0  # hour 0 holds only the first candle (no return)
    assert cal["day_of_week"][0]["n"] == 9
    daily = calendar_profiles(ot, r, "1d")
    assert daily["hour_of_day"] == []
    assert len(daily["day_of_week"]) == 7


def _row(key: int, q: float | None, mean: float = 0.01) -> dict:
    return {"key": key, "n": 10, "mean": mean, "t_stat": 3.0, "p_value": 0.001, "q_value": q}


def test_patterns_filter_and_order() -> None:
    cal = {
        "hour_of_day": [_row(3, 0.01), _row(1, 0.02, mean=-0.5), _row(2, 0.05), _row(4, None)],
        "day_of_week": [_row(6, 0.01), _row(0, 0.049)],
        "month_of_year": [_row(1, 0.001)],
    }
    found = find_patterns(cal, alpha=0.05)
    keys = [(p["profile"], p["key"]) for p in found]
    # q < alpha strictly; ordered by q, ties by profile (document order) then key.
    assert keys == [
        ("month_of_year", 1),
        ("hour_of_day", 3),
        ("day_of_week", 6),
        ("hour_of_day", 1),
        ("day_of_week", 0),
    ]
    assert found[3]["direction"] == "down"
    assert found[0] == {
        "profile": "month_of_year", "key": 1, "direction": "up", "mean": 0.01,
        "t_stat": 3.0, "p_value": 0.001, "q_value": 0.001, "n": 10,
    }  # fmt: skip


def test_weekday_hour_means() -> None:
    monday = ms(2024, 1, 1)
    ot = np.array([monday, monday + H, monday + 2 * H, monday + 7 * 86_400_000 + H])
    r = np.array([np.nan, 0.01, -0.02, 0.03])
    grid = weekday_hour_means(ot, r)
    assert len(grid) == 7 and all(len(row) == 24 for row in grid)
    assert grid[0][1] == pytest.approx(0.02)  # mean of 0.01 and 0.03 (two Mondays, 01:00)
    assert grid[0][2] == pytest.approx(-0.02)
    assert grid[0][0] is None  # only an undefined return there
    assert grid[3][5] is None
