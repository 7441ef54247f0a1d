"""`cl3 seasonality SYMBOL INTERVAL`: the seasonality analysis, run here against the store.

Reads the stored candles (settings from the environment, like `cl3 worker`), prints the
patterns and both backtests as tables, saves the heatmap PNG and, unless `--no-store`, stores
the analysis in the store as a worker would (so the API serves it).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from cl3_common.errors import ApiError, InsufficientData
from cl3_common.intervals import now_ms as wall_now_ms
from cl3_common.intervals import validate_interval
from cl3_common.settings import Settings
from cl3_common.store import SeriesKey, Stores, open_stores
from cl3_common.store.keys import validate_kind, validate_market
from cl3_common.timeparse import parse_time_ms

if TYPE_CHECKING:
    from cl3_worker.analytics import AnalysisParams
    from cl3_worker.jobs.analyze import AnalysisOutcome


def run_seasonality(
    settings: Settings,
    symbol: str,
    interval: str,
    *,
    start: str | None = None,
    end: str | None = None,
    out: str | None = None,
    params_json: str | None = None,
    store: bool = True,
    console: Console | None = None,
    market: str = "spot",
    kind: str = "trade",
) -> int:
    console = console or Console()
    try:
        request = _request(symbol, interval, start, end, params_json, market, kind)
    except (ApiError, ValueError) as e:
        console.print(f"[red]cl3 seasonality:[/] {getattr(e, 'message', e)}")
        return 2
    stores = open_stores(settings)
    try:
        with console.status(f"analysing {request.key.label()} ..."):
            outcome = _analysed(stores, request, store=store)
    except InsufficientData as e:
        console.print(f"[red]insufficient data:[/] {e} (fetch the candles first)")
        return 1
    finally:
        stores.close()
    path = Path(out or f"{request.key.symbol}_{interval}_heatmap.png")
    path.write_bytes(outcome.png)
    print_report(console, outcome.document)
    timings = ", ".join(f"{k} {v:.2f}s" for k, v in outcome.timings_s.items())
    stored = f"stored in {stores.location}" if store else "not stored"
    console.print(f"heatmap saved to [cyan]{path}[/]; {stored}; {timings}")
    return 0


@dataclass(frozen=True)
class _Request:
    key: SeriesKey
    start_ms: int | None
    end_ms: int
    now_ms: int
    params: AnalysisParams


def _request(
    symbol: str,
    interval: str,
    start: str | None,
    end: str | None,
    params_json: str | None,
    market: str,
    kind: str,
) -> _Request:
    """The command's arguments checked as the API checks them."""
    # The worker side (pandas, matplotlib): imported only when the command runs.
    from cl3_worker.analytics import AnalysisParams

    validate_interval(interval)
    validate_kind(validate_market(market), kind)
    start_ms = parse_time_ms(start, "start") if start else None
    now_ms = wall_now_ms()
    end_ms = min(parse_time_ms(end, "end"), now_ms) if end else now_ms
    params = AnalysisParams.from_dict(json.loads(params_json) if params_json else None)
    key = SeriesKey(symbol.strip().upper(), interval, market, kind)
    return _Request(key, start_ms, end_ms, now_ms, params)


def _analysed(stores: Stores, request: _Request, *, store: bool) -> AnalysisOutcome:
    """The analysis, stored as a worker would store it if `store`."""
    from cl3_worker.jobs.analyze import compute_analysis

    outcome = compute_analysis(stores.candles, request.key, request.start_ms, request.end_ms,
                               request.params, now_ms=request.now_ms)  # fmt: skip
    if store:
        t0 = time.perf_counter()
        stores.analyses.save(request.key, outcome.document, outcome.png)
        outcome.timings_s["store"] = time.perf_counter() - t0
    return outcome


