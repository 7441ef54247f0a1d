"""`cl3 store copy`: SQLite to MongoDB and back, resumable, verified by counts."""

from __future__ import annotations

from pathlib import Path

import pytest

from cl3_cli import store_copy
from cl3_cli.main import main
from cl3_common.derived.gaps import FetchRecord
from cl3_common.store import FundingKey, SeriesKey, kline_to_row, open_store_url
from cl3_sandbox.exchange import expected_klines

START = 1_704_067_200_000
MINUTE = 60_000
BTC, ETH_MARK = SeriesKey("BTCUSDT", "1m"), SeriesKey("ETHUSDT", "1m", "usdm", "mark")
LEDGER = [
    FetchRecord(START, START + 1_000 * MINUTE, "complete", None, START + 1),
    FetchRecord(START + 1_000 * MINUTE, START + 2_000 * MINUTE, "failed",
                {"code": "implausible_data", "message": "negative volume"}, START + 2),
]  # fmt: skip
FILE = "/data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01-01.zip"
ETH_FUNDING = FundingKey("usdm", "ETHUSDT")
FUNDING = [(START + i * 4 * 3_600_000 + 3, 0.0001 * i, 3000.0 + i, 4 if i else None)
           for i in range(50)]  # fmt: skip
FUNDING_ASKED = FetchRecord(START - 86_400_000, FUNDING[-1][0] + 1, "complete", at_ms=START)


def _fill(url: str) -> dict[SeriesKey, list]:
    stores = open_store_url(url)
    stored = {}
    try:
        for key, n in ((BTC, 3_000), (ETH_MARK, 700)):
            raw = expected_klines(key.symbol, "1m", START, START + n * MINUTE - 1,
                                  now_ms=START + 10**12)  # fmt: skip
            rows = [kline_to_row(r) for r in raw]
            stores.candles.insert(key, rows)
            stored[key] = rows
        stores.tasks.create("task-1", owner="u1", task_type="fetch", params={"symbol": "BTCUSDT"})
        stores.tasks.update("task-1", status="finished", result={"candles_written": 3000})
        stores.series.track(BTC, first_ms=START)
        stores.analyses.save(SeriesKey("BTCUSDT", "1h"), {"candles": 5}, b"\x89PNG-bytes")
        stores.ledger.record(BTC, *LEDGER)
        stores.archive_files.record(FILE, "ab" * 32, rows=1440, at_ms=START + 5)
        stores.funding.insert(ETH_FUNDING, FUNDING)
        stores.funding.track(ETH_FUNDING)
        stores.funding_ledger.record(ETH_FUNDING, FUNDING_ASKED)
    finally:
        stores.close()
    return stored


def _check(url: str, stored: dict[SeriesKey, list]) -> None:
    stores = open_store_url(url)
    try:
        for key, rows in stored.items():
            assert stores.candles.read(key, 0, 2**62) == rows
        task = stores.tasks.get("task-1")
        assert task is not None and task["result"] == {"candles_written": 3000}
        assert stores.series.all() == [BTC]
        assert stores.analyses.heatmap(SeriesKey("BTCUSDT", "1h")) == b"\x89PNG-bytes"
        assert stores.ledger.records(BTC, 0, 2**62) == LEDGER  # gaps keep their causes
        assert stores.archive_files.get(FILE) == {
            "path": FILE,
            "sha256": "ab" * 32,
            "rows": 1440,
            "loaded_at": START + 5,
        }
        assert stores.funding.read(ETH_FUNDING, 0, 2**62) == FUNDING
        assert stores.funding.tracked() == [ETH_FUNDING]
        assert stores.funding_ledger.records(ETH_FUNDING, 0, 2**62) == [FUNDING_ASKED]
    finally:
        stores.close()


def test_sqlite_to_mongodb_and_back(tmp_path: Path, mongo_uri: str, mongo_db_name: str, capsys):
    sqlite_url = f"sqlite://{tmp_path / 'from.sqlite3'}"
    mongo_url = f"{mongo_uri.rstrip('/')}/{mongo_db_name}"
    stored = _fill(sqlite_url)
    assert main(["store", "copy", "--from", sqlite_url, "--to", mongo_url]) == 0
    assert "verified" in capsys.readouterr().out
    _check(mongo_url, stored)
    back = f"sqlite://{tmp_path / 'back.sqlite3'}"
    assert main(["store", "copy", "--from", mongo_url, "--to", back]) == 0
    _check(back, stored)


def test_an_interrupted_copy_resumes_where_it_stopped(tmp_path: Path, monkeypatch, capsys):
    source, target = f"sqlite://{tmp_path / 'a.sqlite3'}", f"sqlite://{tmp_path / 'b.sqlite3'}"
    stored = _fill(source)
    monkeypatch.setattr(store_copy, "CHUNK", 500)
    real_insert_calls = []

    def interrupt_after_three_chunks(original):
        def insert(key, rows):
            if len(real_insert_calls) == 3:
                raise KeyboardInterrupt
            real_insert_calls.append(len(rows))
            return original(key, rows)

        return insert

    src, dst = open_store_url(source), open_store_url(target)
    dst.candles.insert = interrupt_after_three_chunks(dst.candles.insert)  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        store_copy.copy_stores(src, dst)
    src.close()
    dst.close()
    partial = open_store_url(target)
    bounds = partial.candles.bounds(BTC)
    partial.close()
    assert bounds is not None and bounds.count == 1_500

    assert main(["store", "copy", "--from", source, "--to", target]) == 0
    printed = capsys.readouterr().out
    # It did not start over: 1,500 left of BTCUSDT and 700 of ETHUSDT were written.
    assert "2,200 candles written" in printed
    _check(target, stored)


def test_a_count_mismatch_fails_the_copy(tmp_path: Path, capsys):
    source, target = f"sqlite://{tmp_path / 'a.sqlite3'}", f"sqlite://{tmp_path / 'b.sqlite3'}"
    _fill(source)
    dst = open_store_url(target)
    dst.candles.insert = lambda key, rows: 0  # type: ignore[method-assign]  # loses everything
    report = store_copy.copy_stores(open_store_url(source), dst)
    assert len(report.mismatches) == 2 and "source 3000, target 0" in report.mismatches[0]


def test_bad_urls_are_refused():
    with pytest.raises(ValueError, match="unknown store URL"):
        open_store_url("postgres://x/y")
