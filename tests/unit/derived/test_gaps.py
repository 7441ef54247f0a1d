from __future__ import annotations

import random

import pytest

from cl3_common.derived.gaps import (
    CAUSES,
    EXCHANGE_OUTAGE,
    FAILED,
    NO_DATA,
    NOT_FETCHED,
    UNVERIFIED,
    FetchRecord,
    Hole,
    find_holes,
    label_gaps,
    merge_ledger,
    normalise_ledger,
    uncovered,
)
from cl3_common.errors import InvalidRequest
from tests.unit.derived.support import MINUTE, T0, ms

M = MINUTE
BOOM = {"code": "unavailable", "message": "exchange answered 503 five times"}
OTHER = {"code": "invalid_symbol", "message": "delisted"}


def at(*minutes: int) -> list[int]:
    return [T0 + m * M for m in minutes]


def done(a: int, b: int, when: int = 1) -> FetchRecord:
    return FetchRecord(T0 + a * M, T0 + b * M, "complete", None, when)


def failed(a: int, b: int, when: int = 1, error: dict | None = BOOM) -> FetchRecord:
    return FetchRecord(T0 + a * M, T0 + b * M, "failed", error, when)


def gap(a: int, b: int, cause: str, **extra) -> dict:
    return {"start": T0 + a * M, "end": T0 + b * M, "missing": b - a, "cause": cause, **extra}


# --- find_holes ---------------------------------------------------------------------------


def test_holes_inside_at_the_edges_and_their_counts():
    holes = find_holes(at(1, 2, 4, 5, 8), "1m", T0, T0 + 10 * M)
    assert holes == [
        Hole(T0, T0 + M, 1, before=False, after=True),  # leading: nothing stored before
        Hole(T0 + 3 * M, T0 + 4 * M, 1),
        Hole(T0 + 6 * M, T0 + 8 * M, 2),
        Hole(T0 + 9 * M, T0 + 10 * M, 1, before=True, after=False),  # trailing
    ]
    assert holes[2].as_dict() == {"start": T0 + 6 * M, "end": T0 + 8 * M, "missing": 2}


def test_no_holes_empty_series_and_unaligned_range():
    assert find_holes(at(0, 1, 2), "1m", T0, T0 + 3 * M) == []
    assert find_holes([], "1m", T0, T0 + 5 * M) == [Hole(T0, T0 + 5 * M, 5, False, False)]
    # The range starts and ends mid-candle: only open times inside it count.
    assert find_holes(at(2), "1m", T0 + 30_000, T0 + 4 * M + 1) == [
        Hole(T0 + M, T0 + 2 * M, 1, False, True),
        Hole(T0 + 3 * M, T0 + 5 * M, 2, True, False),
    ]
    assert find_holes([], "1m", T0, T0) == []


def test_stored_neighbours_outside_the_range_bound_the_edge_holes():
    holes = find_holes(at(-3, 2, 12), "1m", T0, T0 + 5 * M)
    assert [(h.start, h.before, h.after) for h in holes] == [
        (T0, True, True),
        (T0 + 3 * M, True, True),
    ]
    told = find_holes(at(2), "1m", T0, T0 + 5 * M, stored_before=True, stored_after=True)
    assert all(h.before and h.after for h in told)


def test_month_holes_count_calendar_months():
    opens = [ms("2024-01-01T00:00:00Z"), ms("2024-04-01T00:00:00Z")]
    holes = find_holes(opens, "1M", ms("2024-01-01T00:00:00Z"), ms("2024-07-01T00:00:00Z"))
    assert holes == [
        Hole(ms("2024-02-01T00:00:00Z"), ms("2024-04-01T00:00:00Z"), 2),
        Hole(ms("2024-05-01T00:00:00Z"), ms("2024-07-01T00:00:00Z"), 2, True, False),
    ]


