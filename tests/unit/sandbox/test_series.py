"""The sandbox exchange's building blocks, in process: intervals, series, selection, limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import pytest

from cl3_sandbox.exchange import SandboxConfig, expected_klines, fastfmt, intervals
from cl3_sandbox.exchange.klines import select_opens
from cl3_sandbox.exchange.limits import WeightLimiter
from cl3_sandbox.exchange.render import klines_csv, klines_json
from cl3_sandbox.exchange.series import candles, log_price
from cl3_sandbox.exchange.sources import spot_series
from cl3_sandbox.exchange.symbols import DEFAULT_SYMBOLS, symbol_map

SYMBOLS = symbol_map(DEFAULT_SYMBOLS)
BTC = SYMBOLS["BTCUSDT"]
BTC_SERIES = spot_series(BTC)
MIN = 60_000
HOUR = 3_600_000
DAY = 86_400_000
NOW = 1_742_042_096_789  # 2025-03-15 12:34:56.789 UTC
JAN_2024 = 1_704_067_200_000
GAP = (1_679_661_600_000, 1_679_666_400_000)  # the default gap, 2023-03-24 12:40-14:00


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


def page(symbol: str, interval: str, start: int, count: int, now: int = NOW):
    opens = intervals.open_times(interval, intervals.floor_open(interval, start), count)
    return candles(SYMBOLS[symbol], interval, opens, now)


# ----- intervals -----


@pytest.mark.parametrize(
    ("interval", "t", "expected"),
    [
        ("1m", ms("2024-05-05 10:07:31"), ms("2024-05-05 10:07:00")),
        ("4h", ms("2024-05-05 10:07:31"), ms("2024-05-05 08:00:00")),
        ("1d", ms("2024-05-05 10:07:31"), ms("2024-05-05 00:00:00")),
        ("1w", ms("2024-05-05 10:07:31"), ms("2024-04-29 00:00:00")),  # a Sunday -> Monday
        ("1w", ms("2024-04-29 00:00:00"), ms("2024-04-29 00:00:00")),
        ("1M", ms("2024-02-29 23:59:59"), ms("2024-02-01 00:00:00")),
        ("3d", ms("2024-05-07 10:07:31"), ms("2024-05-05 00:00:00")),  # epoch-aligned
    ],
)
def test_floor_open_alignment(interval, t, expected):
    assert intervals.floor_open(interval, t) == expected
    assert intervals.floor_opens(interval, np.array([t]))[0] == expected


def test_weeks_open_on_monday_and_months_on_the_first():
    weeks = intervals.open_times("1w", intervals.floor_open("1w", JAN_2024), 60)
    assert {datetime.fromtimestamp(t / 1000, UTC).weekday() for t in weeks.tolist()} == {0}
    months = intervals.open_times("1M", ms("2023-11-01 00:00:00"), 15)
    dates = [datetime.fromtimestamp(t / 1000, UTC) for t in months.tolist()]
    assert all(d.day == 1 and d.hour == 0 for d in dates)
    assert [d.month for d in dates[:4]] == [11, 12, 1, 2]
    lengths = (intervals.next_opens("1M", months) - months) // DAY
    assert lengths[3] == 29 and set(lengths.tolist()) == {29, 30, 31}  # February 2024: leap
    assert intervals.open_times("3d", 0, 3).tolist() == [0, 3 * DAY, 6 * DAY]


@pytest.mark.parametrize("interval", intervals.INTERVALS)
def test_interval_arithmetic_round_trips(interval):
    first = intervals.ceil_open(interval, JAN_2024 + 1)
    run = intervals.open_times(interval, first, 5)
    assert run[0] == first and (np.diff(run) > 0).all()
    assert intervals.shift(interval, int(run[0]), 4) == run[4]
    assert intervals.shift(interval, int(run[4]), -4) == run[0]
    assert intervals.steps_between(interval, int(run[0]), int(run[4])) == 4
    index = intervals.candle_index(interval, run)
    assert (np.diff(index) == 1).all()
    assert intervals.index_open(interval, int(index[2])) == run[2]
    assert (intervals.next_opens(interval, run)[:-1] == run[1:]).all()


# ----- the synthetic series -----


@pytest.mark.parametrize("interval", ["1s", "1m", "15m", "1h", "1d", "1w", "1M"])
def test_candle_invariants(interval):
    for symbol in ("BTCUSDT", "ETHBTC", "XRPUSDT"):
        spec = SYMBOLS[symbol]
        start = intervals.ceil_open(interval, max(spec.listed_ms, ms("2018-06-01 00:00:00")))
        closed = intervals.steps_between(interval, start, intervals.floor_open(interval, NOW))
        c = page(symbol, interval, start, min(300, closed))
        assert (c.low > 0).all()
        assert (c.high >= np.maximum(c.open, c.close)).all()
        assert (c.low <= np.minimum(c.open, c.close)).all()
        assert (c.open[1:] == c.close[:-1]).all()  # open_t == close_{t-1}
        assert (c.close_time == intervals.next_opens(interval, c.open_time) - 1).all()
        assert (c.volume >= 0).all() and (c.taker_base <= c.volume).all()
        assert (c.trades >= 0).all() and c.trades.dtype == np.int64
        for col in (c.open, c.high, c.low, c.close):
            ticks = col / spec.tick
            assert np.allclose(ticks, np.round(ticks), atol=1e-6)


def test_series_is_deterministic_and_random_access():
    opens = intervals.open_times("1m", JAN_2024, 1000)
    whole = candles(BTC, "1m", opens, NOW)
    again = candles(BTC, "1m", opens, NOW)
    piece = candles(BTC, "1m", opens[[5, 500, 999]], NOW)
    assert klines_json(whole) == klines_json(again)
    rows = json.loads(klines_json(whole))
    assert json.loads(klines_json(piece)) == [rows[5], rows[500], rows[999]]


def test_each_symbol_has_its_own_series_and_seed_changes_everything():
    opens = intervals.open_times("1h", JAN_2024, 200)
    eth, sol = (
        candles(SYMBOLS["ETHUSDT"], "1h", opens, NOW),
        candles(SYMBOLS["SOLUSDT"], "1h", opens, NOW),
    )
    r_eth, r_sol = np.diff(np.log(eth.close)), np.diff(np.log(sol.close))
    assert abs(np.corrcoef(r_eth, r_sol)[0, 1]) < 0.5
    reseeded = candles(SYMBOLS["ETHUSDT"], "1h", opens, NOW, seed=1)
    assert not np.array_equal(eth.close, reseeded.close)


def test_listing_price_and_plausible_volatility():
    at_listing = float(np.exp(log_price(BTC, np.array([BTC.listed_ms]))[0]))
    assert at_listing == pytest.approx(BTC.price, rel=0.05)
    for interval, n in (("1m", 20_000), ("1h", 8_000), ("1d", 1_500)):
        c = page("BTCUSDT", interval, ms("2019-01-01 00:00:00"), n)
        r = np.log(c.close / c.open)
        target = BTC.vol_daily * np.sqrt(intervals.NOMINAL_MS[interval] / DAY)
        assert 0.5 * target < r.std() < 2 * target, interval


def _t_stats(r: np.ndarray, keys: np.ndarray, n_keys: int) -> np.ndarray:
    out = []
    for k in range(n_keys):
        x = r[keys == k]
        out.append(x.mean() / (x.std(ddof=1) / np.sqrt(len(x))))
    return np.array(out)


def test_hour_of_day_and_weekday_effects_are_visible():
    c = page("BTCUSDT", "1h", ms("2023-01-01 00:00:00"), 2 * 365 * 24)
    r = np.log(c.close / c.open)
    hours = (c.open_time % DAY) // HOUR
    weekdays = ((c.open_time - intervals.WEEK_OFFSET_MS) % intervals.WEEK_MS) // DAY
    assert np.abs(_t_stats(r, hours, 24)).max() > 3.5
    assert np.abs(_t_stats(r, weekdays, 7)).max() > 3.5
    # ...while a shuffled calendar shows nothing of the kind.
    shuffled = np.random.default_rng(0).permutation(hours)
    assert np.abs(_t_stats(r, shuffled, 24)).max() < 3.5


def test_volume_follows_the_intraday_cycle():
    c = page("ETHUSDT", "1h", ms("2024-01-01 00:00:00"), 90 * 24)
    hours = (c.open_time % DAY) // HOUR
    by_hour = np.array([c.volume[hours == h].mean() for h in range(24)])
    assert by_hour.max() > 1.5 * by_hour.min()


def test_the_open_candle_is_partial_and_becomes_the_full_candle():
    open_time = intervals.floor_open("1h", NOW)
    partial = candles(BTC, "1h", np.array([open_time]), NOW)
    full = candles(BTC, "1h", np.array([open_time]), NOW + 2 * HOUR)
    assert partial.open[0] == full.open[0]
    assert partial.volume[0] < full.volume[0]
    assert partial.close_time[0] == open_time + HOUR - 1


# ----- which candles a query selects -----


def test_select_forward_backward_and_latest():
    def select(start=None, end=None, limit=5, now=NOW):
        return select_opens(BTC_SERIES, "1m", start, end, limit, now, ()).tolist()

    assert select(start=JAN_2024 + 1) == [JAN_2024 + i * MIN for i in range(1, 6)]
    assert select(end=JAN_2024) == [JAN_2024 - i * MIN for i in range(4, -1, -1)]
    latest = intervals.floor_open("1m", NOW)
    assert select() == [latest - i * MIN for i in range(4, -1, -1)]  # ends with the open candle
    assert select(start=JAN_2024, end=JAN_2024 + 2 * MIN) == [JAN_2024 + i * MIN for i in range(3)]
    assert select(start=NOW + DAY) == []
    assert select(start=0, limit=1) == [BTC.listed_ms]  # nothing before the listing
    assert select(end=BTC.listed_ms - 1) == []


def test_gaps_are_skipped_not_walked_into():
    gaps = (GAP,)
    fwd = select_opens(BTC_SERIES, "1m", GAP[0] - 3 * MIN, None, 6, NOW, gaps).tolist()
    assert fwd == [
        GAP[0] - 3 * MIN,
        GAP[0] - 2 * MIN,
        GAP[0] - MIN,
        GAP[1],
        GAP[1] + MIN,
        GAP[1] + 2 * MIN,
    ]
    back = select_opens(BTC_SERIES, "1m", None, GAP[1] + MIN, 4, NOW, gaps).tolist()
    assert back == [GAP[0] - 2 * MIN, GAP[0] - MIN, GAP[1], GAP[1] + MIN]
    hourly = select_opens(BTC_SERIES, "1h", GAP[0] - HOUR, None, 3, NOW, gaps).tolist()
    assert GAP[0] // HOUR * HOUR + HOUR not in hourly  # the 13:00 candle opens inside the gap
    long_gap = ((JAN_2024, JAN_2024 + 400 * DAY),)
    jumped = select_opens(BTC_SERIES, "1m", JAN_2024 - MIN, None, 3, NOW, long_gap).tolist()
    assert jumped == [JAN_2024 - MIN, JAN_2024 + 400 * DAY, JAN_2024 + 400 * DAY + MIN]


def test_halted_symbol_has_history_only_until_its_halt():
    luna = SYMBOLS["LUNAUSDT"]
    assert luna.status == "BREAK" and luna.halted_ms is not None
    last = select_opens(spot_series(luna), "1h", None, None, 3, NOW, ()).tolist()
    assert last[-1] < luna.halted_ms <= last[-1] + HOUR


def test_expected_klines_matches_the_rendered_rows():
    cfg = SandboxConfig()
    rows = expected_klines("BTCUSDT", "1m", GAP[0] - 10 * MIN, GAP[1] + 10 * MIN, NOW, cfg)
    assert len(rows) == 21 and all(len(r) == 12 for r in rows)  # both ends inclusive
    assert all(not GAP[0] <= r[0] < GAP[1] for r in rows)
    opens = np.array([r[0] for r in rows])
    assert json.loads(klines_json(candles(BTC, "1m", opens, NOW))) == rows
    with pytest.raises(KeyError):
        expected_klines("NOPE", "1m", 0, 1, NOW)


# ----- text rendering -----


def test_vectorised_rendering_is_byte_identical_to_printf():
    rng = np.random.default_rng(7)
    for scale in (1.0, 1e4, 1e8, 1e12):
        v = np.round(rng.random(2000) * scale, int(rng.integers(0, 9)))
        v[:4] = [0.0, 0.999999996, 9999.99999999, 10_000.0]
        got = fastfmt.render_rows([fastfmt.Dec8(v), b",", fastfmt.Int(np.floor(v)), b"\n"], len(v))
        assert got == "".join(f"{x:.8f},{int(x)}\n" for x in v.tolist()).encode()
    odd = np.array([1.5, 2.0**60, 3.0])  # beyond 2**53: the per-value fallback
    got = fastfmt.render_rows([fastfmt.Dec8(odd), b";"], 3)
    assert got == b"1.50000000;1152921504606846976.00000000;3.00000000;"


def test_json_and_csv_rows_match_binance_formats():
    c = page("BTCUSDT", "1m", JAN_2024, 3)
    rows = json.loads(klines_json(c))
    assert isinstance(rows[0][0], int) and isinstance(rows[0][8], int) and rows[0][11] == "0"
    assert all(isinstance(rows[0][i], str) and len(rows[0][i].split(".")[1]) == 8
               for i in (1, 2, 3, 4, 5, 7, 9, 10))  # fmt: skip
    lines = klines_csv(c, micros=True).decode().splitlines()
    fields = lines[0].split(",")
    assert int(fields[0]) == rows[0][0] * 1000 and int(fields[6]) == rows[0][6] * 1000 + 999
    assert fields[1:6] == rows[0][1:6] and fields[11] == "0"
    assert klines_csv(c, micros=False).decode().splitlines()[0].split(",")[0] == str(rows[0][0])


# ----- rate limiting -----


def test_weight_limiter_windows_429_and_ban():
    lim = WeightLimiter(limit=10, window_s=60, ban_s=120, ban_after_violations=2)
    t = 1_699_999_990.0  # 50 s before the window ends
    assert [lim.admit("a", 2, t).status for _ in range(5)] == [200] * 5
    over = lim.admit("a", 2, t)
    assert (over.status, over.used, over.retry_after) == (429, 12, 50)
    assert lim.admit("b", 2, t).status == 200  # per IP
    assert [lim.admit("a", 2, t + 1).status for _ in range(2)] == [429, 429]
    banned = lim.admit("a", 2, t + 2)
    assert banned.status == 418 and banned.retry_after == 120
    assert banned.banned_until_ms == int((t + 2 + 120) * 1000)
    assert lim.admit("a", 1, t + 100).status == 418  # still banned in the next window
    assert lim.admit("a", 1, t + 123).status == 200  # ban over, new window
    lim.reset()
    assert lim.used("a", t + 123) == 0


def test_weight_resets_at_fixed_window_boundaries():
    lim = WeightLimiter(limit=4, window_s=2, ban_s=5, ban_after_violations=3)
    assert lim.admit("a", 4, 100.9).status == 200
    over = lim.admit("a", 1, 101.5)
    assert over.status == 429 and over.retry_after == 1  # never 0
    assert lim.admit("a", 4, 102.0).status == 200  # the window [102, 104) starts afresh
