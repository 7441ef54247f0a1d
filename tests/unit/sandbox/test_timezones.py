"""Binance's spot ``timeZone`` values: hours, or hours and minutes, within [-12:00, +14:00]."""

from __future__ import annotations

import pytest

from cl3_sandbox.exchange.errors import BinanceError
from cl3_sandbox.exchange.timezones import parse_time_zone

H, M = 3_600_000, 60_000


@pytest.mark.parametrize(
    ("raw", "offset"),
    [("0", 0), ("8", 8 * H), ("4", 4 * H), ("-1:00", -H), ("05:45", 5 * H + 45 * M),
     ("+08:00", 8 * H), ("-05:30", -(5 * H + 30 * M)), ("14:00", 14 * H), ("-12:00", -12 * H),
     ("-0:30", -30 * M), ("+14", 14 * H)],
)  # fmt: skip
def test_accepted_values(raw, offset):
    assert parse_time_zone(raw) == offset


@pytest.mark.parametrize(
    "raw", ["14:01", "-12:01", "15", "-13", "8:5", "08:60", "UTC", "Asia/Shanghai", "+", "",
            "8.5", "08:00:00", "1:2:3", "123"],
)  # fmt: skip
def test_rejected_values_are_binance_1130(raw):
    with pytest.raises(BinanceError) as err:
        parse_time_zone(raw)
    assert err.value.code == -1130
    assert err.value.msg == "Data sent for parameter 'timeZone' is not valid."
