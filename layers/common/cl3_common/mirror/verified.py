"""What a ledger (candles' or funding's) says the exchange was asked for, completely.

A `complete` record [start, end) says everything the exchange had there is stored. The mirror
answers from the store only inside such records and only before `settled_end` (what may
still change or appear is asked again).
"""

from __future__ import annotations

from collections.abc import Callable

from cl3_common.derived.gaps import FetchRecord

Records = Callable[[int, int], list[FetchRecord]]  # records overlapping [start, end)
MAX_HOPS = 8  # records followed from one to the next


def verified_until(records: Records, at: int, settled_end: int) -> int | None:
    """Where the settled, fetched stretch containing `at` ends; None if `at` is not in one."""
    if at >= settled_end:
        return None
    reached = at
    for _ in range(MAX_HOPS):
        found = [r for r in records(reached, reached + 1)
                 if r.outcome == "complete" and r.start_ms <= reached < r.end_ms]  # fmt: skip
        if not found:
            break
        reached = max(r.end_ms for r in found)
    reached = min(reached, settled_end)
    return reached if reached > at else None
