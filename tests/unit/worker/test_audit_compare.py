"""The audit's comparison of stored candles with REST and the archive, and its repair choice."""

from __future__ import annotations

from cl3_worker.audit.compare import Chunk, differences, repairs, verified

MIN = 60_000


def row(t: int, close: float = 10.0, volume: float = 5.0, trades: int = 7) -> tuple:
    return (t, t + MIN - 1, 9.0, 11.0, 8.0, close, volume, volume * close, trades, 1.0, 10.0)


def by_time(*rows: tuple) -> dict[int, tuple]:
    return {r[0]: r for r in rows}


def test_agreeing_sources_have_no_differences():
    same = by_time(row(0), row(MIN))
    chunk = Chunk(same, dict(same), dict(same))
    assert list(differences(chunk)) == [] and repairs(chunk) == []


def test_one_field_changed_on_one_source_is_one_difference_per_field():
    stored = by_time(row(0), row(MIN))
    rest = by_time(row(0), row(MIN, close=12.5))
    chunk = Chunk(stored, rest, dict(stored))
    found = list(differences(chunk))
    # close and quote_volume (volume * close) differ on REST only
    assert [(d["open_time"], d["field"]) for d in found] == [(MIN, "close"), (MIN, "quote_volume")]
    assert found[0] == {"open_time": MIN, "field": "close", "stored": 10.0, "rest": 12.5,
                        "archive": 10.0}  # fmt: skip
    assert repairs(chunk) == [(rest[MIN], "rest")]  # they disagree: REST wins


def test_a_fix_on_both_sources_is_repaired_from_both():
    stored = by_time(row(0, trades=3))
    fixed = by_time(row(0, trades=9))
    chunk = Chunk(stored, fixed, dict(fixed))
    (only,) = differences(chunk)
    assert only == {"open_time": 0, "field": "trades", "stored": 3, "rest": 9, "archive": 9}
    assert repairs(chunk) == [(fixed[0], "rest_and_archive")]


def test_missing_candles_are_reported_once_and_inserted_from_a_source():
    stored = by_time(row(0))
    rest = by_time(row(0), row(MIN))
    chunk = Chunk(stored, rest, None)  # no archive file for this span
    assert list(differences(chunk)) == [
        {"open_time": MIN, "field": "candle", "stored": False, "rest": True, "archive": None}
    ]
    assert repairs(chunk) == [(rest[MIN], "rest")]


def test_a_candle_no_source_has_is_reported_and_kept():
    stored = by_time(row(0), row(MIN))
    chunk = Chunk(stored, by_time(row(0)), by_time(row(0)))
    assert list(differences(chunk)) == [
        {"open_time": MIN, "field": "candle", "stored": True, "rest": False, "archive": False}
    ]
    assert repairs(chunk) == []  # an audit never deletes


def test_the_archive_alone_repairs_when_rest_was_not_read():
    archive = by_time(row(0, volume=6.0))
    chunk = Chunk(by_time(row(0)), None, archive)
    assert {d["field"] for d in differences(chunk)} == {"volume", "quote_volume"}
    assert repairs(chunk) == [(archive[0], "archive")]


def test_verified_prefers_agreement_then_rest():
    a, b = row(0), row(0, close=11.0)
    assert verified(a, a) == (a, "rest_and_archive")
    assert verified(b, a) == (b, "rest")
    assert verified(None, a) == (a, "archive")
    assert verified(None, None) is None
