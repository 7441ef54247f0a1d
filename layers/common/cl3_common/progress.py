"""Task progress in Redis: one hash per task, written by workers after every page."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import redis

from cl3_common.redis_conn import KEY_PREFIX, as_text, redis_errors_translated

PROGRESS_TTL_S = 7 * 86_400
_INT_FIELDS = ("progress", "pages_done", "pages_total", "candles_written")
_OPTIONAL_INT_FIELDS = ("created_at", "started_at", "ended_at")
_FLOAT_FIELDS = ("eta_s", "candles_per_s")

# Progress may only rise: concurrent writers (and a retried job replaying pages) must not
# move the bar backwards, so the comparison happens inside Redis.
_RAISE_PROGRESS = f"""
local cur = tonumber(redis.call('HGET', KEYS[1], 'progress') or '-1')
local new = tonumber(ARGV[1])
if new < cur then new = cur end
redis.call('HSET', KEYS[1], 'progress', new)
for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('EXPIRE', KEYS[1], {PROGRESS_TTL_S})
return new
"""


def progress_key(task_id: str) -> str:
    return f"{KEY_PREFIX}:task:{task_id}:progress"


class ProgressStore:
    def __init__(self, client: redis.Redis, clock_ms: Callable[[], int]) -> None:
        self._redis = client
        self._clock_ms = clock_ms
        self._raise = client.register_script(_RAISE_PROGRESS)

    def create(self, task_id: str, *, task_type: str, owner: str) -> dict[str, Any]:
        record = {
            "task_id": task_id,
            "type": task_type,
            "owner": owner,
            "status": "queued",
            "progress": 0,
            "pages_done": 0,
            "pages_total": 0,
            "candles_written": 0,
            "eta_s": "",
            "candles_per_s": "",
            "error": "",
            "created_at": self._clock_ms(),
            "started_at": "",
            "ended_at": "",
        }
        with redis_errors_translated():
            pipe = self._redis.pipeline()
            pipe.hset(progress_key(task_id), mapping=record)  # type: ignore[arg-type]
            pipe.expire(progress_key(task_id), PROGRESS_TTL_S)
            pipe.execute()
        return record

    def mark_started(self, task_id: str) -> None:
        self._set(task_id, {"status": "started", "started_at": self._clock_ms(), "error": ""})

    def update(self, task_id: str, *, progress: int, **fields: Any) -> int:
        """Raise the percentage (never lower it) and set the other counters."""
        args: list[Any] = [max(0, min(100, int(progress)))]
        for name, value in fields.items():
            args.extend([name, "" if value is None else value])
        with redis_errors_translated():
            return int(self._raise(keys=[progress_key(task_id)], args=args))

    def finish(self, task_id: str, **fields: Any) -> None:
        self.update(task_id, progress=100, eta_s=0, **fields)
        self._set(task_id, {"status": "finished", "ended_at": self._clock_ms()})

    def fail(self, task_id: str, code: str, message: str, status: str = "failed") -> None:
        error = json.dumps({"code": code, "message": message})
        self._set(task_id, {"status": status, "error": error, "ended_at": self._clock_ms()})

    def get(self, task_id: str) -> dict[str, Any] | None:
        with redis_errors_translated():
            raw = self._redis.hgetall(progress_key(task_id))
        if not raw:
            return None
        return _decode({as_text(k): as_text(v) for k, v in raw.items()})

    def _set(self, task_id: str, fields: Mapping[str, Any]) -> None:
        with redis_errors_translated():
            self._redis.hset(progress_key(task_id), mapping=dict(fields))  # type: ignore[arg-type]


def _decode(raw: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = dict(raw)
    for name in _INT_FIELDS:
        out[name] = int(float(raw.get(name) or 0))
    for name in _OPTIONAL_INT_FIELDS:
        out[name] = int(raw[name]) if raw.get(name) else None
    for name in _FLOAT_FIELDS:
        out[name] = round(float(raw[name]), 3) if raw.get(name) else None
    out["error"] = json.loads(raw["error"]) if raw.get("error") else None
    return out
