"""cl3.client's transport: which failures it retries, how long it waits, what it raises."""

from __future__ import annotations

import pytest

from cl3.client import BadRequest, Client, ServiceUnavailable, TooManyRequests, TransportError
from cl3.client.errors import ApiError, ServerError, error_for
from cl3_cli.processes import free_port


def test_a_refused_connection_is_retried_for_reads_only():
    waits: list[float] = []
    client = Client(f"http://127.0.0.1:{free_port()}", "token", sleep=waits.append,
                    max_retries=3, timeout_s=1)  # fmt: skip
    with pytest.raises(TransportError):
        client.symbols()
    assert waits == [0.5, 1.0, 2.0]  # exponential backoff: there is no Retry-After to honour
    waits.clear()
    with pytest.raises(TransportError):
        client.submit_fetch("BTCUSDT", "1h", "2024-01-01")  # a POST is not repeated blindly
    assert waits == []


@pytest.mark.parametrize(
    ("status", "body", "cls", "code"),
    [
        (400, {"error": {"code": "invalid_symbol", "message": "no"}}, BadRequest, "invalid_symbol"),
        (429, {"error": {"code": "too_many_jobs", "message": "wait"}}, TooManyRequests,
         "too_many_jobs"),
        (503, {"error": {"code": "unavailable", "message": "redis"}}, ServiceUnavailable,
         "unavailable"),
        (502, "<html>bad gateway</html>", ServerError, "http_502"),
        (418, {"unexpected": True}, ApiError, "http_418"),
    ],
)  # fmt: skip
def test_error_answers_become_their_class_with_the_api_code(status, body, cls, code):
    error = error_for(status, body, retry_after_s=7)
    assert type(error) is cls and error.code == code and error.status == status
    assert error.retry_after_s == 7
