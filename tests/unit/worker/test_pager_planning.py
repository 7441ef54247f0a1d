from __future__ import annotations

import itertools

from cl3_common.exchange.markets import COINM_MARKET
from cl3_common.store import SeriesKey
from cl3_worker.plan import Unit, archive_units, incomplete_units, plan_units, rest_pages

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
    units = plan_units(SeriesKey("BTCUSDT", "1m"), start, end, now_ms=end + DAY, use_archive=True)
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
        SeriesKey("ETHUSDT", "1h"),
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
    key = SeriesKey("BTCUSDT", "1h")
    units = plan_units(key, JAN_1_2024 + 9 * DAY, now, now_ms=now, use_archive=True)
    assert units[0].archive_path is not None and units[0].end_ms == JAN_1_2024 + 10 * DAY
    assert all(u.archive_path is None for u in units[1:])


def test_rest_pages_are_full_across_day_boundaries():
    # Two days and a half of 1m from 00:30 with no archive: 3,570 candles in 4 pages, not the
    # 1,000 + 440 per day that cutting at midnight would cost.
    start = JAN_1_2024 + 30 * MIN
    end = JAN_1_2024 + 2 * DAY + 12 * 60 * MIN
    units = plan_units(SeriesKey("BTCUSDT", "1m"), start, end, now_ms=end, use_archive=False)
    assert [u.expected for u in units] == [1000, 1000, 1000, 570]
    assert all(u.archive_path is None for u in units)


def test_rest_between_archive_files_is_paged_in_full_from_its_start():
    # Today (no archive file yet) and yesterday's file: REST covers today only, in full pages.
    now = JAN_1_2024 + 10 * DAY + 1300 * MIN
    units = plan_units(SeriesKey("BTCUSDT", "1m"), JAN_1_2024 + 9 * DAY, now, now_ms=now,
                       use_archive=True)  # fmt: skip
    assert units[0].archive_path and units[0].end_ms == JAN_1_2024 + 10 * DAY
    assert [u.expected for u in units[1:]] == [1000, 300]


def test_futures_files_follow_the_archive_layout():
    key = SeriesKey("BTCUSDT", "1m", "usdm", "mark")
    units = archive_units(
        key, JAN_1_2024, JAN_1_2024 + 31 * DAY + DAY, now_ms=JAN_1_2024 + 90 * DAY
    )
    assert [u.archive_path for u in units] == [
        "/data/futures/um/monthly/markPriceKlines/BTCUSDT/1m/BTCUSDT-1m-2024-01.zip",
        "/data/futures/um/daily/markPriceKlines/BTCUSDT/1m/BTCUSDT-1m-2024-02-01.zip",
    ]
    index = SeriesKey("BTCUSD", "5m", "coinm", "index")
    (unit,) = archive_units(index, JAN_1_2024, JAN_1_2024 + DAY, now_ms=JAN_1_2024 + 2 * DAY)
    assert unit.archive_path == (
        "/data/futures/cm/daily/indexPriceKlines/BTCUSD/5m/BTCUSD-5m-2024-01-01.zip"
    )


def test_archive_only_symbols_read_partial_days_and_long_intervals_from_files():
    key = SeriesKey("SRMUSDT", "1m", "usdm", "trade")
    start, end = JAN_1_2024 + 30 * MIN, JAN_1_2024 + 2 * DAY + 60 * MIN
    units = archive_units(key, start, end, now_ms=end + 40 * DAY, edges=True)
    assert [(u.start_ms, u.end_ms, u.expected) for u in units] == [
        (start, JAN_1_2024 + DAY, 1410),
        (JAN_1_2024 + DAY, JAN_1_2024 + 2 * DAY, 1440),
        (JAN_1_2024 + 2 * DAY, end, 60),
    ]
    daily = SeriesKey("SRMUSDT", "1d", "usdm", "trade")
    assert archive_units(daily, start, end, now_ms=end + 40 * DAY) == []  # REST does it better
    (month,) = archive_units(daily, start, end, now_ms=end + 40 * DAY, edges=True)
    assert month.archive_path.endswith("/monthly/klines/SRMUSDT/1d/SRMUSDT-1d-2024-01.zip")
    assert (month.start_ms, month.end_ms, month.expected) == (JAN_1_2024 + DAY, end, 2)


def test_coinm_pages_span_at_most_200_days():
    pages = rest_pages(JAN_1_2024, JAN_1_2024 + 500 * DAY, "1d", limit=COINM_MARKET.page_limit,
                       max_span_ms=COINM_MARKET.max_span_ms)  # fmt: skip
    assert [p.expected for p in pages] == [200, 200, 100]
    assert all(p.end_ms - 1 - p.start_ms <= 200 * DAY for p in pages)
    minutes = rest_pages(JAN_1_2024, JAN_1_2024 + DAY, "1m", limit=499, max_span_ms=200 * DAY)
    assert [p.expected for p in minutes] == [499, 499, 442]
