"""The Grafana dashboard, the Prometheus alert rules and docs/operations.md against the metrics
CL3 really exposes: every expression parses as PromQL and names only series that exist."""

from __future__ import annotations

import json
import time
from pathlib import Path

import promql_parser
import pytest
import yaml
from prometheus_client import CollectorRegistry

from cl3_common.observability.collectors import ClusterStateCollector
from cl3_common.observability.metrics import Metrics
from cl3_common.observability.status import BreakerKeys, StateKeys, record_scheduled_refresh
from cl3_common.tasks import ALL_QUEUES

ROOT = Path(__file__).resolve().parents[3]
DASHBOARD = ROOT / "infra/grafana/dashboards/cl3-overview.json"
ALERTS = ROOT / "infra/prometheus/alerts.yml"
SUFFIXES = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_count", "_sum",
            "_created"), "gauge": ("",)}  # fmt: skip
PROMETHEUS_OWN = {"up"}


@pytest.fixture
def families(redis_client) -> dict[str, str]:
    """Every metric family CL3 exposes (name -> type), the scrape-time ones included."""
    registry = CollectorRegistry()
    Metrics.build(registry)
    record_scheduled_refresh(redis_client, int(time.time() * 1000))
    keys = {"spot": BreakerKeys("cl3:test:ban", "cl3:test:pause")}
    state = StateKeys.build(redis_client, keys, ALL_QUEUES)
    registry.register(ClusterStateCollector(redis_client, state, time.time))
    return {family.name: family.type for family in registry.collect()}


@pytest.fixture
def series(families) -> set[str]:
    return {name + suffix for name, kind in families.items() for suffix in SUFFIXES[kind]}


def _selectors(expr: str) -> list[str]:
    names: list[str] = []
    tree = promql_parser.parse(expr)
    promql_parser.walk(tree, lambda node: names.append(node.name)
                       if isinstance(node, promql_parser.VectorSelector) else None)  # fmt: skip
    return names


def _dashboard_exprs() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [t["expr"] for panel in dashboard["panels"] for t in panel.get("targets", [])]


def _alert_rules() -> list[dict]:
    return [rule for group in yaml.safe_load(ALERTS.read_text())["groups"]
            for rule in group["rules"]]  # fmt: skip


def test_every_dashboard_query_names_real_series(series):
    exprs = _dashboard_exprs()
    assert len(exprs) >= 25
    for expr in exprs:
        names = _selectors(expr)
        assert names, expr
        assert set(names) <= series | PROMETHEUS_OWN, expr


def test_the_dashboard_shows_every_metric(families):
    shown = {name for expr in _dashboard_exprs() for name in _selectors(expr)}
    for family in families:
        if family != "cl3_scheduled_refresh_last_run_timestamp_seconds":  # age shown instead
            assert any(s.startswith(family) for s in shown), family


def test_every_alert_rule_parses_and_names_real_series(series):
    rules = _alert_rules()
    assert len({rule["alert"] for rule in rules}) == len(rules) >= 10
    for rule in rules:
        assert set(_selectors(rule["expr"])) <= series | PROMETHEUS_OWN, rule["alert"]
        assert rule["labels"]["severity"] in ("info", "warning", "critical"), rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
    alerts = {rule["alert"] for rule in rules}
    assert {"CL3ExchangeBanned", "CL3ExchangeThrottled", "CL3JobsFailing",
            "CL3ScheduledRefreshStale", "CL3QueueBacklog"} <= alerts  # fmt: skip


def test_operations_doc_lists_every_metric_and_alert(families):
    doc = (ROOT / "docs/operations.md").read_text()
    for family, kind in families.items():
        exposed = family + ("_total" if kind == "counter" else "")
        assert f"`{exposed}`" in doc, exposed
    for rule in _alert_rules():
        assert f"`{rule['alert']}`" in doc, rule["alert"]
