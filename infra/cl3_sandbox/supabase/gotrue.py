"""How Supabase Auth (GoTrue) judges an access token on ``GET /auth/v1/user``.

GoTrue parses the bearer token with golang-jwt: the key is chosen by ``alg``/``kid`` (the
project's asymmetric signing keys, or the legacy HS256 secret), signature and ``exp``/``nbf``
are checked, ``aud`` is not. Then it loads the user and the session named by ``session_id``.
Error messages below reproduce GoTrue's wording so that client code sees what it would in
production.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import jwt

from .keys import SigningKeys

# GoTrue's own pattern: one space, then the token to the end of the header.
_BEARER = re.compile(r"[Bb]earer (\S+)")
_PARSE_PREFIX = "invalid JWT: unable to parse or verify signature, "
_ASYMMETRIC = {
    "ES256": "crypto/ecdsa: verification error",
    "RS256": "crypto/rsa: verification error",
}


class AuthError(Exception):
    """A refusal in GoTrue's error format: ``{"code", "error_code", "msg"}``."""

    def __init__(self, status: int, error_code: str, msg: str) -> None:
        super().__init__(msg)
        self.status = status
        self.body: dict[str, Any] = {"code": status, "error_code": error_code, "msg": msg}


def _bad_jwt(detail: str) -> AuthError:
    return AuthError(401, "bad_jwt", _PARSE_PREFIX + detail)


def extract_bearer(authorization: str | None) -> str:
    """GoTrue accepts exactly ``Bearer <token>`` (or ``bearer``), nothing else."""
    match = _BEARER.fullmatch(authorization or "")
    if match is None:
        raise AuthError(401, "no_authorization", "This endpoint requires a valid Bearer token")
    return match.group(1)


def verify_access_token(
    token: str, keys: SigningKeys | None, jwt_secret: str | None
) -> dict[str, Any]:
    """The token's claims if GoTrue would accept its signature and time claims."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.DecodeError as exc:
        raise _bad_jwt(f"token is malformed: {exc}") from None
    alg = header.get("alg")
    kid = header.get("kid")
    key: Any
    if alg == "HS256":
        if not jwt_secret:
            raise _bad_jwt(
                "token is unverifiable: error while executing keyfunc: unrecognized JWT kid"
            )
        key = jwt_secret
    elif alg in _ASYMMETRIC:
        # The key must exist under that kid AND be of the algorithm the header claims,
        # so a token cannot pick a weaker interpretation of a published key.
        if (
            keys is None
            or not isinstance(kid, str)
            or kid not in keys
            or keys.algorithm(kid) != alg
        ):
            raise _bad_jwt(
                f"token is unverifiable: error while executing keyfunc: invalid kid: {kid}"
            )
        key = keys.public_key(kid)
    else:
        raise _bad_jwt(f"token signature is invalid: token signing method {alg} is invalid")
    try:
        return jwt.decode(
            token,
            key,
            algorithms=[alg],
            # golang-jwt does not check aud or iat unless asked, and GoTrue does not ask.
            options={"verify_aud": False, "verify_iat": False, "verify_iss": False},
        )
    except jwt.ExpiredSignatureError:
        raise _bad_jwt("token has invalid claims: token is expired") from None
    except jwt.ImmatureSignatureError:
        raise _bad_jwt("token has invalid claims: token is not valid yet") from None
    except jwt.InvalidSignatureError:
        raise _bad_jwt(
            f"token signature is invalid: {_ASYMMETRIC.get(alg, 'signature is invalid')}"
        ) from None
    except jwt.DecodeError as exc:
        raise _bad_jwt(f"token is malformed: {exc}") from None
    except jwt.InvalidTokenError as exc:
        raise _bad_jwt(f"token has invalid claims: {exc}") from None


def check_session(claims: dict[str, Any], revoked_sessions: set[str] | frozenset[str]) -> None:
    """GoTrue's post-parse checks: a subject must be present and its session must still exist."""
    if not claims.get("sub"):
        raise AuthError(403, "bad_jwt", "invalid claim: missing sub claim")
    session_id = claims.get("session_id")
    if session_id and session_id in revoked_sessions:
        raise AuthError(
            403, "session_not_found", "Session from session_id claim in JWT does not exist"
        )


def iso_time(epoch: float) -> str:
    """Timestamps the way GoTrue serialises them (RFC 3339, microseconds, ``Z``)."""
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def user_json(claims: dict[str, Any], created_at: float) -> dict[str, Any]:
    """The user object ``GET /auth/v1/user`` returns, built from the token (the stub has no DB)."""
    aud = claims.get("aud", "authenticated")
    created = iso_time(created_at)
    email = claims.get("email", "")
    return {
        "id": claims["sub"],
        "aud": aud[0] if isinstance(aud, list) and aud else aud,
        "role": claims.get("role", "authenticated"),
        "email": email,
        "email_confirmed_at": created if email else None,
        "phone": claims.get("phone", ""),
        "confirmed_at": created,
        "last_sign_in_at": iso_time(claims.get("iat", created_at)),
        "app_metadata": claims.get("app_metadata", {}),
        "user_metadata": claims.get("user_metadata", {}),
        "identities": [],
        "created_at": created,
        "updated_at": created,
        "is_anonymous": bool(claims.get("is_anonymous", False)),
    }
