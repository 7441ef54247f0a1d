"""What the results of range tasks (fetch, refresh, audit, funding) share: the series and the
range they were asked for first, then what the work reports, then how long it took."""

from __future__ import annotations

import time
from typing import Any, Protocol


class _Key(Protocol):
    def to_json(self) -> dict[str, str]: ...


def range_result(
    key: _Key, start_ms: int, end_ms: int, *, began: float, **reported: Any
) -> dict[str, Any]:
    """`began`: the work's `time.monotonic()` when it started."""
    return {**key.to_json(), "start": start_ms, "end": end_ms, **reported,
            "duration_s": round(time.monotonic() - began, 3)}  # fmt: skip
