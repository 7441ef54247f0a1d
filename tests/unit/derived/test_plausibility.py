from __future__ import annotations

import time
from itertools import pairwise

import pytest

from cl3_common.derived.plausibility import check_rows
from cl3_common.errors import InvalidInterval, InvalidRequest
from tests.unit.derived.support import DAY, MINUTE, T0, ms, row, series

M = MINUTE
END = T0 + 10 * M
GOOD = series(T0, 10)


def page(**changes: object) -> list[tuple]:
    """GOOD with row 3 (open time T0 + 3m) altered: changes name fields by index, e.g. f4=1.0."""
    rows = [list(r) for r in GOOD]
    for key, value in changes.items():
        rows[3][int(key[1:])] = value
    return [tuple(r) for r in rows]


def only(problems: list[str]) -> str:
    assert len(problems) == 1, problems
    return problems[0]


def test_a_good_page_and_an_empty_one():
    assert check_rows(GOOD, "1m", T0, END) == []
    assert check_rows([], "1m", T0, END) == []
    assert check_rows(series(T0, 7, 7 * DAY), "1w", T0, T0 + 49 * DAY) == []
    firsts = [ms(f"2024-{m:02d}-01T00:00:00Z") for m in (1, 2, 3, 4)]
    months = [row(a, 1, 2, 0.5, 1.5, step=b - a) for a, b in pairwise(firsts)]
    assert check_rows(months, "1M", T0, ms("2024-04-01T00:00:00Z")) == []


def test_messages_name_the_first_offender_and_count_the_rest():
    rows = [list(r) for r in GOOD]
    for k in (4, 6, 7):
        rows[k][6], rows[k][9] = -1.0, -2.0  # takers stay within the (negative) total
    message = only(check_rows([tuple(r) for r in rows], "1m", T0, END))
    assert message == (
        f"negative volume at open time {T0 + 4 * M} (2024-01-01T00:04:00Z) (and 2 more rows)"
    )


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"f4": 1e9}, "low above open or close"),
        ({"f3": 1e-9}, "high below open or close"),
        ({"f6": -0.5, "f9": -1.0}, "negative volume"),
        ({"f7": -0.5, "f10": -1.0}, "negative volume"),
        ({"f9": 1e9}, "taker volume above total volume"),
        ({"f10": 1e12}, "taker volume above total volume"),
        ({"f8": -1}, "negative trade count"),
        ({"f5": float("nan")}, "non-finite value (NaN or infinity)"),
        ({"f7": float("inf")}, "non-finite value (NaN or infinity)"),
        ({"f1": T0 + 3 * M + 59_998}, "close_time is not the next open time minus 1 ms"),
    ],
)
def test_each_row_failure_is_named_at_its_open_time(changes, expected):
    assert only(check_rows(page(**changes), "1m", T0, END)) == (
        f"{expected} at open time {T0 + 3 * M} (2024-01-01T00:03:00Z)"
    )


def test_prices_must_be_positive_except_for_the_premium_index():
    flat = [row(T0 + k * M, 0.0, 0.0, 0.0, 0.0, 0.0) for k in range(3)]
    negative = [row(T0 + k * M, -0.001, 0.0, -0.002, -0.0015, 0.0) for k in range(3)]
    for kind in ("trade", "mark", "index"):
        message = only(check_rows(flat, "1m", T0, END, kind=kind))
        assert message.startswith(f"{kind} price not above zero at open time {T0}")
        assert message.endswith("(and 2 more rows)")
    assert check_rows(flat, "1m", T0, END, kind="premium") == []
    assert check_rows(negative, "1m", T0, END, kind="premium") == []
    with pytest.raises(InvalidRequest):
        check_rows(flat, "1m", T0, END, kind="funding")
    with pytest.raises(InvalidInterval):
        check_rows(flat, "2m", T0, END)


