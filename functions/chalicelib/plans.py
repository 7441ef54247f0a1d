"""What a caller's plan allows, checked before anything is enqueued (one place for all routes)."""

from __future__ import annotations

from cl3_common.auth import Principal
from cl3_common.errors import Forbidden, InvalidRange, SubscriptionRequired
from cl3_common.tiers import Entitlements


def require_enqueue(user: Principal, plan: Entitlements) -> None:
    if not plan.can_enqueue:
        raise SubscriptionRequired(
            f"the {user.tier} plan cannot fetch or analyse; upgrade to pro or enterprise"
        )


def require_interval(user: Principal, plan: Entitlements, interval: str, verb: str) -> None:
    if not plan.allows_interval(interval):
        raise Forbidden(f"the {user.tier} plan cannot {verb} {interval} candles")


def require_range(
    user: Principal, plan: Entitlements, start_ms: int, end_ms: int, verb: str
) -> None:
    if plan.max_range_ms is not None and end_ms - start_ms > plan.max_range_ms:
        raise InvalidRange(
            f"the {user.tier} plan allows at most {plan.max_range_days} days per {verb}"
        )
