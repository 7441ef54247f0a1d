"""Archive CSVs into stored rows: exact numbers, milliseconds, with or without a header."""

from __future__ import annotations

from cl3_common.store import kline_to_row
from cl3_worker.archive import parse_rows

SPOT_2025 = (
    b"1740787200000000,24200.62000000,24224.56000000,24188.79000000,24219.56000000,"
    b"7.10895000,1740787259999999,172096.18077338,209,4.80404000,116298.03786530,0\n"
    b"1740787260000000,0.10000000,0.30000000,0.09999999,0.20000001,"
    b"1e-8,1740787319999999,0.1,1,0,0,0\n"
)
FUTURES = (
    b"open_time,open,high,low,close,volume,close_time,quote_volume,count,"
    b"taker_buy_volume,taker_buy_quote_volume,ignore\n"
    b"1704067200000,42283.5,42300.1,42270.0,42290.9,120.123,1704067259999,5081234.5,1200,"
    b"60.5,2558000.25,0\n"
)


def test_microsecond_spot_rows_become_milliseconds_with_exact_numbers():
    rows = parse_rows(SPOT_2025)
    as_rest = [line.split(b",") for line in SPOT_2025.splitlines()]
    assert rows == [kline_to_row([f.decode() for f in fields]) for fields in as_rest]
    assert rows[0][:2] == (1_740_787_200_000, 1_740_787_259_999)
    assert rows[1][4] == 0.09999999 and rows[1][6] == 1e-8  # parsed like float(), to the bit


def test_futures_files_have_a_header_row():
    rows = parse_rows(FUTURES)
    assert rows == [(1_704_067_200_000, 1_704_067_259_999, 42283.5, 42300.1, 42270.0, 42290.9,
                     120.123, 5081234.5, 1200, 60.5, 2558000.25)]  # fmt: skip


def test_an_empty_file_has_no_rows():
    assert parse_rows(b"") == []
