from __future__ import annotations

import pytest

from cl3_common.errors import InvalidInterval
from cl3_common.intervals import align_down, align_up, count_candles, next_open, nominal_ms

JAN_31 = 1_706_659_200_000  # 2024-01-31T00:00:00Z
FEB_1 = 1_706_745_600_000
MAR_1 = 1_709_251_200_000  # 2024 is a leap year: February has 29 days


def test_unknown_interval_is_rejected():
    with pytest.raises(InvalidInterval):
        nominal_ms("7m")


def test_months_follow_the_calendar():
    assert align_down(JAN_31 + 5, "1M") == 1_704_067_200_000
    assert next_open(FEB_1, "1M") == MAR_1
    assert count_candles(FEB_1, MAR_1 + 1, "1M") == 2


def test_weeks_open_on_monday():
    monday = 1_704_067_200_000  # 2024-01-01 was a Monday
    assert align_down(monday + 3 * 86_400_000, "1w") == monday
    assert align_up(monday + 1, "1w") == monday + 7 * 86_400_000


@pytest.mark.parametrize(
    ("start", "end", "interval", "n"),
    [
        (0, 60_000, "1m", 1),
        (1, 60_000, "1m", 0),
        (0, 60_001, "1m", 2),
        (0, 3_600_000, "1h", 1),
        (5, 5, "1m", 0),
    ],
)
def test_count_candles_counts_open_times_in_half_open_ranges(start, end, interval, n):
    assert count_candles(start, end, interval) == n