def test_find_holes_agrees_with_a_set_difference():
    rng = random.Random(4)
    for interval, step in (("1m", M), ("1h", 60 * M), ("1w", 7 * 1440 * M)):
        grid = [T0 + k * step for k in range(300)]  # T0 is a Monday: on the 1w grid too
        stored = [t for t in grid if rng.random() < 0.7]
        holes = find_holes(stored, interval, T0, T0 + 300 * step)
        missing = {h.start + k * step for h in holes for k in range(h.missing)}
        assert missing == set(grid) - set(stored)
        assert all(h.end == h.start + h.missing * step for h in holes)


# --- the ledger ---------------------------------------------------------------------------


def test_fetch_records_validate_and_round_trip():
    with pytest.raises(InvalidRequest):
        FetchRecord(T0, T0, "complete")
    with pytest.raises(InvalidRequest):
        FetchRecord(T0, T0 + 1, "partial")  # type: ignore[arg-type]
    rec = failed(0, 5, when=9)
    assert rec.as_doc() == {"start": T0, "end": T0 + 5 * M, "outcome": "failed", "error": BOOM,
                            "at": 9}  # fmt: skip
    assert FetchRecord.from_doc(rec.as_doc()) == rec


def test_adjacent_complete_pages_coalesce():
    pages = [done(k * 10, k * 10 + 10, when=k) for k in range(100)]
    assert normalise_ledger(pages) == [done(0, 1000, when=99)]
    assert merge_ledger([done(0, 10)], done(20, 30, when=2)) == [done(0, 10), done(20, 30, 2)]


def test_later_records_win_over_earlier_ones():
    assert normalise_ledger([done(0, 10, when=1), failed(3, 5, when=2)]) == [
        done(0, 3, when=1),
        failed(3, 5, when=2),
        done(5, 10, when=1),
    ]
    # A successful re-fetch clears the failure (and the pieces coalesce again).
    assert merge_ledger([done(0, 3), failed(3, 5, 2), done(5, 10)], done(2, 6, when=3)) == [
        done(0, 10, when=3)
    ]
    # An older record arriving late loses where they overlap.
    assert normalise_ledger([failed(0, 10, when=5), done(5, 20, when=1)]) == [
        failed(0, 10, when=5),
        done(10, 20, when=1),
    ]
    # Same time: the later in the list wins.
    assert normalise_ledger([done(0, 10, when=1), failed(0, 10, when=1)]) == [failed(0, 10, 1)]


def test_failures_with_different_errors_stay_apart():
    ledger = normalise_ledger([failed(0, 5, error=BOOM), failed(5, 9, error=OTHER)])
    assert [(r.start_ms, r.error) for r in ledger] == [(T0, BOOM), (T0 + 5 * M, OTHER)]


def test_uncovered_spans():
    ledger = [done(2, 4), failed(6, 8)]
    assert uncovered(T0, T0 + 10 * M, ledger, "1m") == [
        (T0, T0 + 2 * M),
        (T0 + 4 * M, T0 + 6 * M),
        (T0 + 8 * M, T0 + 10 * M),
    ]
    assert uncovered(T0 + 2 * M, T0 + 4 * M, ledger, "1m") == []
    assert uncovered(T0, T0 + 3 * M, [], "1m") == [(T0, T0 + 3 * M)]


# --- label_gaps ---------------------------------------------------------------------------


def labels(opens: list[int], ledger: list[FetchRecord], end: int = 10) -> list[dict]:
    return label_gaps(find_holes(opens, "1m", T0, T0 + end * M), ledger, "1m")


def test_each_cause():
    stored = at(0, 1, 2, 5, 6, 7, 8, 9)  # hole 3..5
    assert labels(stored, [done(0, 10)]) == [gap(3, 5, EXCHANGE_OUTAGE)]
    assert labels(stored, [done(0, 10), failed(0, 10, when=2)]) == [gap(3, 5, FAILED, error=BOOM)]
    assert labels(stored, []) == [gap(3, 5, UNVERIFIED)]  # stored with no fetch on record
    # The candles around it were fetched, the hole never was.
    assert labels(stored, [done(0, 3), done(5, 10)]) == [gap(3, 5, NOT_FETCHED)]
    # One neighbour of unknown provenance is enough to make the hole unverified.
    assert labels(stored, [done(5, 10)]) == [gap(3, 5, UNVERIFIED)]


