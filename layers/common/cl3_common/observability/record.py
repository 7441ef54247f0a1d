"""Small recording calls that product code makes at the moments operators care about.

Each updates the metrics (cl3_common.observability.metrics), the running job's tally, and,
for what needs a person's attention (a 429, a ban, a fallback), writes one WARNING line with
the host and Retry-After. Hosts are named by their family (`spot`, `usdm`, `coinm`), never
by URL, and no user's symbol goes into a metric label.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from cl3_common.observability.logs import log_event
from cl3_common.observability.metrics import metrics
from cl3_common.observability.tally import add_to_tally

exchange_log = logging.getLogger("cl3.exchange")
fallback_log = logging.getLogger("cl3.fallback")


def endpoint_of(path: str) -> str:
    """`/api/v3/klines` -> `klines` (the host label says which API family)."""
    return path.rstrip("/").rsplit("/", 1)[-1] or "/"


def exchange_response(
    host: str, path: str, status: int | None, seconds: float, weight: int
) -> None:
    """One request sent; `status` None when no HTTP answer came (timeout, reset)."""
    m = metrics()
    endpoint = endpoint_of(path)
    m.exchange_requests.labels(host, endpoint, str(status) if status else "network").inc()
    m.exchange_duration.labels(host, endpoint).observe(seconds)
    if weight:
        m.weight_spent.labels(host).inc(weight)
    add_to_tally(exchange_requests=1, weight_spent=weight)


def weight_seen(host: str, used: int, limit: int) -> None:
    """The exchange's count of this window's used weight, and the budget it counts against."""
    m = metrics()
    m.weight_used.labels(host).set(used)
    m.weight_limit.labels(host).set(limit)


def gate_waited(host: str, seconds: float) -> None:
    metrics().gate_wait.labels(host).observe(seconds)
    add_to_tally(gate_wait_s=seconds)


def exchange_throttled(host: str, path: str, retry_after_s: float | None, pause_s: float) -> None:
    metrics().throttled.labels(host).inc()
    add_to_tally(throttled=1)
    log_event(
        exchange_log, logging.WARNING, "exchange.throttled",
        f"429 from {host} on {endpoint_of(path)}: every worker pauses {host} for {pause_s:g} s",
        host=host, path=path, status=429, retry_after_s=retry_after_s, pause_s=pause_s,
    )  # fmt: skip


def exchange_banned(host: str, path: str, retry_after_s: float | None, until_s: float) -> None:
    metrics().banned.labels(host).inc()
    add_to_tally(banned=1)
    until = datetime.fromtimestamp(until_s, UTC).isoformat(timespec="seconds")
    log_event(
        exchange_log, logging.WARNING, "exchange.banned",
        f"418 from {host} on {endpoint_of(path)}: IP banned, no request to {host} until {until}",
        host=host, path=path, status=418, retry_after_s=retry_after_s,
        banned_until_ms=int(until_s * 1000),
    )  # fmt: skip


def candles_fetched(source: str, count: int) -> None:
    if count:
        metrics().candles_fetched.labels(source).inc(count)
        add_to_tally(candles_fetched=count)


def candles_stored(market: str, count: int) -> None:
    if count:
        metrics().candles_stored.labels(market).inc(count)
        add_to_tally(candles_stored=count)


def store_call(backend: str, store: str, op: str, seconds: float) -> None:
    metrics().store_duration.labels(backend, store, op).observe(seconds)
    add_to_tally(store_calls=1, store_s=seconds)


def fallback(kind: str, message: str, *, count: int = 1, **fields: Any) -> None:
    """A WARNING for every fallback: `archive_to_rest`, `exchange_retry`, `job_retry`;
    `count` when one line stands for several (archive files paged from REST together)."""
    metrics().fallbacks.labels(kind).inc(count)
    add_to_tally(fallbacks=count)
    log_event(fallback_log, logging.WARNING, f"fallback.{kind}", message, kind=kind, **fields)


def http_request(method: str, route: str, status: int, seconds: float) -> None:
    m = metrics()
    code = str(status)
    m.http_requests.labels(method, route, code).inc()
    m.http_duration.labels(method, route, code).observe(seconds)
