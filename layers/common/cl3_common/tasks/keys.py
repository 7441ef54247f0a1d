"""Redis keys of the task bookkeeping (one place, so handlers, workers and scripts agree)."""

from __future__ import annotations

from rq.job import Job

from cl3_common.redis_conn import KEY_PREFIX

PROGRESS_PREFIX, PROGRESS_SUFFIX = f"{KEY_PREFIX}:task:", ":progress"
ACTIVE_PREFIX, ACTIVE_SUFFIX = f"{KEY_PREFIX}:user:", ":active"


def progress_key(task_id: str) -> str:
    """The task's progress hash: its live state (docs/data-model.md, "Redis")."""
    return f"{PROGRESS_PREFIX}{task_id}{PROGRESS_SUFFIX}"


def active_jobs_key(owner: str) -> str:
    """The set of an owner's tasks that count against their concurrent-job limit."""
    return f"{ACTIVE_PREFIX}{owner}{ACTIVE_SUFFIX}"


def dedupe_key(owner: str, fingerprint: str) -> str:
    """The owner's pending task for one request fingerprint (identical requests share it)."""
    return f"{KEY_PREFIX}:dedupe:{owner}:{fingerprint}"


def rq_job_key(task_id: str) -> str:
    """RQ's hash of the task's job (its `status` field is read, never written, by CL3)."""
    return Job.key_for(task_id)


RQ_JOB_PREFIX = rq_job_key("")
