from __future__ import annotations

from cl3_worker.gaps import find_gaps
from cl3_worker.pager import Page, incomplete_pages, plan_pages

MIN = 60_000


def test_pages_cover_the_range_in_thousands_without_overlap():
    pages = plan_pages(0, 2500 * MIN, "1m")
    assert [(p.start_ms, p.end_ms, p.expected) for p in pages] == [
        (0, 1000 * MIN, 1000), (1000 * MIN, 2000 * MIN, 1000), (2000 * MIN, 2500 * MIN, 500)]


def test_an_unaligned_start_begins_at_the_next_open_time():
    assert plan_pages(30_000, 3 * MIN, "1m")[0] == Page(MIN, 3 * MIN, 2)


def test_only_pages_missing_candles_are_fetched_again():
    pages = plan_pages(0, 3000 * MIN, "1m")
    stored = [t * MIN for t in range(1000)] + [t * MIN for t in range(2000, 2999)]
    assert incomplete_pages(pages, stored) == [pages[1], pages[2]]
    assert incomplete_pages(pages, [t * MIN for t in range(3000)]) == []


def test_gaps_are_reported_between_stored_candles():
    times = [0, MIN, 5 * MIN, 6 * MIN, 9 * MIN]
    gaps, seen = find_gaps(times, "1m")
    assert seen == 5
    assert gaps == [{"start": 2 * MIN, "end": 5 * MIN, "missing": 3},
                    {"start": 7 * MIN, "end": 9 * MIN, "missing": 2}]
