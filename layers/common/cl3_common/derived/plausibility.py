"""A plausibility check on every ingested page (issue 11 item 4): a page that fails is not stored.

Rows are numeric tuples in API order (candle.API_FIELDS). Each kind of problem is reported once,
naming the first offending open time and how many rows share it. Every check runs column-wise
through C builtins (zip, map with operator functions), about 1 ms per 1,000 rows.

Kinds: "trade" (klines), "mark" and "index" (price klines) need prices > 0; "premium"
(premium index klines) may be zero or negative. All need low <= min(open, close),
max(open, close) <= high, and volumes, quote volume, taker volumes and trades >= 0 with the
taker volumes within the totals.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from itertools import repeat
from math import isfinite
from operator import gt, le, lt, mod, ne, not_, or_, sub
from typing import Any

from cl3_common.derived.candle import API_FIELDS, Row, iso
from cl3_common.errors import InvalidRequest
from cl3_common.intervals import DAY_MS, align_down, next_open, nominal_ms, validate_interval
from cl3_common.store.keys import KINDS
from cl3_common.timeparse import MAX_TIME_MS, MIN_TIME_MS  # before Binance, or a unit mistake

_WEEK_PHASE_MS = 4 * DAY_MS  # weeks open on Monday; 1970-01-01 was a Thursday
_NUMBER = {int, float}
_INTS = (0, 1, 8)  # open_time, close_time, trades
_FLOATS = (2, 3, 4, 5, 6, 7, 9, 10)


def check_rows(
    rows: Sequence[Row], interval: str, start_ms: int, end_ms: int, *, kind: str = "trade"
) -> list[str]:
    """Problems found in a page of rows fetched for [start_ms, end_ms); empty when plausible."""
    _check_arguments(interval, kind)
    if not rows:
        return []
    if set(map(len, rows)) != {len(API_FIELDS)}:
        bad = next(i for i, row in enumerate(rows) if len(row) != len(API_FIELDS))
        return [f"row {bad} has {len(rows[bad])} fields, expected {len(API_FIELDS)}"]
    return _check_columns(tuple(zip(*rows, strict=True)), interval, start_ms, end_ms, kind)


def check_columns(
    columns: Sequence[Sequence[Any]],
    interval: str,
    start_ms: int,
    end_ms: int,
    *,
    kind: str = "trade",
) -> list[str]:
    """`check_rows` of the page given as its columns (API_FIELDS order, equal lengths): the
    same problems, without transposing rows a caller has as columns already."""
    _check_arguments(interval, kind)
    if len(columns) != len(API_FIELDS):
        return [f"page has {len(columns)} fields, expected {len(API_FIELDS)}"]
    if len(set(map(len, columns))) != 1:
        return ["page columns have different lengths"]
    if not columns[0]:
        return []
    return _check_columns(tuple(columns), interval, start_ms, end_ms, kind)


def _check_arguments(interval: str, kind: str) -> None:
    validate_interval(interval)
    if kind not in KINDS:
        raise InvalidRequest(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")


def _check_columns(
    columns: Columns, interval: str, start_ms: int, end_ms: int, kind: str
) -> list[str]:
    typed = _typed_columns(columns)
    if isinstance(typed, str):
        return [typed]
    finite = typed
    opens, close_times = columns[0], columns[1]
    floats = [columns[k] for k in _FLOATS]
    problems: list[str] = []

    def report(flags: Iterable[Any], what: str) -> None:
        flagged = list(flags)
        first, count = flagged.index(True), flagged.count(True)
        more = f" (and {count - 1} more rows)" if count > 1 else ""
        problems.append(f"{what} at open time {opens[first]} ({iso(opens[first])}){more}")

    # Each check is a cheap C-level test first; flags per row are built only when it fails.
    if _times_plausible(opens, close_times, report):
        _check_grid(opens, close_times, interval, start_ms, end_ms, report)
    if not finite:
        finite_rows = map(all, zip(*(map(isfinite, column) for column in floats), strict=True))
        report(map(not_, finite_rows), "non-finite value (NaN or infinity)")
    for failed, flags, what in _value_checks(columns, kind):
        if failed():
            report(flags(), what)
    return problems


Check = tuple[Callable[[], bool], Callable[[], Iterable[Any]], str]


def _value_checks(columns: Columns, kind: str) -> list[Check]:
    """(cheap test that something failed, per-row flags, what it is) of each value rule."""
    _, _, o, h, lo, c, v, q, n, tb, tq = columns
    checks: list[Check] = [
        (lambda: any(map(gt, lo, o)) or any(map(gt, lo, c)),
         lambda: map(or_, map(gt, lo, o), map(gt, lo, c)), "low above open or close"),
        (lambda: any(map(lt, h, o)) or any(map(lt, h, c)),
         lambda: map(or_, map(lt, h, o), map(lt, h, c)), "high below open or close"),
        (lambda: min(map(min, (v, q, tb, tq))) < 0,
         lambda: map(lt, map(min, v, q, tb, tq), repeat(0)), "negative volume"),
        (lambda: any(map(gt, tb, v)) or any(map(gt, tq, q)),
         lambda: map(or_, map(gt, tb, v), map(gt, tq, q)), "taker volume above total volume"),
        (lambda: min(n) < 0, lambda: map(lt, n, repeat(0)), "negative trade count"),
    ]  # fmt: skip
    if kind != "premium":  # premium index klines may be zero or negative
        checks.insert(2, (lambda: min(map(min, (o, h, lo, c))) <= 0,
                          lambda: map(le, map(min, o, h, lo, c), repeat(0)),
                          f"{kind} price not above zero"))  # fmt: skip
    return checks


Columns = tuple[Sequence[Any], ...]


def _typed_columns(columns: Columns) -> bool | str:
    """Whether all floats are finite, or what makes the columns unreadable as klines."""
    try:  # isfinite also rejects what is not a number (str, None) with a TypeError
        finite = all(all(map(isfinite, columns[k])) for k in _FLOATS)
    except TypeError:
        finite = False
    if all(set(map(type, columns[k])) <= {int} for k in _INTS) and finite:
        return True
    return _type_problem(columns) or False  # numbers, but some NaN or infinite


def _type_problem(columns: Columns) -> str | None:
    """The first value that is not an integer (times, trades) or a number (the rest)."""
    for name, column in zip(API_FIELDS, columns, strict=True):
        integral = name in ("open_time", "close_time", "trades")
        allowed = {int} if integral else _NUMBER
        if not set(map(type, column)) <= allowed:
            bad = next(i for i, x in enumerate(column) if type(x) not in allowed)
            kind = "an integer" if integral else "a number"
            return f"{name} {column[bad]!r} in row {bad} is not {kind}"
    return None


Report = Callable[[Iterable[Any], str], None]


def _times_plausible(opens: Sequence[int], close_times: Sequence[int], report: Report) -> bool:
    """Report timestamps outside 2009..2100, naming a seconds or microseconds mix-up."""
    ok = True
    for name, column in (("open_time", opens), ("close_time", close_times)):
        if min(column) >= MIN_TIME_MS and max(column) < MAX_TIME_MS:
            continue
        ok = False
        bad = next(x for x in column if not MIN_TIME_MS <= x < MAX_TIME_MS)
        if MIN_TIME_MS <= bad // 1000 < MAX_TIME_MS:
            what = f"{name} in microseconds instead of milliseconds"
        elif MIN_TIME_MS <= bad * 1000 < MAX_TIME_MS:
            what = f"{name} in seconds instead of milliseconds"
        else:
            what = f"{name} {bad} outside 2009..2100"
        report((not MIN_TIME_MS <= x < MAX_TIME_MS for x in column), what)
    return ok


def _check_grid(
    opens: Sequence[int],
    close_times: Sequence[int],
    interval: str,
    start_ms: int,
    end_ms: int,
    report: Report,
) -> None:
    if min(opens) < start_ms or max(opens) >= end_ms:
        outside = (not start_ms <= t < end_ms for t in opens)
        report(outside, f"open time outside the requested [{start_ms}, {end_ms})")
    if any(map(le, opens[1:], opens)):
        report((False, *map(le, opens[1:], opens)), "open time not after the previous one")
    if interval == "1M":
        _check_month_grid(opens, close_times, report)
    else:
        _check_fixed_grid(opens, close_times, interval, report)


_CLOSES_WRONG = "close_time is not the next open time minus 1 ms"


def _check_month_grid(opens: Sequence[int], close_times: Sequence[int], report: Report) -> None:
    if any(align_down(t, "1M") != t for t in opens):
        report((align_down(t, "1M") != t for t in opens), "open time not on the 1M grid")
    expected = [next_open(t, "1M") - 1 for t in opens]
    if any(map(ne, close_times, expected)):
        report(map(ne, close_times, expected), _CLOSES_WRONG)


def _check_fixed_grid(
    opens: Sequence[int], close_times: Sequence[int], interval: str, report: Report
) -> None:
    step = nominal_ms(interval)
    phase = _WEEK_PHASE_MS if interval == "1w" else 0
    if any(map(mod, map(sub, opens, repeat(phase)), repeat(step))):
        off_grid = map(ne, map(mod, map(sub, opens, repeat(phase)), repeat(step)), repeat(0))
        report(off_grid, f"open time not on the {interval} grid")
    if any(map(ne, map(sub, close_times, opens), repeat(step - 1))):
        report(map(ne, map(sub, close_times, opens), repeat(step - 1)), _CLOSES_WRONG)
