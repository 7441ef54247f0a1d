"""JWT verification of Supabase access tokens (HS256 legacy secret; `jwks` for ES256/RS256)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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
                options={"require": ["exp", "sub", "aud"], "verify_iat": False},
            )
        except jwt.ExpiredSignatureError as e:
            raise Unauthorized("token expired") from e
        except jwt.ImmatureSignatureError as e:
            raise Unauthorized("token not yet valid") from e
        except jwt.InvalidAudienceError as e:
            raise Unauthorized("token audience is not accepted") from e
        except jwt.InvalidIssuerError as e:
            raise Unauthorized("token issuer is not accepted") from e
        except jwt.MissingRequiredClaimError as e:
            raise Unauthorized(f"token lacks the {e.claim!r} claim") from e
        except jwt.PyJWTError as e:
            raise Unauthorized("token signature is invalid") from e
        # pyjwt checks exp/nbf against the wall clock; re-check with ours so tests can move time.
        now = self._clock()
        if int(claims["exp"]) <= now - self._leeway_s:
            raise Unauthorized("token expired")
        nbf = claims.get("nbf")
        if isinstance(nbf, (int, float)) and nbf > now + self._leeway_s:
            raise Unauthorized("token not yet valid")
        if claims.get("role") != "authenticated":
            raise Unauthorized("token role is not 'authenticated'")
        if not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise Unauthorized("token lacks a subject")
        return claims
