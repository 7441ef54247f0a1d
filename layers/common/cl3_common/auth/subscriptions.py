"""A caller's tier: the Custom Access Token Hook's claim, else the ``subscriptions`` table.

``app_metadata`` is only writable server-side, so ``app_metadata.subscription_tier`` is trusted.
``user_metadata`` is writable by the user through ``supabase.auth.updateUser`` and is never read.
Without the claim, and with ``SUPABASE_SERVICE_KEY`` set, the highest tier among the user's
``active`` or ``trialing`` rows is read through PostgREST with the service key (which bypasses
Row Level Security). The answer is part of the cached principal, so it costs one call per miss.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import requests

from cl3_common.auth.supabase_http import SYSTEM, json_body, supabase_get
from cl3_common.errors import Unavailable
from cl3_common.tiers import TIERS, tier_rank

log = logging.getLogger("cl3.auth")

SUBSCRIPTIONS_PATH = "/rest/v1/subscriptions"
LIVE_STATUSES = ("active", "trialing")


def claim_tier(claims: dict[str, Any]) -> str | None:
    """The tier the access-token hook put in ``app_metadata``, or None when there is none."""
    app_metadata = claims.get("app_metadata")
    if not isinstance(app_metadata, dict):
        return None
    tier = app_metadata.get("subscription_tier")
    return tier if isinstance(tier, str) and tier in TIERS else None


def highest_tier(rows: list[Any]) -> str:
    """The best tier among live subscription rows (``free`` when there is none)."""
    best = "free"
    for row in rows:
        if not isinstance(row, dict) or row.get("status") not in LIVE_STATUSES:
            continue
        tier = row.get("tier")
        if isinstance(tier, str) and tier in TIERS and tier_rank(tier) > tier_rank(best):
            best = tier
    return best


class SubscriptionTable:
    """Reads ``public.subscriptions`` through PostgREST as the service role."""

    def __init__(
        self,
        supabase_url: str,
        service_key: str,
        session: requests.Session,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._url = supabase_url.rstrip("/") + SUBSCRIPTIONS_PATH
        self._service_key = service_key
        self._session = session
        self._sleep = sleep

    def tier_of(self, sub: str) -> str:
        response = supabase_get(
            self._session,
            self._url,
            what="subscriptions",
            headers={
                "apikey": self._service_key,
                "Authorization": f"Bearer {self._service_key}",
                "Accept": "application/json",
            },
            params={
                "user_id": f"eq.{sub}",
                "status": f"in.({','.join(LIVE_STATUSES)})",
                "select": "tier,status",
            },
            sleep=self._sleep,
        )
        if response.status_code != 200:
            # 401 (bad service key), 404 (no table), 400 (schema drift): ours to fix, not the
            # caller's; they get a 503 and nothing is cached.
            body = json_body(response, what="subscriptions") if response.content else None
            log.error("supabase subscriptions answered HTTP %s: %s", response.status_code, body)
            raise Unavailable(
                f"supabase subscriptions answered HTTP {response.status_code}", system=SYSTEM
            )
        rows = json_body(response, what="subscriptions")
        if not isinstance(rows, list):
            raise Unavailable("supabase subscriptions sent an unexpected answer", system=SYSTEM)
        return highest_tier(rows)


class SupabaseTierResolver:
    """A ``TierResolver``: the claim, else the table (when configured), else ``free``."""

    def __init__(self, table: SubscriptionTable | None = None) -> None:
        self._table = table

    def tier_for(self, claims: dict[str, Any]) -> str:
        tier = claim_tier(claims)
        if tier is not None:
            return tier
        if self._table is not None:
            return self._table.tier_of(str(claims["sub"]))
        return "free"
