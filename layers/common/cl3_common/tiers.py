"""Subscription tiers and what each may do: one table, overridable by configuration."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from cl3_common.intervals import DAY_MS, INTERVALS

TIERS: tuple[str, ...] = ("free", "pro", "enterprise")


@dataclass(frozen=True)
class Entitlements:
    can_enqueue: bool
    max_range_days: int | None  # None: unlimited
    min_interval: str | None  # shortest interval allowed for fetches; None when no fetches
    max_concurrent_jobs: int
    requests_per_minute: int
    can_export: bool
    can_audit: bool = False

    @property
    def max_range_ms(self) -> int | None:
        return None if self.max_range_days is None else self.max_range_days * DAY_MS

    def allows_interval(self, interval: str) -> bool:
        if self.min_interval is None:
            return False
        return INTERVALS.index(interval) >= INTERVALS.index(self.min_interval)


DEFAULT_ENTITLEMENTS: dict[str, Entitlements] = {
    "free": Entitlements(False, None, None, 0, 60, False),
    "pro": Entitlements(True, 366, "1m", 2, 600, False),
    "enterprise": Entitlements(True, None, "1s", 10, 6000, True, True),
}


def tier_rank(tier: str) -> int:
    return TIERS.index(tier) if tier in TIERS else 0


def build_entitlements(overrides: Mapping[str, Mapping[str, Any]]) -> dict[str, Entitlements]:
    """The default table with `TIER_LIMITS` overrides applied (unknown tiers or keys rejected)."""
    table = dict(DEFAULT_ENTITLEMENTS)
    for tier, fields in overrides.items():
        if tier not in table:
            raise ValueError(f"TIER_LIMITS names unknown tier {tier!r}")
        unknown = set(fields) - set(Entitlements.__dataclass_fields__)
        if unknown:
            raise ValueError(f"TIER_LIMITS[{tier!r}] has unknown keys {sorted(unknown)}")
        table[tier] = replace(table[tier], **fields)
    return table