def print_report(console: Console, doc: dict[str, Any]) -> None:
    p = doc["params"]
    console.print(
        f"[bold]{doc['symbol']} {doc['interval']}[/]  {_when(doc['start'])} .. {_when(doc['end'])}"
        f"  candles {doc['candles']:,}  returns {doc['returns']:,}  "
        f"fast {p['fast']} slow {p['slow']} horizon {p['horizon']} window {p['window']} "
        f"entry_z {p['entry_z']} exit_z {p['exit_z']} alpha {p['alpha']}"
    )
    console.print(patterns_table(doc))
    console.print(backtests_table(doc))
    console.print(details_table(doc))


def patterns_table(doc: dict[str, Any]) -> Table:
    alpha = doc["params"]["alpha"]
    patterns = doc["patterns"]
    table = Table(
        title=f"patterns (Benjamini-Hochberg q < {alpha}): {len(patterns)}",
        caption=None if patterns else "no calendar effect survives the correction",
    )
    for name in ("profile", "key", "direction", "mean", "t_stat", "p_value", "q_value", "n"):
        table.add_column(name, justify="left" if name in ("profile", "direction") else "right")
    for pat in patterns:
        colour = "green" if pat["direction"] == "up" else "red"
        table.add_row(
            pat["profile"],
            key_label(pat["profile"], pat["key"]),
            f"[{colour}]{pat['direction']}[/]",
            _num(pat["mean"], ".3e"),
            _num(pat["t_stat"], ".2f"),
            _num(pat["p_value"], ".2e"),
            _num(pat["q_value"], ".2e"),
            f"{pat['n']:,}",
        )
    return table


BACKTEST_ROWS = (
    ("total_log_return", ".4f"),
    ("buy_hold_log_return", ".4f"),
    ("sharpe", ".2f"),
    ("max_drawdown", ".2%"),
    ("n_trades", ","),
    ("win_rate", ".1%"),
    ("open_position", ""),
)


def backtests_table(doc: dict[str, Any]) -> Table:
    sma, mr = doc["sma_crossover"], doc["mean_reversion"]
    table = Table(title="backtests (no look-ahead; log returns)")
    table.add_column("metric")
    table.add_column(f"SMA crossover {sma['fast']}/{sma['slow']}", justify="right")
    table.add_column(
        f"mean reversion w={mr['window']} in {mr['entry_z']} out {mr['exit_z']}", justify="right"
    )
    for name, fmt in BACKTEST_ROWS:
        table.add_row(name, _num(sma["backtest"][name], fmt), _num(mr["backtest"][name], fmt))
    return table


def details_table(doc: dict[str, Any]) -> Table:
    sma, mr = doc["sma_crossover"], doc["mean_reversion"]
    table = Table(title="signals and regime", show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    last = sma["last_event"]
    table.add_row("crosses", f"{sma['events_total']:,}")
    table.add_row("last cross", f"{last['type']} at {_when(last['open_time'])}" if last else "none")
    for kind in ("golden", "death"):
        fwd = sma["forward"][kind]
        table.add_row(
            f"{kind} cross, next {sma['horizon']} candles",
            f"n {fwd['count']}  mean {_num(fwd['mean'], '.4f')}  "
            f"hit {_num(fwd['hit_rate'], '.1%')}",
        )
    table.add_row("half-life (candles)", _num(mr["half_life_candles"], ".1f"))
    table.add_row("Hurst exponent", _num(mr["hurst"], ".3f"))
    table.add_row(
        "ADF statistic / p", f"{_num(mr['adf_stat'], '.3f')} / {_num(mr['adf_p_value'], '.3g')}"
    )
    table.add_row("regime", str(mr["regime"]))
    table.add_row("current z", _num(mr["current_z"], ".2f"))
    return table


WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def key_label(profile: str, key: int) -> str:
    if profile == "day_of_week" and 0 <= key < 7:
        return f"{WEEKDAYS[key]} ({key})"
    if profile == "month_of_year" and 1 <= key <= 12:
        return f"{MONTHS[key - 1]} ({key})"
    if profile == "hour_of_day":
        return f"{key:02d}:00 UTC"
    return str(key)


def _num(value: Any, fmt: str) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool) or not fmt:
        return str(value)
    return format(value, fmt)


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M")
