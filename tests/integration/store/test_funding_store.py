"""The funding store contract: both backends store, read and bound funding events alike."""

from __future__ import annotations

from cl3_common.store import FundingBounds, FundingKey, FundingRow, Stores

HOUR = 3_600_000
START = 1_719_705_600_000  # 2024-06-30 00:00 UTC
ETH = FundingKey("usdm", "ETHUSDT")
BTC = FundingKey("usdm", "BTCUSDT")
BTC_COINM = FundingKey("coinm", "BTCUSD_PERP")


def events(start: int, hours: list[int], *, mark: bool = True) -> list[FundingRow]:
    """Events every `hours[i]` hours, a few ms late like Binance's, with their intervals."""
    rows, t = [], start
    for i, h in enumerate(hours):
        t += h * HOUR
        rows.append((t + i % 7, 0.0001 * (i + 1), 3400.5 + i if mark else None, h))
    return rows


def test_insert_counts_new_events_and_reads_them_back_exactly(any_stores: Stores):
    funding = any_stores.funding
    rows = events(START, [8, 8, 8, 4, 4, 4, 4])
    assert funding.insert(ETH, rows[:4]) == 4
    assert funding.insert(ETH, rows[2:]) == 3  # two already stored
    assert funding.insert(ETH, rows) == 0
    assert funding.insert(ETH, []) == 0
    assert funding.read(ETH, START, START + 10 * 24 * HOUR) == rows
    assert funding.read(ETH, rows[2][0], rows[5][0]) == rows[2:5]
    assert funding.read(ETH, START, START + 10 * 24 * HOUR, limit=2) == rows[:2]
    assert funding.read(BTC, START, START + 10 * 24 * HOUR) == []
    assert [r[3] for r in funding.read(ETH, START, START + 10 * 24 * HOUR)] == [8, 8, 8, 4, 4, 4, 4]


def test_a_stored_event_only_gains_what_it_lacked(any_stores: Stores):
    funding = any_stores.funding
    archive = [(t, rate, None, None) for t, rate, _, _ in events(START, [8, 8])]
    rest = events(START, [8, 8])
    assert funding.insert(ETH, archive) == 2
    assert funding.insert(ETH, [(t, 9.9, m, h) for t, _, m, h in rest]) == 0
    stored = funding.read(ETH, START, START + 24 * HOUR)
    # The mark price and interval are filled in; the stored rate stays what it was.
    assert stored == [
        (t, rate, m, h) for (t, rate, _, _), (_, _, m, h) in zip(archive, rest, strict=True)
    ]
    assert funding.bounds(ETH) == FundingBounds("usdm", "ETHUSDT", rest[0][0], rest[1][0], 2)


def test_previous_event_bounds_and_listing(any_stores: Stores):
    funding = any_stores.funding
    assert funding.bounds(ETH) is None and funding.list_series() == []
    assert funding.previous(ETH, START + 10**9) is None
    rows = events(START, [8, 8, 8])
    funding.insert(ETH, rows)
    funding.insert(BTC_COINM, events(START, [8], mark=False))
    funding.insert(BTC, events(START, [8]))
    assert funding.previous(ETH, rows[2][0]) == rows[1]
    assert funding.previous(ETH, rows[0][0]) is None
    assert funding.previous(ETH, rows[2][0] + 1) == rows[2]
    assert [(b.market, b.symbol, b.count) for b in funding.list_series()] == [
        ("coinm", "BTCUSD_PERP", 1), ("usdm", "BTCUSDT", 1), ("usdm", "ETHUSDT", 3)]  # fmt: skip
    assert [b.symbol for b in funding.list_series(market="usdm")] == ["BTCUSDT", "ETHUSDT"]
    assert [b.market for b in funding.list_series(symbol="BTCUSD_PERP")] == ["coinm"]
    assert funding.read(BTC_COINM, START, START + 9 * HOUR)[0][2] is None


def test_tracked_funding_series(any_stores: Stores):
    funding = any_stores.funding
    assert funding.tracked() == []
    funding.track(ETH, first_ms=START)
    funding.track(ETH, first_ms=START - HOUR)  # once, whatever is asked again
    funding.track(BTC_COINM)
    assert funding.tracked() == [BTC_COINM, ETH]
    # Tracking alone stores no event: the series is not listed until something is stored.
    assert funding.list_series() == [] and funding.bounds(ETH) is None
    funding.insert(ETH, events(START, [8]))
    assert funding.tracked() == [BTC_COINM, ETH] and funding.bounds(ETH) is not None
