"""A local HTTP stand-in for a Supabase project: Auth JWKS, ``/auth/v1/user`` and PostgREST.

It answers on Supabase's real paths with Supabase's headers, status codes and error bodies, so
the product's auth code is pointed at it through ``SUPABASE_URL`` and cannot tell the difference.
Three layers are imitated, in the order a real request meets them: the API gateway (``apikey``
check), GoTrue (``/auth/v1``) and PostgREST (``/rest/v1``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from ..httpd import JsonResponse as Response
from ..httpd import ServerThread, StandIn, json_app, json_error_reply
from . import gotrue, postgrest
from .keys import SigningKeys
from .tokens import mint_token

JWKS_PATH = "/auth/v1/.well-known/jwks.json"
USER_PATH = "/auth/v1/user"
REST_PREFIX = "/rest/v1/"
SUBSCRIPTION_COLUMNS = ("user_id", "tier", "status", "current_period_end")
_COUNTERS = ("jwks", "user", "subscriptions")


def _gateway_error(message: str, hint: str) -> Response:
    return Response(401, {"message": message, "hint": hint})


_NO_ROUTE = Response(404, {"message": "no Route matched with those values"})
_PGRST_BAD_JWT = Response(
    401,
    {"code": "PGRST301", "details": None, "hint": None, "message": "JWSError JWSInvalidSignature"},
)


class SupabaseStub(StandIn):
    """A Supabase project on ``127.0.0.1``: start it, point ``SUPABASE_URL`` at ``.url``."""

    def __init__(
        self,
        keys: SigningKeys | None,
        host: str = "127.0.0.1",
        port: int = 0,
        anon_key: str = "anon-test-key",
        service_key: str = "service-test-key",
        jwt_secret: str | None = None,
    ) -> None:
        if keys is None and not jwt_secret:
            raise ValueError("SupabaseStub needs signing keys, a jwt_secret, or both")
        self.anon_key = anon_key
        self.service_key = service_key
        self.jwt_secret = jwt_secret
        self._host = host
        self._port = port
        self._lock = threading.Lock()
        self._keys = keys
        self._calls = dict.fromkeys(_COUNTERS, 0)
        self._revoked: set[str] = set()
        self._subscriptions: dict[str, list[dict[str, Any]]] = {}
        self._user_created: dict[str, float] = {}
        self._server: ServerThread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> SupabaseStub:
        if self._server is not None:
            raise RuntimeError("SupabaseStub already started")
        app = json_app(self.handle)
        server = ServerThread("supabase-stub", self._host, self._port, app,
                              error_reply=json_error_reply)  # fmt: skip
        self._server = server.start()
        return self

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("SupabaseStub is not running")
        return self._server.port

    @property
    def url(self) -> str:
        """The project URL, i.e. the value for ``SUPABASE_URL``."""
        return f"http://{self._host}:{self.port}"

    @property
    def issuer(self) -> str:
        return f"{self.url}/auth/v1"

    # -- state the tests steer -------------------------------------------------------------

    @property
    def keys(self) -> SigningKeys | None:
        with self._lock:
            return self._keys

    @property
    def calls(self) -> dict[str, int]:
        """A snapshot of request counters per endpoint (every request counts, refused or not)."""
        with self._lock:
            return dict(self._calls)

    def reset_calls(self) -> None:
        with self._lock:
            self._calls = dict.fromkeys(_COUNTERS, 0)

    def revoke_session(self, session_id: str) -> None:
        """Sign the session out: ``/auth/v1/user`` then refuses tokens carrying it (403)."""
        with self._lock:
            self._revoked.add(session_id)

    def set_subscriptions(self, user_id: str, rows: Sequence[Mapping[str, Any]]) -> None:
        """Replace the ``subscriptions`` rows of one user (``[]`` clears them)."""
        default_end = (datetime.now(UTC) + timedelta(days=30)).isoformat()
        stored = []
        for row in rows:
            full = {
                "user_id": user_id,
                "status": "active",
                "current_period_end": default_end,
                **row,
            }
            full["user_id"] = user_id  # rows belong to the user they were set for
            stored.append(full)
        with self._lock:
            self._subscriptions[user_id] = stored

    def rotate_keys(self, new_keys: SigningKeys | None) -> None:
        """Publish (and verify with) a different key set from the next request on."""
        with self._lock:
            self._keys = new_keys

    def mint(self, sub: str, tier: str | None = None, **kwargs: Any) -> str:
        """``mint_token`` with this project's issuer and keys (or its HS256 secret) filled in."""
        kwargs.setdefault("url", self.url)
        keys = self.keys
        if keys is None and "secret" not in kwargs:
            kwargs["secret"] = self.jwt_secret  # an HS256-only project
        kwargs.setdefault("key", keys)
        return mint_token(sub, tier, **kwargs)

    # -- request handling ------------------------------------------------------------------

    def _count(self, name: str) -> None:
        with self._lock:
            self._calls[name] += 1

    def handle(
        self, method: str, path: str, query: Sequence[tuple[str, str]], headers: Mapping[str, str]
    ) -> Response:
        """Route one request (``headers`` keyed by lower-case name); only the counters change."""
        if method == "GET" and path == JWKS_PATH:
            self._count("jwks")
            return self._jwks()
        if method == "GET" and path == USER_PATH:
            self._count("user")
            return self._gateway(query, headers) or self._user(headers)
        if path.startswith(REST_PREFIX):
            table = path[len(REST_PREFIX) :]
            if table == "subscriptions" and method == "GET":
                self._count("subscriptions")
            return self._gateway(query, headers) or self._rest(method, table, query, headers)
        return _NO_ROUTE

    def _jwks(self) -> Response:
        keys = self.keys
        document = keys.jwks() if keys is not None else {"keys": []}
        return Response(200, document, {"Cache-Control": "public, max-age=600"})

    def _gateway(
        self, query: Sequence[tuple[str, str]], headers: Mapping[str, str]
    ) -> Response | None:
        """The API gateway's key check, which runs before GoTrue or PostgREST see the request."""
        apikey = headers.get("apikey") or dict(query).get("apikey")
        if not apikey:
            return _gateway_error(
                "No API key found in request", "No `apikey` request header or url param was found."
            )
        if apikey not in (self.anon_key, self.service_key):
            return _gateway_error(
                "Invalid API key", "Double check your Supabase `anon` or `service_role` API key."
            )
        return None

    def _user(self, headers: Mapping[str, str]) -> Response:
        with self._lock:
            keys, revoked = self._keys, frozenset(self._revoked)
        try:
            token = gotrue.extract_bearer(headers.get("authorization"))
            claims = gotrue.verify_access_token(token, keys, self.jwt_secret)
            gotrue.check_session(claims, revoked)
        except gotrue.AuthError as err:
            return Response(err.status, err.body)
        with self._lock:
            created = self._user_created.setdefault(claims["sub"], time.time())
        return Response(200, gotrue.user_json(claims, created))

    def _rest(
        self, method: str, table: str, query: Sequence[tuple[str, str]], headers: Mapping[str, str]
    ) -> Response:
        # The bearer decides the database role; without one the gateway's key stands in (as
        # Supabase does for secret/publishable keys sent only as ``apikey``).
        authorization = headers.get("authorization")
        if authorization is None:
            bearer: str | None = headers.get("apikey") or dict(query).get("apikey")
        else:
            scheme, _, bearer = authorization.partition(" ")
            if scheme.lower() != "bearer":
                bearer = None
        if bearer not in (self.anon_key, self.service_key):
            return _PGRST_BAD_JWT
        if table != "subscriptions":
            return Response(
                404,
                {
                    "code": "PGRST205",
                    "details": None,
                    "hint": "Perhaps you meant the table 'public.subscriptions'",
                    "message": f"Could not find the table 'public.{table}' in the schema cache",
                },
            )
        if method != "GET":
            return Response(
                405,
                {
                    "code": "PGRST117",
                    "details": None,
                    "hint": None,
                    "message": f"Unsupported HTTP method: {method}",
                },
            )
        if bearer == self.anon_key:
            # Row Level Security: the anon role sees no subscription rows, and that is not an error.
            return self._rows([])
        with self._lock:
            rows = [row for user_rows in self._subscriptions.values() for row in user_rows]
        try:
            return self._rows(postgrest.run_query(table, rows, SUBSCRIPTION_COLUMNS, query))
        except postgrest.QueryError as err:
            return Response(err.status, err.body)

    @staticmethod
    def _rows(rows: list[dict[str, Any]]) -> Response:
        content_range = f"0-{len(rows) - 1}/*" if rows else "*/*"
        return Response(
            200,
            rows,
            {"Content-Type": "application/json; charset=utf-8", "Content-Range": content_range},
        )
