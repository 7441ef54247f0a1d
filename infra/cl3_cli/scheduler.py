"""`cl3 scheduler`: the periodic refresh for deployments without EventBridge."""

from __future__ import annotations

from cl3_common.settings import Settings


def run_scheduler(settings: Settings) -> int:
    raise SystemExit("cl3 scheduler: the scheduled refresh is not built yet (see issue 6)")
