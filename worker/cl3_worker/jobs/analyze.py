"""The analyze job: stored candles -> seasonality analysis -> analysis store + task result.

Stages and the progress they report (`pages_done` / `pages_total` count the four stages of an
analysis; `candles_written` stays 0, nothing is written to `candles`):

    read     0..60 %  one update per batch read from the store (the percentage only when the
                      range is bounded, so the number of candles expected is known)
    compute  60..85 %
    render   85..93 %  the weekday x hour heatmap PNG
    store    93..99 %  the stored analysis (with its PNG) replaced
    finished 100 %     the task result: the analysis document (its `heatmap` matrix left out:
                       the picture is at `heatmap_url`, the matrix in the stored document at
                       `document_url`) plus `timings_s`

Any stored series can be analysed, whatever its market and kind. Premium-index klines are
`F / I - 1` (often negative), so their analysis runs on `1 + premium` = `F / I`, whose log
returns are the changes of the log basis; the document says so in `value`.

Failures are errors of our family, recorded by the job runner: fewer than slow + 2 candles is
`insufficient_data`, invalid params `invalid_request`, data the analytics refuse
`analysis_failed`; a store outage is waited out and the analysis run again (runner.py).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cl3_common.errors import ApiError, InvalidRequest
from cl3_common.intervals import count_candles, validate_interval
from cl3_common.store import SeriesKey
from cl3_common.store.protocols import CandleStore
from cl3_worker.analytics import AnalysisParams, analyze, render_heatmap_png
from cl3_worker.runner import RunningTask
from cl3_worker.series_reader import Series, read_series

log = logging.getLogger("cl3.worker.analyze")

STAGES = ("read", "compute", "render", "store")
# (progress at the start of the stage, at its end)
_SPAN = {"read": (0, 60), "compute": (60, 85), "render": (85, 93), "store": (93, 99)}

# stage name, percentage, extra progress fields
StageCallback = Callable[[str, int, dict[str, Any]], None]


@dataclass
class AnalysisOutcome:
    document: dict[str, Any]
    png: bytes
    timings_s: dict[str, float] = field(default_factory=dict)


PREMIUM = "premium"


def heatmap_title(doc: dict[str, Any]) -> str:
    key = SeriesKey(doc["symbol"], doc["interval"], doc.get("market", "spot"),
                    doc.get("kind", "trade"))  # fmt: skip
    return f"{key.label()}: mean log return by weekday x hour (UTC), {doc['candles']:,} candles"


def compute_analysis(
    candles: CandleStore,
    key: SeriesKey,
    start_ms: int | None,
    end_ms: int,
    params: AnalysisParams,
    *,
    now_ms: int,
    on_stage: StageCallback | None = None,
) -> AnalysisOutcome:
    """Read, analyse and render (no writes). Raises InsufficientData (cl3_common.errors),
    ValueError for data the analytics refuse."""
    symbol, interval = key.symbol, key.interval

    def stage(name: str, done: float = 0.0, **fields: Any) -> None:
        if on_stage is not None:
            lo, hi = _SPAN[name]
            on_stage(name, int(lo + (hi - lo) * min(1.0, max(0.0, done))), fields)

    validate_interval(interval)
    timings: dict[str, float] = {}
    expected = count_candles(start_ms, end_ms, interval) if start_ms is not None else None
    began = time.perf_counter()

    def on_batch(read: int) -> None:
        elapsed = max(time.perf_counter() - began, 1e-6)
        rate = read / elapsed
        fields: dict[str, Any] = {"candles_per_s": round(rate, 1)}
        done = 0.0
        if expected:
            done = read / expected
            fields["eta_s"] = round(max(0, expected - read) / rate, 1) if rate else None
        stage("read", done, **fields)

    stage("read")
    series = read_series(candles, key, start_ms, end_ms, on_batch=on_batch)
    if key.kind == PREMIUM:  # a ratio minus one: analysed as the ratio F / I itself
        series = Series(series.open_time, series.close + 1.0)
    timings["read"] = time.perf_counter() - began

    stage("compute")
    t0 = time.perf_counter()
    doc = analyze(
        series.frame(),
        symbol=symbol,
        interval=interval,
        params=params,
        start_ms=start_ms,
        end_ms=end_ms,
        now_ms=now_ms,
    )
    timings["compute"] = time.perf_counter() - t0
    doc.update(market=key.market, kind=key.kind,
               value="1 + premium index" if key.kind == PREMIUM else "close")  # fmt: skip

    stage("render")
    t0 = time.perf_counter()
    png = render_heatmap_png(doc, heatmap_title(doc))
    timings["render"] = time.perf_counter() - t0
    return AnalysisOutcome(doc, png, timings)


def run(
    task: RunningTask,
    symbol: str,
    interval: str,
    start_ms: int | None = None,
    end_ms: int | None = None,
    params: dict[str, Any] | None = None,
    market: str = "spot",
    kind: str = "trade",
) -> dict[str, Any]:
    """Work function of `analyze` tasks (cl3_common.tasks.contracts)."""
    key = SeriesKey(symbol, interval, market, kind)
    began = time.monotonic()
    try:
        analysis_params = AnalysisParams.from_dict(params)
    except ValueError as e:
        raise InvalidRequest(str(e)) from e
    now_ms = task.ctx.now_ms()
    until = now_ms if end_ms is None else min(int(end_ms), now_ms)

    def on_stage(name: str, percent: int, fields: dict[str, Any]) -> None:
        task.report(percent, pages_done=STAGES.index(name), pages_total=len(STAGES),
                    stage=name, **fields)  # fmt: skip

    try:
        outcome = compute_analysis(task.ctx.stores.candles, key, start_ms, until,
                                   analysis_params, now_ms=now_ms, on_stage=on_stage)  # fmt: skip
    except ValueError as e:  # the analytics refuse the data (not enough is InsufficientData)
        raise ApiError(str(e), code="analysis_failed") from e
    on_stage("store", 0, {})
    t0 = time.perf_counter()
    task.ctx.stores.analyses.save(key, outcome.document, outcome.png)
    outcome.timings_s["store"] = time.perf_counter() - t0
    return _result(outcome, key, began)


def _result(outcome: AnalysisOutcome, key: SeriesKey, began: float) -> dict[str, Any]:
    """The analysis document (its `heatmap` matrix left out: the picture is at
    `heatmap_url`, the matrix in the stored document at `document_url`) plus timings."""
    doc = outcome.document
    log.info("analyze %s: %d candles, %d patterns, %s",
             key.label(), doc["candles"], len(doc["patterns"]), outcome.timings_s)  # fmt: skip
    path = f"/api/seasonality/{key.symbol}/{key.interval}"
    query = "" if key.is_default else f"?market={key.market}&kind={key.kind}"
    return {
        **{k: v for k, v in doc.items() if k != "heatmap"},
        "document_url": f"{path}{query}",
        "heatmap_url": f"{path}/heatmap.png{query}",
        "timings_s": {k: round(v, 3) for k, v in outcome.timings_s.items()},
        "duration_s": round(time.monotonic() - began, 3),
    }