def test_open_times_on_the_grid_inside_the_range_and_ascending():
    off = page(f0=T0 + 3 * M + 1, f1=T0 + 4 * M)
    assert only(check_rows(off, "1m", T0, END)).startswith(
        f"open time not on the 1m grid at open time {T0 + 3 * M + 1}"
    )
    assert only(check_rows(GOOD, "1m", T0 + M, END)).startswith(
        f"open time outside the requested [{T0 + M}, {END}) at open time {T0}"
    )
    swapped = [GOOD[0], GOOD[2], GOOD[1], *GOOD[3:]]
    assert only(check_rows(swapped, "1m", T0, END)) == (
        f"open time not after the previous one at open time {T0 + M} (2024-01-01T00:01:00Z)"
    )
    repeated = [*GOOD[:4], GOOD[3], *GOOD[4:9]]
    assert only(check_rows(repeated, "1m", T0, END)).startswith(
        f"open time not after the previous one at open time {T0 + 3 * M}"
    )
    tuesday = series(T0 + DAY, 2, 7 * DAY)  # weeks open on Monday
    assert only(check_rows(tuesday, "1w", T0, T0 + 30 * DAY)).startswith(
        "open time not on the 1w grid"
    )


def test_month_candles_need_calendar_close_times():
    jan = row(T0, 1, 2, 0.5, 1.5, step=30 * DAY)  # January has 31 days
    assert only(check_rows([jan], "1M", T0, T0 + 40 * DAY)).startswith(
        f"close_time is not the next open time minus 1 ms at open time {T0}"
    )
    mid = row(T0 + DAY, 1, 2, 0.5, 1.5, step=31 * DAY)
    assert check_rows([mid], "1M", T0, T0 + 40 * DAY)[0].startswith("open time not on the 1M grid")


@pytest.mark.parametrize(
    ("scale", "unit"), [(1000, "microseconds"), (0.001, "seconds")]
)  # fmt: skip
def test_timestamp_units(scale, unit):
    rows = [(int(r[0] * scale), int((r[0] + M) * scale) - 1, *r[2:]) for r in GOOD]
    problems = check_rows(rows, "1m", T0, END)
    assert problems[0].startswith(f"open_time in {unit} instead of milliseconds at open time")
    assert problems[1].startswith(f"close_time in {unit} instead of milliseconds")
    assert problems[0].endswith("(and 9 more rows)")
    assert len(problems) == 2  # grid and range checks would only repeat the unit mistake


def test_far_future_is_implausible():
    far = [(ms("2101-01-01T00:00:00Z"), ms("2101-01-01T00:01:00Z") - 1, *GOOD[0][2:])]
    assert check_rows(far, "1m", T0, END) == [
        "open_time 4133980800000 outside 2009..2100 at open time 4133980800000 "
        "(2101-01-01T00:00:00Z)",
        "close_time 4133980859999 outside 2009..2100 at open time 4133980800000 "
        "(2101-01-01T00:00:00Z)",
    ]


def test_rows_that_are_not_klines():
    assert check_rows([GOOD[0][:10]], "1m", T0, END) == ["row 0 has 10 fields, expected 11"]
    assert check_rows(page(f2="10.5"), "1m", T0, END) == ["open '10.5' in row 3 is not a number"]
    assert check_rows(page(f6=None), "1m", T0, END) == ["volume None in row 3 is not a number"]
    floaty = page(f0=float(T0 + 3 * M))
    assert check_rows(floaty, "1m", T0, END) == [
        f"open_time {float(T0 + 3 * M)!r} in row 3 is not an integer"
    ]
    assert check_rows(page(f8=2.0), "1m", T0, END) == ["trades 2.0 in row 3 is not an integer"]


def test_a_page_of_1000_rows_is_checked_in_about_a_millisecond():
    rows = series(T0, 1000)
    best = float("inf")
    for _ in range(20):
        began = time.perf_counter()
        assert check_rows(rows, "1m", T0, T0 + 1000 * M) == []
        best = min(best, time.perf_counter() - began)
    print(f"\nplausibility check of 1,000 rows: {best * 1000:.2f} ms (best of 20)")
    assert best < 0.02  # measured ~1 ms; generous for a loaded CI box
