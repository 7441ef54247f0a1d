"""JWT verification of Supabase access tokens (HS256 legacy secret; `jwks` for ES256/RS256)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from math import isfinite
from typing import Any, Protocol

import jwt

from cl3_common.errors import Unauthorized


class KeySource(Protocol):
    """Finds the verification key and its algorithm for a token header."""

    def key_for(self, header: dict[str, Any]) -> tuple[Any, str]: ...


@dataclass(frozen=True)
class SecretKeySource:
    secret: str

    def key_for(self, header: dict[str, Any]) -> tuple[Any, str]:
        return self.secret, "HS256"


class TokenVerifier:
    def __init__(
        self,
        keys: KeySource,
        *,
        audience: str,
        issuer: str | None,
        clock: Callable[[], float],
        leeway_s: int = 0,
    ) -> None:
        self._keys = keys
        self._audience = audience
        self._issuer = issuer
        self._clock = clock
        self._leeway_s = leeway_s

    def verify(self, token: str) -> dict[str, Any]:
        """Claims of a valid token; Unauthorized (with a reason) otherwise."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as e:
            raise Unauthorized("malformed token") from e
        if header.get("alg") in (None, "none"):
            raise Unauthorized("unsigned tokens are not accepted")
        key, algorithm = self._keys.key_for(header)
        if header.get("alg") != algorithm:
            raise Unauthorized(f"token algorithm {header.get('alg')!r} does not match its key")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=[algorithm],
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway_s,
                # Times are checked below, by type first, then against our clock (tests move it).
                options={
                    "require": ["exp", "sub", "aud"],
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                },
            )
        except jwt.MissingRequiredClaimError as e:
            raise Unauthorized(f"token lacks the {e.claim!r} claim") from e
        except jwt.PyJWTError as e:
            raise Unauthorized(_reason(e)) from e
        self._check_claims(claims)
        return claims

    def _check_claims(self, claims: dict[str, Any]) -> None:
        _require_numeric_dates(claims)
        now = self._clock()
        if claims["exp"] <= now - self._leeway_s:
            raise Unauthorized("token expired")
        nbf = claims.get("nbf")
        if nbf is not None and nbf > now + self._leeway_s:
            raise Unauthorized("token not yet valid")
        if claims.get("role") != "authenticated":
            raise Unauthorized("token role is not 'authenticated'")
        if not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise Unauthorized("token lacks a subject")


def _require_numeric_dates(claims: dict[str, Any]) -> None:
    # RFC 7519: a NumericDate is a JSON number. pyjwt would read "9999999999" with int().
    for name in ("exp", "nbf", "iat"):
        value = claims.get(name, 0)
        if isinstance(value, bool) or not isinstance(value, int | float) or not isfinite(value):
            raise Unauthorized(f"token {name!r} claim must be a number (NumericDate)")


# pyjwt's refusals we name; anything else it refuses is a bad signature or a malformed token.
_REASONS: tuple[tuple[type[jwt.PyJWTError], str], ...] = (
    (jwt.InvalidAudienceError, "token audience is not accepted"),
    (jwt.InvalidIssuerError, "token issuer is not accepted"),
    (jwt.exceptions.InvalidSubjectError, "token 'sub' claim must be a string"),
    (jwt.exceptions.InvalidJTIError, "token 'jti' claim must be a string"),
)


def _reason(error: jwt.PyJWTError) -> str:
    return next((r for cls, r in _REASONS if isinstance(error, cls)), "token signature is invalid")
