"""Every Prometheus metric CL3 records, defined once (docs/operations.md, "Metrics").

Metrics are built on first use, not at import: a worker must switch prometheus_client to its
multiprocess mode (cl3_common.observability.multiprocess) before the first metric exists, and
the values class is chosen when a metric is created. Gauges say how values of several
processes combine (`multiprocess_mode`); in a single process that setting is ignored.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

HTTP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
JOB_BUCKETS = (0.1, 0.5, 1, 5, 15, 30, 60, 300, 900, 1800, 3600, 7200, 21600)
EXCHANGE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
GATE_WAIT_BUCKETS = (0.001, 0.01, 0.1, 0.5, 1, 5, 15, 60, 300, 900)
STORE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0)


@dataclass(frozen=True)
class Metrics:
    http_requests: Counter
    http_duration: Histogram
    http_in_progress: Gauge
    jobs: Counter
    job_duration: Histogram
    jobs_running: Gauge
    candles_fetched: Counter
    candles_stored: Counter
    exchange_requests: Counter
    exchange_duration: Histogram
    weight_spent: Counter
    weight_used: Gauge
    weight_limit: Gauge
    gate_wait: Histogram
    throttled: Counter
    banned: Counter
    store_duration: Histogram
    fallbacks: Counter

    @classmethod
    def build(cls, registry: CollectorRegistry | None) -> Metrics:
        r = registry
        return cls(
            http_requests=Counter("cl3_http_requests", "API requests answered",
                                  ["method", "route", "status"], registry=r),
            http_duration=Histogram("cl3_http_request_duration_seconds",
                                    "API request latency, from request to response",
                                    ["method", "route", "status"], buckets=HTTP_BUCKETS,
                                    registry=r),
            http_in_progress=Gauge("cl3_http_requests_in_progress", "API requests being served",
                                   registry=r, multiprocess_mode="livesum"),
            jobs=Counter("cl3_jobs", "Jobs ended, by task type and outcome "
                         "(finished, failed, retried, skipped, stopped, lost)",
                         ["type", "outcome"], registry=r),
            job_duration=Histogram("cl3_job_duration_seconds", "Job run time",
                                   ["type", "outcome"], buckets=JOB_BUCKETS, registry=r),
            jobs_running=Gauge("cl3_jobs_running", "Jobs running now", ["type"], registry=r,
                               multiprocess_mode="livesum"),
            candles_fetched=Counter("cl3_candles_fetched", "Closed candles received, by source "
                                    "(a REST host family or archive)", ["source"], registry=r),
            candles_stored=Counter("cl3_candles_stored", "Candles newly written to the store",
                                   ["market"], registry=r),
            exchange_requests=Counter("cl3_exchange_requests", "Requests sent to the exchange, "
                                      "by host family, endpoint and HTTP status (or 'network')",
                                      ["host", "endpoint", "status"], registry=r),
            exchange_duration=Histogram("cl3_exchange_request_duration_seconds",
                                        "Exchange round trip", ["host", "endpoint"],
                                        buckets=EXCHANGE_BUCKETS, registry=r),
            weight_spent=Counter("cl3_exchange_weight_spent", "Request weight sent",
                                 ["host"], registry=r),
            weight_used=Gauge("cl3_exchange_weight_used", "The exchange's count of used weight "
                              "in its current window (X-MBX-USED-WEIGHT-*), last seen",
                              ["host"], registry=r, multiprocess_mode="mostrecent"),
            weight_limit=Gauge("cl3_exchange_weight_limit", "The weight budget per window "
                               "(exchangeInfo REQUEST_WEIGHT)", ["host"], registry=r,
                               multiprocess_mode="mostrecent"),
            gate_wait=Histogram("cl3_exchange_gate_wait_seconds", "Time a request waited at the "
                                "shared weight gate (budget, 429 pause, ban)", ["host"],
                                buckets=GATE_WAIT_BUCKETS, registry=r),
            throttled=Counter("cl3_exchange_throttled", "429 answers (rate limited)", ["host"],
                              registry=r),
            banned=Counter("cl3_exchange_banned", "418 answers (IP banned)", ["host"],
                           registry=r),
            store_duration=Histogram("cl3_store_operation_duration_seconds", "Store call latency",
                                     ["backend", "store", "op"], buckets=STORE_BUCKETS,
                                     registry=r),
            fallbacks=Counter("cl3_fallbacks", "Fallbacks taken (archive_to_rest, "
                              "exchange_retry, job_retry)", ["kind"], registry=r),
        )  # fmt: skip


class _Holder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.metrics: Metrics | None = None
        self.registry = CollectorRegistry(auto_describe=True)
        self.multiprocess = False


_holder = _Holder()


def metrics() -> Metrics:
    """This process's metrics, created on first use."""
    built = _holder.metrics
    if built is not None:
        return built
    with _holder.lock:
        if _holder.metrics is None:
            # Multiprocess values live in files; the collector reads them, not a registry.
            _holder.metrics = Metrics.build(None if _holder.multiprocess else _holder.registry)
        return _holder.metrics


def in_process_registry() -> CollectorRegistry:
    """The registry holding this process's metrics (single-process mode)."""
    return _holder.registry


def use_multiprocess_values() -> None:
    """Called by multiprocess setup before any metric exists."""
    with _holder.lock:
        if _holder.metrics is not None:
            raise RuntimeError("metrics were created before multiprocess mode was enabled")
        _holder.multiprocess = True


def multiprocess_enabled() -> bool:
    return _holder.multiprocess
