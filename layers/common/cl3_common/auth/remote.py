"""The optional remote session check: ``GET {SUPABASE_URL}/auth/v1/user``.

A signature only proves a token was issued; Supabase Auth also knows whether its session was
signed out or its user deleted since. With ``SUPABASE_VERIFY_REMOTE=true`` a cache miss asks it.
GoTrue's refusals (401/403/404 with an ``error_code``) mean the session is gone: 401 for the
caller. Anything else Supabase does wrong (down, 5xx, a gateway refusing our ``apikey``) is
:class:`Unavailable`: a 503 that is never cached, neither as a success nor as a rejection.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import requests

from cl3_common.auth.supabase_http import SYSTEM, json_body, supabase_get
from cl3_common.errors import Unauthorized, Unavailable

log = logging.getLogger("cl3.auth")

USER_PATH = "/auth/v1/user"


class SupabaseUserCheck:
    """A ``RemoteSessionCheck``: the token must still name a live session and user."""

    def __init__(
        self,
        supabase_url: str,
        apikey: str,
        session: requests.Session,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._url = supabase_url.rstrip("/") + USER_PATH
        self._apikey = apikey
        self._session = session
        self._sleep = sleep

    def check(self, token: str) -> None:
        response = supabase_get(
            self._session,
            self._url,
            what="session check",
            headers={
                "apikey": self._apikey,
                "Authorization": f"Bearer {token}",
                "Accept": "application/json",
            },
            sleep=self._sleep,
        )
        status = response.status_code
        if status == 200:
            return
        if status in (401, 403, 404):
            body = json_body(response, what="session check")
            if isinstance(body, dict) and body.get("error_code"):
                # GoTrue judged the token: revoked session, deleted user, bad signature...
                raise Unauthorized(_refusal_message(str(body["error_code"])))
            # No error_code: the API gateway refused our apikey, a configuration problem.
            log.error(
                "supabase refused the session check's apikey (HTTP %s): %s",
                status,
                body.get("message") if isinstance(body, dict) else body,
            )
            raise Unavailable("supabase refused this service's API key", system=SYSTEM)
        log.error("supabase session check answered HTTP %s", status)
        raise Unavailable(f"supabase session check answered HTTP {status}", system=SYSTEM)


def _refusal_message(error_code: str) -> str:
    if error_code == "session_not_found":
        return "session has ended (signed out or revoked)"
    if error_code == "user_not_found":
        return "user no longer exists"
    return f"supabase auth refused the token ({error_code})"
