"""What a caller's plan allows of an interval and a range (who may call a route at all is
the route's `Access`, chalicelib/declarations.py)."""

from __future__ import annotations

from cl3_common.auth import Principal
from cl3_common.errors import Forbidden, InvalidRange
from cl3_common.tiers import Entitlements


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
