"""What both candle stores derive the same way from their own range primitives."""

from __future__ import annotations

from cl3_common.derived.gaps import Hole
from cl3_common.derived.resample import Aggregate, aggregate_rows
from cl3_common.store.holes import holes_by_counting
from cl3_common.store.keys import SeriesKey
from cl3_common.store.rows import Row, SeriesBounds


class CandleStoreBase:
    """Needs `count`, `open_times`, `read` and `_stored_series` from the backend."""

    # Whether a series' kept count always equals its stored candles. MongoDB's is not: an
    # insert cut off by an outage may store part of its batch without counting it (no
    # transaction), and the retry sees those candles as duplicates.
    kept_count_is_exact = False

    def read(
        self, key: SeriesKey, start_ms: int, end_ms: int, limit: int | None = None
    ) -> list[Row]:
        raise NotImplementedError

    def aggregate(self, key: SeriesKey, bounds: list[tuple[int, int]]) -> list[Aggregate]:
        """The plain way: one range read, then the buckets reduced in Python."""
        if not bounds:
            return []
        return aggregate_rows(self.read(key, bounds[0][0], bounds[-1][1]), bounds)

    def count(
        self, key: SeriesKey, start_ms: int, end_ms: int, *, at_most: int | None = None
    ) -> int:
        raise NotImplementedError

    def open_times(self, key: SeriesKey, start_ms: int, end_ms: int) -> list[int]:
        raise NotImplementedError

    def list_series(
        self,
        *,
        market: str | None = None,
        kind: str | None = None,
        symbol: str | None = None,
        interval: str | None = None,
    ) -> list[SeriesBounds]:
        return self._stored_series(
            given(market=market, kind=kind, symbol=symbol, interval=interval)
        )

    def _stored_series(self, equal: dict[str, str]) -> list[SeriesBounds]:
        """Series with candles stored whose fields have these values, ordered by market,
        kind, symbol and interval."""
        raise NotImplementedError

    def holes(
        self, key: SeriesKey, start_ms: int, end_ms: int, *, stored: int | None = None
    ) -> tuple[list[Hole], int]:
        if stored is None and self.kept_count_is_exact:
            # A range holding the whole series (a first fetch) holds its kept count: no count
            # over the range's candles at all (a year of 1m: ~0.1 s in SQLite).
            bounds = self.bounds(key)
            if bounds is None:
                stored = 0
            elif start_ms <= bounds.first_open_time and bounds.last_open_time < end_ms:
                stored = bounds.count
        # Counts of a range are index counts on both backends (on mongod as in SQLite).
        return holes_by_counting(
            key.interval, start_ms, end_ms,
            lambda lo, hi: self.count(key, lo, hi), lambda lo, hi: self.open_times(key, lo, hi),
            stored=stored,
        )  # fmt: skip

    def recount(self, key: SeriesKey) -> int:
        """Where the kept count is exact there is nothing to correct."""
        assert self.kept_count_is_exact, "a backend without an exact count recounts itself"
        found = self.bounds(key)
        return 0 if found is None else found.count

    def bounds(self, key: SeriesKey) -> SeriesBounds | None:
        found = self.list_series(
            market=key.market, kind=key.kind, symbol=key.symbol, interval=key.interval
        )
        return found[0] if found else None


def given(**fields: str | None) -> dict[str, str]:
    """The filters a caller set (None: any value)."""
    return {name: value for name, value in fields.items() if value is not None}