def test_edges_of_a_completed_fetch_are_no_data_not_an_outage():
    # Fetched from 0 but the exchange's first candle is at 4 (listing) and nothing after 7.
    assert labels(at(4, 5, 6, 7), [done(0, 10)]) == [gap(0, 4, NO_DATA), gap(8, 10, NO_DATA)]
    assert labels(at(4, 5), []) == [gap(0, 4, NOT_FETCHED), gap(6, 10, NOT_FETCHED)]


def test_a_hole_is_split_where_the_ledger_changes():
    stored = at(0, 9)  # hole 1..9
    ledger = [done(0, 3), failed(3, 5, error=BOOM), failed(5, 6, error=OTHER), done(7, 10)]
    assert labels(stored, ledger) == [
        gap(1, 3, EXCHANGE_OUTAGE),
        gap(3, 5, FAILED, error=BOOM),
        gap(5, 6, FAILED, error=OTHER),
        gap(6, 7, NOT_FETCHED),  # both neighbours (0 and 9) were fetched
        gap(7, 9, EXCHANGE_OUTAGE),
    ]


def test_ledger_edges_off_the_grid_cover_candles_by_open_time():
    # A fetch of [00:00:30, 00:03:30) covers the candles opening at 1, 2 and 3.
    ledger = [FetchRecord(T0 + 30_000, T0 + 3 * M + 30_000, "complete", None, 1)]
    assert labels(at(0, 6), ledger, end=7) == [
        gap(1, 4, EXCHANGE_OUTAGE),
        gap(4, 6, UNVERIFIED),  # candle 0 has no fetch on record
    ]


def test_failed_without_a_recorded_error_still_says_so():
    [label] = labels(at(0, 9), [failed(0, 10, error=None)])
    assert label["cause"] == FAILED and label["error"]["code"] == "internal"


def test_labels_keep_the_old_gap_shape():
    for label in labels(at(0, 4, 9), [done(0, 3), failed(5, 7)]):
        assert set(label) - {"cause", "error"} == {"start", "end", "missing"}
        assert label["cause"] in CAUSES
        assert ("error" in label) == (label["cause"] == FAILED)


def _brute_cause(t: int, stored: set[int], records: list[FetchRecord]) -> str:
    """The cause of one missing candle, from the raw (unnormalised) ledger."""

    def winner(x: int) -> FetchRecord | None:
        covering = [(r.at_ms, k, r) for k, r in enumerate(records) if r.start_ms <= x < r.end_ms]
        return max(covering, key=lambda c: (c[0], c[1]))[2] if covering else None

    prev = max((s for s in stored if s < t), default=None)
    nxt = min((s for s in stored if s > t), default=None)
    bounded = prev is not None and nxt is not None
    rec = winner(t)
    if rec is None:
        # The neighbours of the hole are the stored candles right around it.
        unknown = bounded and (winner(prev) is None or winner(nxt) is None)
        return UNVERIFIED if unknown else NOT_FETCHED
    if rec.outcome == "failed":
        return FAILED
    return EXCHANGE_OUTAGE if bounded else NO_DATA


@pytest.mark.parametrize("seed", range(25))
def test_labels_agree_with_a_per_candle_brute_force(seed):
    rng = random.Random(seed)
    stored = sorted(rng.sample(range(60), rng.randrange(0, 50)))
    records = []
    for _ in range(rng.randrange(0, 8)):
        a = rng.randrange(0, 58)
        b = rng.randrange(a + 1, 61)
        if rng.random() < 0.5:
            records.append(done(a, b, when=rng.randrange(5)))
        else:
            records.append(failed(a, b, when=rng.randrange(5), error=rng.choice([BOOM, OTHER])))
    got = labels(at(*stored), records, end=60)
    per_candle = {}
    for label in got:
        for k in range(label["missing"]):
            per_candle[label["start"] + k * M] = label["cause"]
    missing = [m for m in range(60) if m not in stored]
    assert sorted(per_candle) == at(*missing)
    stored_ms = set(at(*stored))
    for m in missing:
        assert per_candle[T0 + m * M] == _brute_cause(T0 + m * M, stored_ms, records), m
