"""The spans an audit walks, and the archive file each span is compared with.

The spans are a fetch's plan (`plan.plan_units`): whole past UTC days or months from the
archive for sub-day intervals, REST pages elsewhere; for a symbol REST no longer serves, the
archive's files alone (`plan.archive_units` with its edges). For each archive span the file
the stored candles were loaded from is preferred, so its recorded checksum can be re-checked:
a day loaded from its month's file is compared with that monthly file, and a month loaded day
by day with its daily files. A file with no record is compared all the same (`unrecorded`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cl3_common.exchange.markets import Market
from cl3_common.intervals import DAY_MS, align_down, count_candles
from cl3_common.store import SeriesKey
from cl3_worker.archive import file_path, period_end
from cl3_worker.plan import Unit, archive_units, plan_units

Recorded = Callable[[str], dict[str, Any] | None]


def audit_units(key: SeriesKey, start_ms: int, end_ms: int, *, now_ms: int, market: Market,
                on_rest: bool, recorded: Recorded) -> list[Unit]:  # fmt: skip
    if on_rest:
        planned = plan_units(key, start_ms, end_ms, now_ms=now_ms, use_archive=True,
                             limit=market.page_limit, max_span_ms=market.max_span_ms)  # fmt: skip
    else:
        planned = archive_units(key, start_ms, end_ms, now_ms=now_ms, edges=True)
    units: list[Unit] = []
    for unit in planned:
        if unit.archive_path is None or recorded(unit.archive_path) is not None:
            units.append(unit)
        elif is_daily(unit.archive_path):
            units.append(_from_month_file(key, unit, recorded) or unit)
        else:
            units.extend(_from_daily_files(key, unit, recorded) or [unit])
    return units


def is_daily(path: str) -> bool:
    return "/daily/" in path


def file_period(path: str, start_ms: int) -> tuple[int, int]:
    """[start, end) of the whole file holding `start_ms`."""
    first = align_down(start_ms, "1d" if is_daily(path) else "1M")
    return first, period_end(first, daily=is_daily(path))


def _from_month_file(key: SeriesKey, day: Unit, recorded: Recorded) -> Unit | None:
    month = file_path(key.symbol, key.interval, align_down(day.start_ms, "1M"), daily=False,
                      market=key.market, kind=key.kind)  # fmt: skip
    if recorded(month) is None:
        return None
    return Unit(day.start_ms, day.end_ms, day.expected, month)


def _from_daily_files(key: SeriesKey, month: Unit, recorded: Recorded) -> list[Unit] | None:
    days = [
        Unit(t, t + DAY_MS, count_candles(t, t + DAY_MS, key.interval),
             file_path(key.symbol, key.interval, t, daily=True, market=key.market,
                       kind=key.kind))
        for t in range(month.start_ms, month.end_ms, DAY_MS)
    ]  # fmt: skip
    if not any(recorded(d.archive_path or "") is not None for d in days):
        return None
    return days


def file_entry(
    path: str, record: dict[str, Any] | None, current: str | None, problem: str | None
) -> dict[str, Any]:
    """A file's line in the audit: its recorded and current checksum and what that means.

    `same` / `reuploaded`: the archive's current checksum equals / differs from the one
    recorded when the candles were loaded; `unrecorded`: loaded before checksums were recorded
    (or paged from REST); `missing`, `corrupt` or `unavailable`: the file cannot be compared
    now (`problem` says why).
    """
    if problem is not None:
        status = problem
    elif record is None:
        status = "unrecorded"
    else:
        status = "same" if record["sha256"] == current else "reuploaded"
    return {
        "path": path,
        "status": status,
        "recorded_sha256": record["sha256"] if record else None,
        "current_sha256": current,
        "loaded_at": record["loaded_at"] if record else None,
    }
