"""The scheduled refresh as a Chalice function (an EventBridge rule in AWS).

Chalice needs the rate when the decorator runs, before any Settings exist, so it is read once
from the environment variable `REFRESH_INTERVAL_MINUTES` (default 15, at least 1) when this
module is imported: by `create_app`'s module, by `chalice package` when it writes the rule,
and by Lambda itself. The function lives on a module-level blueprint so its Lambda handler is
`chalicelib.scheduled.refresh_tracked_series`, importable without `app.py`. It uses the
runtime of the app it was registered to (`create_app`), or, alone in its own Lambda
function, a runtime built from the environment on the first (cold-start) invocation.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from chalice import Blueprint, Rate

from chalicelib.runtime import Runtime, RuntimeProvider
from cl3_common.intervals import now_ms
from cl3_common.refresh import plan_refreshes
from cl3_common.settings import SettingsError

DEFAULT_REFRESH_INTERVAL_MINUTES = 15
REFRESH_FUNCTION_NAME = "refresh_tracked_series"

log = logging.getLogger("cl3.scheduled")


def refresh_interval_minutes(environ: Mapping[str, str] | None = None) -> int:
    raw = (os.environ if environ is None else environ).get("REFRESH_INTERVAL_MINUTES", "")
    if not raw.strip():
        return DEFAULT_REFRESH_INTERVAL_MINUTES
    try:
        minutes = int(raw)
    except ValueError:
        minutes = 0
    if minutes < 1:
        raise SettingsError(
            f"invalid configuration: REFRESH_INTERVAL_MINUTES must be a whole number of "
            f"minutes >= 1, not {raw!r}"
        )
    return minutes


REFRESH_RATE = Rate(refresh_interval_minutes(), unit=Rate.MINUTES)
blueprint = Blueprint(__name__)
_standalone = RuntimeProvider(Runtime.from_env)


def _provider() -> RuntimeProvider:
    try:
        provider = getattr(blueprint.current_app, "runtime_provider", None)
    except RuntimeError:  # not registered: deployed as its own Lambda function
        provider = None
    return provider if isinstance(provider, RuntimeProvider) else _standalone


@blueprint.schedule(
    REFRESH_RATE,
    name=REFRESH_FUNCTION_NAME,
    description="Enqueue one refresh per stale tracked series",
)
def refresh_tracked_series(event: Any) -> dict[str, Any]:
    rt = _provider().get()
    report = plan_refreshes(rt.redis, rt.stores, now_ms=now_ms(rt.clock))
    return report.to_json()
