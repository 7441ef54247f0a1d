"""One HTTP session to the API: auth header, timeouts, retries, errors as exceptions.

429 and 503 answers are retried after the wait their `Retry-After` names (exponential backoff
when there is none), up to `max_retries` times and never waiting longer than `max_wait_s` at
once. A connection that fails is retried only for GET and DELETE, which repeat safely.
Clock and sleep come in through the constructor so tests need not wait.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import requests
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_exponential

from cl3.client.errors import ServiceUnavailable, TooManyRequests, TransportError, error_for

DEFAULT_TIMEOUT_S = (3.05, 60.0)  # connect, read
IDEMPOTENT = frozenset({"GET", "DELETE", "HEAD", "OPTIONS"})


class Transport:
    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        session: requests.Session | None = None,
        timeout_s: float | tuple[float, float] = DEFAULT_TIMEOUT_S,
        max_retries: int = 3,
        max_wait_s: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session or requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"
        self.session.headers.setdefault("User-Agent", "cl3-client")
        self._timeout = timeout_s
        self._max_retries = max_retries
        self._max_wait_s = max_wait_s
        self._sleep = sleep
        self._backoff = wait_exponential(multiplier=0.5, max=max_wait_s)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """The answer of a 2xx; an ApiError subclass (or TransportError) otherwise."""
        method = method.upper()
        retrying = Retrying(
            stop=stop_after_attempt(self._max_retries + 1),
            wait=self._wait,
            retry=retry_if_exception(lambda e: _retryable(e, method)),
            sleep=self._sleep,
            reraise=True,
        )
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        return retrying(self._once, method, path, clean, json, data, headers)

    def _once(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any],
        json: Any,
        data: bytes | str | None,
        headers: Mapping[str, str] | None,
    ) -> requests.Response:
        try:
            response = self.session.request(
                method, f"{self.base_url}{path}", params=params, json=json, data=data,
                headers=dict(headers or {}), timeout=self._timeout,
            )  # fmt: skip
        except requests.RequestException as e:
            raise TransportError(f"{method} {path}: {e}") from e
        if response.status_code >= 400:
            raise error_for(response.status_code, _body(response), _retry_after(response))
        return response

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        after = getattr(error, "retry_after_s", None)
        wait = float(after) if after is not None else float(self._backoff(state))
        return min(wait, self._max_wait_s)


def _retryable(error: BaseException, method: str) -> bool:
    if isinstance(error, TooManyRequests | ServiceUnavailable):
        return True
    return isinstance(error, TransportError) and method in IDEMPOTENT


def _body(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


def _retry_after(response: requests.Response) -> float | None:
    raw = response.headers.get("Retry-After", "")
    return float(raw) if raw.strip().isdigit() else None
