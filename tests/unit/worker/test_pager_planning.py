from __future__ import annotations

import itertools

from cl3_worker.plan import Unit, incomplete_units, plan_units, rest_pages

MIN = 60_000


def test_pages_cover_the_range_in_thousands_without_overlap():
    pages = rest_pages(0, 2500 * MIN, "1m")
    assert [(p.start_ms, p.end_ms, p.expected) for p in pages] == [
        (0, 1000 * MIN, 1000),
        (1000 * MIN, 2000 * MIN, 1000),
        (2000 * MIN, 2500 * MIN, 500),
    ]


def test_an_unaligned_start_begins_at_the_next_open_time():
    assert rest_pages(30_000, 3 * MIN, "1m")[0] == Unit(MIN, 3 * MIN, 2)


def test_only_pages_missing_candles_are_fetched_again():
    pages = rest_pages(0, 3000 * MIN, "1m")
    stored = [t * MIN for t in range(1000)] + [t * MIN for t in range(2000, 2999)]
    assert incomplete_units(pages, stored) == [pages[1], pages[2]]
    assert incomplete_units(pages, [t * MIN for t in range(3000)]) == []


DAY = 86_400_000
JAN_1_2024 = 1_704_067_200_000


def test_archive_plan_uses_whole_days_and_rest_pages_for_the_partial_ends():
    start, end = JAN_1_2024 + 30 * MIN, JAN_1_2024 + 45 * DAY + 90 * MIN
    units = plan_units("BTCUSDT", "1m", start, end, now_ms=end + DAY, use_archive=True)
    archived = [u.archive_path for u in units if u.archive_path]
    # Jan 1 from 00:30 is partial (REST); Jan 2 .. Feb 14 are whole days; Feb 15 is partial.
    assert archived[0].endswith("/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01-02.zip")
    assert archived[-1].endswith("BTCUSDT-1m-2024-02-14.zip") and len(archived) == 44
    assert [u.archive_path for u in units[:2]] == [None, None] and units[0].start_ms == start
    assert units[-1].archive_path is None and units[-1].end_ms == end
    assert sum(u.expected for u in units) == (end - start) // MIN
    assert all(a.end_ms == b.start_ms for a, b in itertools.pairwise(units))


def test_a_whole_past_month_is_one_monthly_file():
    units = plan_units(
        "ETHUSDT",
        "1h",
        JAN_1_2024,
        JAN_1_2024 + 31 * DAY,
        now_ms=JAN_1_2024 + 40 * DAY,
        use_archive=True,
    )
    assert [u.archive_path for u in units] == [
        "/data/spot/monthly/klines/ETHUSDT/1h/ETHUSDT-1h-2024-01.zip"
    ]
    assert units[0].expected == 31 * 24


def test_recent_days_not_yet_complete_are_paged_from_rest():
    now = JAN_1_2024 + 10 * DAY + 5 * MIN
    units = plan_units("BTCUSDT", "1h", JAN_1_2024 + 9 * DAY, now, now_ms=now, use_archive=True)
    assert units[0].archive_path is not None and units[0].end_ms == JAN_1_2024 + 10 * DAY
    assert all(u.archive_path is None for u in units[1:])
