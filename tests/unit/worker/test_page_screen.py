"""The numpy screen never passes a page the plausibility check would reject, and passes the
sound files the archive serves (so the pure check is skipped only for those)."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from cl3_common.derived.plausibility import check_rows
from cl3_common.store import kline_to_row
from cl3_sandbox.exchange import expected_klines
from cl3_worker.page_check import rest_columns
from cl3_worker.page_screen import lists_surely_plausible, surely_plausible

JAN_2024 = 1_704_067_200_000
DAY = 86_400_000
SPANS = {
    "1m": (JAN_2024, JAN_2024 + DAY),
    "1h": (JAN_2024, JAN_2024 + 31 * DAY),
    "1w": (JAN_2024, JAN_2024 + 140 * DAY),
    "1M": (JAN_2024, JAN_2024 + 366 * DAY),
}


def _rows(interval: str) -> list[tuple]:
    start, end = SPANS[interval]
    return [kline_to_row(k) for k in expected_klines("BTCUSDT", interval, start, end - 1,
                                                     now_ms=end + 400 * DAY)]  # fmt: skip


def _columns(rows: list[tuple]) -> tuple[np.ndarray, ...]:
    return tuple(np.asarray(col, dtype=np.int64 if i in (0, 1, 8) else np.float64)
                 for i, col in enumerate(zip(*rows, strict=True)))  # fmt: skip


@pytest.mark.parametrize("interval", ["1m", "1h", "1w"])
def test_sound_pages_pass_the_screen(interval):
    rows = _rows(interval)
    start, end = SPANS[interval]
    assert check_rows(rows, interval, start, end) == []
    assert surely_plausible(_columns(rows), interval, start, end, "trade")


def test_monthly_pages_always_go_to_the_check():
    rows = _rows("1M")
    assert not surely_plausible(_columns(rows), "1M", *SPANS["1M"], "trade")


BAD_VALUES = [-1.0, 0.0, math.nan, math.inf, -math.inf, 1e308, 1e-300]


def _mutations(rows: list[tuple], rng: random.Random) -> list[list[tuple]]:
    out = []
    for _ in range(400):
        page = [list(r) for r in rows]
        for _ in range(rng.choice((1, 1, 2, 3))):
            i, field = rng.randrange(len(page)), rng.randrange(11)
            if field in (0, 1):
                page[i][field] += rng.choice((1, -1, 30_001, -60_000, 60_000))
                if rng.random() < 0.2:
                    page[i][field] //= 1000  # seconds
            elif field == 8:
                page[i][field] = rng.choice((-1, 0, 10**6))
            elif rng.random() < 0.5:
                page[i][field] = rng.choice(BAD_VALUES)
            else:  # swap with another field of the row, or scale it
                other = rng.choice([k for k in range(2, 11) if k != 8])
                page[i][field], page[i][other] = page[i][other], page[i][field]
                page[i][field] *= rng.choice((0.5, 1.0, 2.0))
        out.append([tuple(r) for r in page])
    return out


@pytest.mark.parametrize(("interval", "kind"), [("1m", "trade"), ("1h", "premium"),
                                                ("1w", "mark")])  # fmt: skip
def test_the_screen_never_passes_what_the_check_rejects(interval, kind):
    rng = random.Random(interval)
    rows = _rows(interval)
    start, end = SPANS[interval]
    rejected = passed = 0
    for page in _mutations(rows, rng):
        problems = check_rows(page, interval, start, end, kind=kind)
        screened = surely_plausible(_columns(page), interval, start, end, kind)
        # It implements the same rules: it agrees with the check both ways here, and so does
        # the screen of a REST page's columns (lists).
        assert screened == (problems == []), problems
        lists = tuple(list(col) for col in zip(*page, strict=True))
        assert lists_surely_plausible(lists, interval, start, end, kind) == screened
        rejected += bool(problems)
        passed += screened
    assert rejected > 300 and passed > 10  # mostly broken pages, some harmless changes


def test_a_page_outside_its_range_or_on_another_grid_is_not_passed():
    rows = _rows("1h")
    start, end = SPANS["1h"]
    cols = _columns(rows)
    assert not surely_plausible(cols, "1h", start + 1, end, "trade")
    assert not surely_plausible(cols, "1h", start, end - 3_600_000, "trade")
    assert not surely_plausible(cols, "2h", start, end, "trade")
    assert not surely_plausible(cols[:10], "1h", start, end, "trade")
    assert surely_plausible(tuple(c[:0] for c in cols), "1h", start, end, "trade")


def test_rest_pages_become_the_rows_kline_to_row_gives():
    start, end = SPANS["1h"]
    klines = expected_klines("BTCUSDT", "1h", start, end - 1, now_ms=end + DAY)
    columns, problems = rest_columns(klines)
    assert problems == [] and list(zip(*columns, strict=True)) == [kline_to_row(k) for k in klines]
    micros = [[k[0] * 1000, *k[1:6], k[6] * 1000, *k[7:]] for k in klines[:3]]
    columns, _ = rest_columns(micros)
    assert list(zip(*columns, strict=True)) == [kline_to_row(k) for k in klines[:3]]
    assert rest_columns([]) == (([],) * 11, [])


@pytest.mark.parametrize("bad", [[[1, "2"]], [["x"] * 12], [[1, "a", *["1"] * 10]], [None]])
def test_unreadable_klines_are_a_problem_not_an_error(bad):
    columns, problems = rest_columns(bad)
    assert columns == () and problems and problems[0].startswith("unreadable kline")
