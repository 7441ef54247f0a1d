"""One GET to Supabase, with its failures translated into CL3's error family at the boundary.

Every Supabase client of the auth package (JWKS, ``/auth/v1/user``, PostgREST) goes through
:func:`supabase_get`. A Supabase outage becomes :class:`Unavailable` (the API answers 503 and
nothing is cached), never a requests exception that would surface as a 500.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

import requests

from cl3_common.errors import Unavailable
from cl3_common.timeouts import REQUEST_CONNECT_S, REQUEST_READ_S

log = logging.getLogger("cl3.auth")

SYSTEM = "supabase"
# (connect, read): a miss waits at most this long on Supabase before answering 503
# (the request path's budget, cl3_common.timeouts).
DEFAULT_TIMEOUT_S: tuple[float, float] = (REQUEST_CONNECT_S, REQUEST_READ_S)
# Gateway errors worth one quick retry (a proxy hiccup); a real outage still fails fast.
_RETRY_STATUSES = frozenset({502, 503, 504})
RETRY_DELAY_S = 0.1


def supabase_get(
    session: requests.Session,
    url: str,
    *,
    what: str,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
    timeout_s: float | tuple[float, float] = DEFAULT_TIMEOUT_S,
    sleep: Callable[[float], None],
    attempts: int = 2,
) -> requests.Response:
    """The response of a GET (any status), or Unavailable when Supabase cannot answer.

    Connection failures and 502/503/504 are tried again once after a short pause; a read
    timeout is not (it already cost the whole timeout). Callers judge the status themselves.
    """
    last: str = "no attempt made"
    for attempt in range(1, max(1, attempts) + 1):
        try:
            response = session.get(
                url, headers=dict(headers or {}), params=params, timeout=timeout_s
            )
        except requests.Timeout as e:
            log.warning("supabase %s timed out: %s", what, e)
            raise Unavailable(f"supabase {what} timed out", system=SYSTEM) from e
        except requests.RequestException as e:
            last = f"{type(e).__name__}"
            log.warning("supabase %s failed (attempt %d): %s", what, attempt, e)
        else:
            if response.status_code not in _RETRY_STATUSES:
                return response
            last = f"HTTP {response.status_code}"
            log.warning("supabase %s answered %s (attempt %d)", what, last, attempt)
        if attempt < attempts:
            sleep(RETRY_DELAY_S)
    raise Unavailable(f"supabase {what} is unreachable ({last})", system=SYSTEM)


def json_body(response: requests.Response, *, what: str) -> Any:
    """The decoded JSON of a response, or Unavailable when Supabase sent something else."""
    try:
        return response.json()
    except ValueError as e:
        log.error("supabase %s answered HTTP %s with a non-JSON body", what, response.status_code)
        raise Unavailable(f"supabase {what} sent an unreadable answer", system=SYSTEM) from e
