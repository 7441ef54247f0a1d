"""The Redis single flight: one leader per name at a time, followers take its result."""

from __future__ import annotations

import threading
import time

import pytest

from cl3_common.mirror.flight import SingleFlight


def test_concurrent_callers_share_one_call(redis_client):
    flights = SingleFlight(redis_client)
    calls: list[int] = []
    barrier = threading.Barrier(12)
    results: list[dict] = []

    def work() -> dict:
        calls.append(1)
        time.sleep(0.2)  # long enough for every caller to arrive while it runs
        return {"rows": [1, 2, 3]}

    def caller() -> None:
        barrier.wait()
        results.append(flights.run("page-1", work))

    threads = [threading.Thread(target=caller) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert results == [{"rows": [1, 2, 3]}] * 12
    assert redis_client.get("cl3:flight:page-1") is None  # the lock is released


def test_a_failed_leader_hands_over_to_a_follower(redis_client):
    flights = SingleFlight(redis_client)
    started = threading.Event()
    outcome: list[object] = []

    def failing() -> dict:
        started.set()
        time.sleep(0.1)
        raise RuntimeError("exchange went away")

    def leader() -> None:
        try:
            flights.run("page-2", failing)
        except RuntimeError as e:
            outcome.append(e)

    first = threading.Thread(target=leader)
    first.start()
    started.wait(5)
    result = flights.run("page-2", lambda: {"ok": True})  # joins, then takes over
    first.join()
    assert result == {"ok": True}
    assert isinstance(outcome[0], RuntimeError)


def test_results_are_not_a_cache(redis_client):
    flights = SingleFlight(redis_client)
    counter = iter(range(100))
    assert flights.run("page-3", lambda: {"n": next(counter)}) == {"n": 0}
    assert flights.run("page-3", lambda: {"n": next(counter)}) == {"n": 1}


def test_a_flight_that_outlives_the_wait_is_an_outage(redis_client):
    from cl3_common.errors import Unavailable

    redis_client.set("cl3:flight:page-4", "someone-else", px=5000)  # a stuck leader
    flights = SingleFlight(redis_client, wait_s=0.2)
    with pytest.raises(Unavailable):
        flights.run("page-4", lambda: {"never": True})
