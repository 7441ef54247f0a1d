"""Data-quality fixtures over HTTP: what an audit and a plausibility check must catch."""

from __future__ import annotations

import pytest

from cl3_sandbox.exchange import (
    DEFAULT_GAPS,
    CandleEdit,
    PageCorruption,
    SandboxConfig,
    SandboxExchange,
    expected_klines,
)
from tests.integration.sandbox.support import (
    MIN,
    NOW_MS,
    NOW_S,
    Clock,
    archive,
    as_rest,
    checksum_matches,
    csv_rows,
    get,
)

JAN_2024 = 1_704_067_200_000
EDITED = JAN_2024 + 10 * MIN
DAILY = "/data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01-01.zip"


def klines(http, ex, path="/api/v3/klines", **params):
    params = {"symbol": "BTCUSDT", "interval": "1m", "startTime": JAN_2024, "limit": 30} | params
    r = get(http, ex, path, **params)
    assert r.status_code == 200, r.text
    return r.json()


def test_a_candle_changed_on_rest_only(http):
    edit = CandleEdit("BTCUSDT", "1m", EDITED, "close", 12345.67)
    config = SandboxConfig(clock=Clock(NOW_S), rest_edits=(edit,))
    with SandboxExchange(config) as ex:
        rest = {r[0]: r for r in klines(http, ex)}
        data, _ = archive(http, ex, DAILY)
        stored = {r[0]: r for r in map(as_rest, csv_rows(data))}
        assert rest[EDITED][4] == "12345.67000000" != stored[EDITED][4]
        assert [t for t in rest if rest[t] != stored[t]] == [EDITED]  # only that candle
        assert klines(http, ex) == expected_klines("BTCUSDT", "1m", JAN_2024, EDITED + 19 * MIN,
                                                   NOW_MS, config)  # fmt: skip
        ex.edit_rest_candle(CandleEdit("ETHUSDT", "1h", JAN_2024, "volume", 1.0))
        (eth,) = klines(http, ex, symbol="ETHUSDT", interval="1h", limit=1)
        assert eth[5] == "1.00000000"
        usdm = CandleEdit("BTCUSDT", "1m", JAN_2024, "high", 99999.9, market="usdm")
        ex.edit_rest_candle(usdm)
        assert klines(http, ex, "/fapi/v1/klines", limit=1)[0][2] == "99999.90"


def test_a_reuploaded_archive_has_new_bytes_and_checksum(http):
    with SandboxExchange(SandboxConfig(clock=Clock(NOW_S))) as ex:
        before, line_before = archive(http, ex, DAILY)
        ex.reupload_archive("BTCUSDT-1m-2024-01-01.zip")
        rezipped, line_rezipped = archive(http, ex, DAILY)
        assert rezipped != before and line_rezipped != line_before
        assert checksum_matches(rezipped, line_rezipped, "BTCUSDT-1m-2024-01-01.zip")
        assert csv_rows(rezipped) == csv_rows(before)  # same rows, a different file
        ex.reupload_archive("BTCUSDT-1m-2024-01-01.zip", {EDITED: {"close": 1.5, "volume": 2.0}})
        fixed, line_fixed = archive(http, ex, DAILY)
        assert checksum_matches(fixed, line_fixed, "BTCUSDT-1m-2024-01-01.zip")
        changed = [(a, b) for a, b in zip(csv_rows(before), csv_rows(fixed), strict=True)
                   if a != b]  # fmt: skip
        assert len(changed) == 1 and changed[0][1][4] == "1.50000000"
        assert changed[0][1][5] == "2.00000000"
        assert klines(http, ex, limit=11)[-1][4] == changed[0][0][4]  # REST keeps its value


@pytest.mark.parametrize("fault", ["high_below_low", "negative_volume", "off_grid",
                                   "bad_time_unit"])  # fmt: skip
def test_corrupt_pages_fail_a_plausibility_check(http, fault):
    corruption = PageCorruption("BTCUSDT", "1m", EDITED, EDITED + 2 * MIN, fault)
    config = SandboxConfig(clock=Clock(NOW_S), corrupt_pages=(corruption,))
    with SandboxExchange(config) as ex:
        page = klines(http, ex)
        good = expected_klines("BTCUSDT", "1m", JAN_2024, JAN_2024 + 29 * MIN, NOW_MS)
        bad = [i for i, (a, b) in enumerate(zip(page, good, strict=True)) if a != b]
        assert bad == [10, 11, 12]
        rows = [page[i] for i in bad]
        if fault == "high_below_low":
            assert all(float(r[2]) < float(r[3]) for r in rows)
        elif fault == "negative_volume":
            assert all(float(r[5]) < 0 for r in rows)
        elif fault == "off_grid":
            assert all(r[0] % MIN != 0 for r in rows)
        else:
            assert all(len(str(r[0])) == 10 for r in rows)  # seconds: neither ms nor µs
        assert klines(http, ex, startTime=JAN_2024 + 20 * MIN) == good[20:] + expected_klines(
            "BTCUSDT", "1m", JAN_2024 + 30 * MIN, JAN_2024 + 49 * MIN, NOW_MS
        )  # pages away from the range are sound
        data, _ = archive(http, ex, DAILY)
        assert [as_rest(r) for r in csv_rows(data)][:30] == good  # the archive is sound


def test_run_time_corruption_of_a_futures_page(http):
    with SandboxExchange(SandboxConfig(clock=Clock(NOW_S))) as ex:
        ex.corrupt_klines(PageCorruption("ETHUSDT", "1h", JAN_2024, JAN_2024, "negative_volume",
                                         market="usdm"))  # fmt: skip
        rows = klines(http, ex, "/fapi/v1/klines", symbol="ETHUSDT", interval="1h", limit=2)
        assert float(rows[0][5]) < 0 <= float(rows[1][5])
        ex.clear_quality_fixtures()
        rows = klines(http, ex, "/fapi/v1/klines", symbol="ETHUSDT", interval="1h", limit=1)
        assert float(rows[0][5]) > 0


def test_outage_gaps_are_kept():
    assert DEFAULT_GAPS == ((1_679_661_600_000, 1_679_666_400_000),)
    assert SandboxConfig().gaps == DEFAULT_GAPS


def test_fixture_values_are_checked():
    with pytest.raises(ValueError):
        PageCorruption("BTCUSDT", "1m", 0, 1, "upside_down")
    with pytest.raises(ValueError):
        CandleEdit("BTCUSDT", "1m", 0, "open_time", 1.0)
