"""`analyze`: the stored document (docs/analytics.md), end to end on small synthetic series."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from cl3_common.errors import InsufficientData
from cl3_worker.analytics import AnalysisParams, analyze
from cl3_worker.analytics.jsonsafe import jsonable

H = 3_600_000
START = int(datetime(2024, 1, 1, tzinfo=UTC).timestamp() * 1000)  # a Monday, 00:00 UTC
NOW = START + 10**10


def frame(close: np.ndarray, step: int = H, start: int = START) -> pd.DataFrame:
    return pd.DataFrame(
        {"open_time": start + step * np.arange(close.size, dtype=np.int64), "close": close}
    )


def run(df: pd.DataFrame, interval: str = "1h", params: AnalysisParams | None = None, **kw):
    return analyze(
        df,
        symbol="BTCUSDT",
        interval=interval,
        params=params or AnalysisParams(),
        start_ms=kw.get("start_ms"),
        end_ms=kw.get("end_ms"),
        now_ms=NOW,
    )


def random_walk(n: int, seed: int, sd: float = 0.001) -> np.ndarray:
    return 30_000 * np.exp(np.cumsum(np.random.default_rng(seed).normal(0, sd, n)))


def test_document_shape() -> None:
    doc = run(frame(random_walk(300, 1)))
    assert set(doc) == {
        "symbol", "interval", "start", "end", "candles", "returns", "computed_at", "params",
        "calendar", "patterns", "sma_crossover", "mean_reversion", "heatmap",
    }  # fmt: skip
    assert set(doc["calendar"]) == {"hour_of_day", "day_of_week", "month_of_year"}
    assert set(doc["sma_crossover"]) == {
        "fast", "slow", "horizon", "events_total", "last_event", "events", "forward", "backtest",
    }  # fmt: skip
    assert set(doc["sma_crossover"]["forward"]) == {"golden", "death"}
    assert set(doc["mean_reversion"]) == {
        "window", "entry_z", "exit_z", "half_life_candles", "hurst", "adf_stat", "adf_p_value",
        "regime", "current_z", "backtest",
    }  # fmt: skip
    assert set(doc["mean_reversion"]["backtest"]) == set(doc["sma_crossover"]["backtest"]) == {
        "total_log_return", "buy_hold_log_return", "sharpe", "max_drawdown", "n_trades",
        "win_rate", "open_position",
    }  # fmt: skip
    assert (doc["symbol"], doc["interval"]) == ("BTCUSDT", "1h")
    assert (doc["start"], doc["end"]) == (START, START + 299 * H)  # first/last open time
    assert (doc["candles"], doc["returns"], doc["computed_at"]) == (300, 299, NOW)
    assert doc["params"] == AnalysisParams().to_dict()
    assert [len(doc["calendar"][p]) for p in doc["calendar"]] == [24, 7, 12]
    assert len(doc["heatmap"]) == 7 and {len(row) for row in doc["heatmap"]} == {24}
    assert doc["mean_reversion"]["regime"] in {"mean_reverting", "random_walk", "trending"}
    # Plain Python types only: JSON without NaN, and no numpy scalars anywhere.
    text = json.dumps(doc, allow_nan=False)
    assert json.loads(text) == doc
    for event in doc["sma_crossover"]["events"]:
        assert type(event["open_time"]) is int and type(event["close"]) is float


def test_requested_range_filters_and_labels() -> None:
    df = frame(random_walk(400, 2))
    doc = run(df, start_ms=START + 100 * H, end_ms=START + 300 * H)
    assert (doc["start"], doc["end"]) == (START + 100 * H, START + 300 * H)
    assert doc["candles"] == 200  # [start, end)


def test_insufficient_data() -> None:
    params = AnalysisParams(fast=5, slow=10)
    with pytest.raises(InsufficientData) as info:
        run(frame(random_walk(11, 3)), params=params)
    assert (info.value.needed, info.value.got) == (12, 11)
    assert info.value.code == "insufficient_data"  # the API's own error (422), not a bug
    assert run(frame(random_walk(12, 3)), params=params)["candles"] == 12
    with pytest.raises(InsufficientData) as empty:
        run(pd.DataFrame({"open_time": np.array([], dtype=np.int64), "close": np.array([])}))
    assert empty.value.got == 0


def test_constant_prices_give_nulls_not_nan() -> None:
    doc = run(frame(np.full(120, 42_000.0)))
    json.dumps(doc, allow_nan=False)
    hour = doc["calendar"]["hour_of_day"][5]
    assert hour["n"] == 5 and hour["mean"] == 0.0 and hour["std"] == 0.0
    assert hour["hit_rate"] == 0.0
    assert (hour["t_stat"], hour["p_value"], hour["q_value"]) == (None, None, None)
    assert doc["patterns"] == []
    sma = doc["sma_crossover"]
    assert sma["events_total"] == 0 and sma["last_event"] is None
    assert sma["backtest"]["sharpe"] is None
    mr = doc["mean_reversion"]
    assert mr["current_z"] is None
    assert mr["half_life_candles"] is None
    assert mr["hurst"] is None and mr["regime"] is None
    assert mr["adf_stat"] is None and mr["adf_p_value"] is None
    # z never exists: the backtest is empty.
    assert mr["backtest"] == {
        "total_log_return": 0.0, "buy_hold_log_return": 0.0, "sharpe": None,
        "max_drawdown": 0.0, "n_trades": 0, "win_rate": None, "open_position": 0,
    }  # fmt: skip


def test_gaps_reduce_returns_count() -> None:
    df = frame(random_walk(200, 4))
    df = df.drop(index=[50, 120, 121]).reset_index(drop=True)
    doc = run(df)
    # 197 candles; 196 neighbour pairs minus the 2 pairs spanning a gap.
    assert doc["candles"] == 197
    assert doc["returns"] == 194


def test_intervals_choose_profiles() -> None:
    daily = run(frame(random_walk(120, 5), step=86_400_000), interval="1d")
    assert daily["calendar"]["hour_of_day"] == []
    assert len(daily["calendar"]["day_of_week"]) == 7
    weekly = run(frame(random_walk(60, 6), step=7 * 86_400_000), interval="1w")
    assert weekly["calendar"]["hour_of_day"] == weekly["calendar"]["day_of_week"] == []
    assert len(weekly["calendar"]["month_of_year"]) == 12
    months = pd.date_range("2015-01-01", periods=60, freq="MS", tz="UTC")
    monthly = pd.DataFrame({"open_time": months, "close": random_walk(60, 7)})
    doc = run(monthly, interval="1M")
    assert doc["returns"] == 59  # calendar months of 28..31 days are all consecutive
    assert doc["start"] == START - 9 * 365 * 86_400_000 - 2 * 86_400_000  # 2015-01-01


def test_input_is_normalised() -> None:
    df = frame(random_walk(100, 8))
    df["volume"] = 1.0
    df["symbol"] = "BTCUSDT"  # the new default string dtype must not matter
    shuffled = pd.concat([df.iloc[::-1], df.iloc[:3]])  # reversed, with duplicates
    assert run(shuffled) == run(df)
    as_dates = df.assign(open_time=pd.to_datetime(df["open_time"], unit="ms", utc=True))
    assert run(as_dates) == run(df)


def test_a_duplicated_open_time_keeps_the_first_candle_as_the_store_does() -> None:
    df = frame(random_walk(100, 8))
    later_copy = df.iloc[[50]].assign(close=df["close"].iloc[50] * 2)
    assert run(pd.concat([df, later_copy])) == run(df)


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="interval"):
        run(frame(random_walk(100, 9)), interval="7m")
    bad = frame(random_walk(100, 9))
    bad.loc[10, "close"] = 0.0
    with pytest.raises(ValueError, match="positive"):
        run(bad)
    with pytest.raises(ValueError, match="close"):
        run(pd.DataFrame({"open_time": [1, 2, 3]}))


def hour_drift_series(seed: int, drift: float) -> pd.DataFrame:
    """60 days of 1h candles: noise sd 0.001, plus `drift` on every 13:00 UTC candle."""
    n = 60 * 24
    ot = START + H * np.arange(n, dtype=np.int64)
    r = np.random.default_rng(seed).normal(0, 0.001, n)
    r[(ot // H) % 24 == 13] += drift
    r[0] = 0.0
    return pd.DataFrame({"open_time": ot, "close": 30_000 * np.exp(np.cumsum(r))})


def test_injected_hour_of_day_drift_is_found() -> None:
    doc = run(hour_drift_series(seed=42, drift=0.002))
    top = doc["patterns"][0]
    assert (top["profile"], top["key"], top["direction"]) == ("hour_of_day", 13, "up")
    assert top["n"] == 60
    assert top["mean"] == pytest.approx(0.002, abs=0.0005)
    assert top["q_value"] < 1e-6
    # The other hours carry no drift and are not reported.
    assert [p["key"] for p in doc["patterns"] if p["profile"] == "hour_of_day"] == [13]
    hour13 = doc["calendar"]["hour_of_day"][13]
    assert hour13["q_value"] == top["q_value"]
    rows = [p["q_value"] for p in doc["patterns"]]
    assert rows == sorted(rows)


def test_random_walks_rarely_show_patterns() -> None:
    # Under the null, BH keeps the chance of any pattern in one profile at about alpha, so
    # with three profiles roughly 1 seed in 7-10 shows one (14 of these 100 do). Without the
    # correction, one of the 43 raw p-values falls under 5% in most seeds (73 of 100 here).
    docs = [run(hour_drift_series(seed, 0.0)) for seed in range(100)]
    with_patterns = sum(bool(doc["patterns"]) for doc in docs)
    raw_hits = sum(
        any(
            row["p_value"] is not None and row["p_value"] < 0.05
            for rows in doc["calendar"].values()
            for row in rows
        )
        for doc in docs
    )
    assert with_patterns <= 20
    assert raw_hits >= 50  # the assertion above is not vacuous


def test_heatmap_matrix_in_document() -> None:
    doc = run(hour_drift_series(seed=1, drift=0.002))
    grid = doc["heatmap"]
    # 60 days from a Monday: every weekday x hour cell has data; hour 13 is the bright column.
    assert all(v is not None for row in grid for v in row)
    assert min(grid[d][13] for d in range(7)) > max(grid[d][12] for d in range(7))
    daily = run(frame(random_walk(120, 5), step=86_400_000), interval="1d")["heatmap"]
    assert all(daily[d][h] is None for d in range(7) for h in range(1, 24))
    assert all(daily[d][0] is not None and math.isfinite(daily[d][0]) for d in range(7))


def test_jsonable() -> None:
    value = {
        "a": np.float64("nan"),
        "b": np.int64(3),
        "c": [np.float32(1.5), float("inf"), None, np.bool_(True)],
        "d": np.array([1.0, np.nan]),
        "e": ("x", -0.0),
    }
    assert jsonable(value) == {
        "a": None, "b": 3, "c": [1.5, None, None, True], "d": [1.0, None], "e": ["x", -0.0],
    }  # fmt: skip
    assert type(jsonable(np.int64(3))) is int
    with pytest.raises(TypeError):
        jsonable(object())
