"""The app's per-request attributes belong to the thread serving the request."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from chalice import Blueprint, Chalice
from chalice.config import Config
from chalice.local import LocalGateway

from chalicelib.isolated_app import IsolatedChalice


def _app(cls: type[Chalice], barrier: threading.Barrier) -> Chalice:
    app = cls(app_name="isolation")
    bp = Blueprint(__name__)

    @bp.route("/echo")
    def echo() -> dict[str, str]:
        first = bp.current_request.query_params["who"]
        barrier.wait(timeout=5)  # both requests are now inside a handler at the same time
        return {"before": first, "after": bp.current_request.query_params["who"]}

    app.register_blueprint(bp)
    return app


def _serve_two_at_once(cls: type[Chalice]) -> list[str]:
    import json

    gateway = LocalGateway(_app(cls, threading.Barrier(2)), Config(chalice_stage="dev"))

    def call(who: str) -> dict[str, str]:
        response = gateway.handle_request("GET", f"/echo?who={who}", {}, b"")
        return json.loads(response["body"])

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(call, ["alice", "bob"]))
    return [a["after"] for a in answers if a["before"] == a["after"]]


def test_each_thread_reads_its_own_request():
    assert sorted(_serve_two_at_once(IsolatedChalice)) == ["alice", "bob"]


def test_plain_chalice_shares_one_request_between_threads():
    # The bug this app class exists for: the second request overwrites the first's.
    assert len(_serve_two_at_once(Chalice)) == 1
