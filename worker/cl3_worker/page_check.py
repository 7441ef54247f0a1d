"""The plausibility check every ingested page passes before any of it is stored.

A REST page or an archive file is checked as a whole (`cl3_common.derived.plausibility`:
prices and volumes consistent, open times on the grid and inside the page's range, timestamps
in milliseconds). The pager asks for a page that fails once more (a bad response can be a
transient fault of an edge server); if it fails again none of it is stored: a REST page becomes
a `RejectedPage` in the fetch result and a "failed" record in the fetch ledger, an archive file
is paged from REST instead (docs/architecture.md, "A page of klines").
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cl3_common.derived.candle import iso
from cl3_common.derived.plausibility import check_columns, check_rows
from cl3_common.intervals import align_down
from cl3_common.store import Row, SeriesKey
from cl3_common.store.rows import MICROS_THRESHOLD, to_ms
from cl3_worker.archive import ArchiveFile, period_end
from cl3_worker.page_screen import lists_surely_plausible, surely_plausible

log = logging.getLogger("cl3.worker.page_check")

IMPLAUSIBLE = "implausible_data"  # the error code of rejected pages (ledger, gaps)
MAX_PROBLEMS = 5  # per page in reports: the first few say what is wrong
_KLINE_FIELDS = 11  # the fields of a kline a stored row uses (Binance sends 12)
Columns = tuple[list[Any], ...]


@dataclass(frozen=True)
class RejectedPage:
    """A page that failed the check twice and was not stored."""

    start_ms: int
    end_ms: int  # exclusive
    source: str  # "rest" or "archive"
    problems: tuple[str, ...]

    @property
    def error(self) -> dict[str, str]:
        """The `{"code", "message"}` of the ledger record and of gaps it leaves."""
        return {
            "code": IMPLAUSIBLE,
            "message": f"the exchange served implausible candles for {iso(self.start_ms)} .. "
            f"{iso(self.end_ms)} twice; none were stored: {'; '.join(self.problems)}",
        }

    def as_dict(self) -> dict[str, Any]:
        return {"start": self.start_ms, "end": self.end_ms, "source": self.source,
                "problems": list(self.problems)}  # fmt: skip


class ImplausiblePage(Exception):
    """Raised by a page fetch whose page failed the check twice; carries the rejection."""

    def __init__(self, page: RejectedPage) -> None:
        super().__init__(page.error["message"])
        self.page = page


def rest_columns(klines: Sequence[Sequence[Any]]) -> tuple[Columns, list[str]]:
    """A REST page as the columns of its stored rows (the values `kline_to_row` gives,
    converted column by column in C: cheaper than row by row, and the check reads columns), or
    the problem when a kline cannot be read as one."""
    try:
        if klines and min(map(len, klines)) < _KLINE_FIELDS:
            raise IndexError(f"a kline has fewer than {_KLINE_FIELDS} fields")
        # Klines may carry more fields than a stored row uses: columns past the shortest go.
        raw = list(zip(*klines, strict=False)) or [()] * _KLINE_FIELDS
        opens, closes = list(map(int, raw[0])), list(map(int, raw[6]))
        if opens and max(max(opens), max(closes)) >= MICROS_THRESHOLD:  # µs, as some archives
            opens, closes = list(map(to_ms, opens)), list(map(to_ms, closes))
        o, h, lo, c, v, q = (list(map(float, raw[i])) for i in (1, 2, 3, 4, 5, 7))
        trades = list(map(int, raw[8]))
        tb, tq = list(map(float, raw[9])), list(map(float, raw[10]))
    except (ValueError, TypeError, IndexError, OverflowError) as e:
        return (), [f"unreadable kline: {type(e).__name__}: {str(e)[:80]}"]
    return (opens, closes, o, h, lo, c, v, q, trades, tb, tq), []


def page_problems(
    rows: Sequence[Row], interval: str, start_ms: int, end_ms: int, kind: str
) -> list[str]:
    """What is implausible in the page of [start_ms, end_ms) (the first few), or []."""
    return check_rows(rows, interval, start_ms, end_ms, kind=kind)[:MAX_PROBLEMS]


def checked_rest_rows(
    fetch: Callable[[], Sequence[Sequence[Any]]], key: SeriesKey, start_ms: int, end_ms: int
) -> list[Row]:
    """The page of [start_ms, end_ms) that `fetch` gets from REST, as rows, asked for once
    more when implausible; ImplausiblePage when it is implausible twice."""
    return list(zip(*checked_rest_columns(fetch, key, start_ms, end_ms), strict=True))


def checked_rest_columns(
    fetch: Callable[[], Sequence[Sequence[Any]]], key: SeriesKey, start_ms: int, end_ms: int
) -> Columns:
    """`checked_rest_rows`, as the columns of the rows."""
    problems: list[str] = []
    for attempt in (1, 2):
        columns, problems = rest_columns(fetch())
        screened = not problems and lists_surely_plausible(
            columns, key.interval, start_ms, end_ms, key.kind
        )
        if not problems and not screened:
            found = check_columns(columns, key.interval, start_ms, end_ms, kind=key.kind)
            problems = found[:MAX_PROBLEMS]
        if not problems:
            return columns
        log.warning("%s: implausible REST page at %d (attempt %d): %s",
                    key.label(), start_ms, attempt, "; ".join(problems))  # fmt: skip
    raise ImplausiblePage(RejectedPage(start_ms, end_ms, "rest", tuple(problems)))


def checked_file(
    load: Callable[[], ArchiveFile | None], key: SeriesKey, path: str, start_ms: int
) -> ArchiveFile | None:
    """The archive file holding `start_ms` that `load` downloads, downloaded once more when
    implausible; ImplausiblePage (source "archive") when it is implausible twice."""
    daily = "/daily/" in path
    first = align_down(start_ms, "1d" if daily else "1M")
    last = period_end(first, daily=daily)
    problems: list[str] = []
    for attempt in (1, 2):
        loaded = load()
        if loaded is None:
            return None
        sound = surely_plausible(loaded.columns, key.interval, first, last, key.kind)
        problems = [] if sound else page_problems(loaded.rows, key.interval, first, last, key.kind)
        if not problems:
            return loaded
        log.warning("archive %s: implausible candles (attempt %d): %s",
                    path, attempt, "; ".join(problems))  # fmt: skip
    raise ImplausiblePage(RejectedPage(first, last, "archive", tuple(problems)))
