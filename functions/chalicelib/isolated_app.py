"""A Chalice app whose per-request state belongs to the thread serving the request.

Chalice keeps the request being served in plain attributes of the app (`current_request`,
`lambda_context`), which handlers read through their blueprint. Lambda serves one request per
process at a time, so that is safe there; `cl3 api` serves many at once on waitress threads,
and with one shared attribute a handler that waited on Redis could read the next request's
query string, body or Authorization header. Here both attributes live in a `threading.local`
of the app, so every thread sees only the request it is serving (Chalice's own `LocalChalice`
does the same for `chalice local`).
"""

from __future__ import annotations

import threading
from typing import Any

from chalice import Chalice


class IsolatedChalice(Chalice):
    runtime_provider: Any  # set by create_app: what handlers build their clients from

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Set before Chalice.__init__, which assigns the attributes below.
        self._per_thread = threading.local()
        super().__init__(*args, **kwargs)

    @property
    def current_request(self) -> Any:
        return getattr(self._per_thread, "current_request", None)

    @current_request.setter
    def current_request(self, value: Any) -> None:
        self._per_thread.current_request = value

    @property
    def lambda_context(self) -> Any:
        return getattr(self._per_thread, "lambda_context", None)

    @lambda_context.setter
    def lambda_context(self, value: Any) -> None:
        self._per_thread.lambda_context = value
