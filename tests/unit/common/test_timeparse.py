from __future__ import annotations

import pytest

from cl3_common.errors import InvalidRange, InvalidRequest
from cl3_common.timeparse import parse_time_ms


@pytest.mark.parametrize(
    "value",
    [
        "2024-01-01T00:00:00Z",
        "2024-01-01T00:00:00+00:00",
        "2024-01-01T01:00:00+01:00",
        "2024-01-01",
        1_704_067_200_000,
        "1704067200000",
    ],
)
def test_iso_and_epoch_ms_are_accepted(value):
    assert parse_time_ms(value, "start") == 1_704_067_200_000


@pytest.mark.parametrize("value", ["yesterday", True, None, [1], {"t": 1}])
def test_malformed_times_are_invalid_requests(value):
    with pytest.raises(InvalidRequest):
        parse_time_ms(value, "start")


def test_seconds_instead_of_milliseconds_is_an_invalid_range():
    with pytest.raises(InvalidRange, match="epoch milliseconds"):
        parse_time_ms(1_704_067_200, "start")
