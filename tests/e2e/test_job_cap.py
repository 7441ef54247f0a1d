"""The per-user job cap holds under concurrency: 20 pro users (cap 2) each send 10 fetches at
once through `cl3 api` while two workers run them; a sampler watches every user's pending tasks
the whole time. Nobody may ever have more than 2 queued or running."""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis
import requests

from cl3_common.tasks.keys import active_jobs_key
from tests.e2e.stack import running_stack

pytestmark = pytest.mark.e2e

USERS, PER_USER, CAP = 20, 10, 2
JAN_2024 = 1_704_067_200_000
DAY_MS = 86_400_000


def _pending_by_owner(client: redis.Redis) -> tuple[dict[str, int], dict[str, int]]:
    """One consistent snapshot: per owner, (tasks whose progress says queued/started, the size
    of the owner's active set)."""
    keys = sorted(client.scan_iter(match="cl3:task:*:progress", count=1000))
    owners = [f"user-{n:02d}" for n in range(USERS)]
    with client.pipeline(transaction=True) as pipe:
        for key in keys:
            pipe.hmget(key, "owner", "status")
        for owner in owners:
            pipe.scard(active_jobs_key(owner))
        replies = pipe.execute()
    pending: dict[str, int] = defaultdict(int)
    for owner, status in replies[: len(keys)]:
        if status in (b"queued", b"started"):
            pending[owner.decode()] += 1
    return dict(pending), dict(zip(owners, replies[len(keys) :], strict=True))


def test_nobody_exceeds_their_job_cap_under_concurrent_submissions(env, token, tmp_path: Path):
    client = redis.Redis.from_url(env["REDIS_URL"])
    worst: Counter[str] = Counter()
    worst_set: Counter[str] = Counter()
    samples = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal samples
        while not stop.is_set():
            pending, active = _pending_by_owner(client)
            for owner, n in pending.items():
                worst[owner] = max(worst[owner], n)
            for owner, n in active.items():
                worst_set[owner] = max(worst_set[owner], n)
            samples += 1

    statuses: Counter[int] = Counter()
    created: dict[str, set[str]] = defaultdict(set)
    with running_stack(env, tmp_path / "logs", token("user-00"), workers=2) as stack:
        sessions = {f"user-{n:02d}": requests.Session() for n in range(USERS)}
        tokens = {user: token(user, "pro") for user in sessions}

        def submit(user: str, n: int) -> None:
            # Ten different ranges per user: no two requests deduplicate into one task.
            start = JAN_2024 + n * 7 * DAY_MS
            body = {"symbol": "BTCUSDT", "interval": "1h", "start": start, "end": start + DAY_MS}
            answer = sessions[user].post(f"{stack.base}/api/market-data/fetch", json=body,
                                         headers={"Authorization": f"Bearer {tokens[user]}"},
                                         timeout=30)  # fmt: skip
            statuses[answer.status_code] += 1
            if answer.status_code == 202:
                created[user].add(answer.json()["task_id"])
            else:
                assert answer.status_code == 429, answer.text
                assert answer.json()["error"]["code"] == "too_many_jobs"
                assert int(answer.headers["Retry-After"]) > 0

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        began = time.monotonic()
        with ThreadPoolExecutor(max_workers=USERS * PER_USER) as pool:
            # A user's ten requests side by side, so the server runs them at the same time.
            jobs = [pool.submit(submit, user, n) for user in sessions for n in range(PER_USER)]
            for job in jobs:
                job.result()
        submitting_s = time.monotonic() - began
        time.sleep(0.5)  # keep sampling while the workers drain the queues
        stop.set()
        sampler.join()

    print(f"{sum(statuses.values())} submissions in {submitting_s:.2f} s: {dict(statuses)}; "
          f"{samples} samples; most pending for one user: {max(worst.values())}")  # fmt: skip
    assert statuses[202] + statuses[429] == USERS * PER_USER
    assert samples >= 20
    assert all(len(created[user]) >= CAP for user in sessions)  # everyone got their share
    assert max(worst.values()) <= CAP, {u: n for u, n in worst.items() if n > CAP}
    assert max(worst_set.values()) <= CAP, {u: n for u, n in worst_set.items() if n > CAP}
