"""Redis keys of the task bookkeeping (one place, so handlers and workers agree)."""

from __future__ import annotations

from cl3_common.redis_conn import KEY_PREFIX


def active_jobs_key(sub: str) -> str:
    return f"{KEY_PREFIX}:user:{sub}:active"


def dedupe_key(sub: str, fingerprint: str) -> str:
    return f"{KEY_PREFIX}:dedupe:{sub}:{fingerprint}"
