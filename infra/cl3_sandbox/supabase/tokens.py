"""Minting access tokens shaped like the ones Supabase Auth (GoTrue) issues.

Used by tests, by the Supabase stand-in and by ``cl3 token`` for local development. The claim
set follows a real Supabase access token so that the product's verifier is exercised on
realistic input, including claims it must ignore (``user_metadata`` is user-editable).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import jwt

from .keys import SigningKeys

DEFAULT_AUDIENCE = "authenticated"
# Legacy Supabase tokens minted outside a project URL carry this issuer. It never equals a
# "{SUPABASE_URL}/auth/v1" value, so such tokens fail an issuer check rather than pass by accident.
FALLBACK_ISSUER = "supabase"


def issuer_for(url: str) -> str:
    """The ``iss`` Supabase Auth puts in tokens of the project at ``url``."""
    return f"{url.rstrip('/')}/auth/v1"


def _epoch(value: int | float | datetime) -> int:
    return int(value.timestamp()) if isinstance(value, datetime) else int(value)


def build_claims(
    sub: str,
    tier: str | None = None,
    *,
    issuer: str | None = None,
    url: str | None = None,
    audience: str | Sequence[str] = DEFAULT_AUDIENCE,
    role: str = "authenticated",
    expires_in: int = 3600,
    not_before: int | float | datetime | None = None,
    session_id: str | None = None,
    email: str | None = None,
    user_metadata: Mapping[str, Any] | None = None,
    extra_claims: Mapping[str, Any] | None = None,
    omit: Iterable[str] = (),
    now: int | None = None,
) -> dict[str, Any]:
    """The payload of a Supabase access token (see :func:`mint_token` for the parameters)."""
    iat = int(time.time()) if now is None else now
    email = email if email is not None else f"{sub}@example.com"
    if issuer is None:
        issuer = issuer_for(url) if url else FALLBACK_ISSUER
    app_metadata: dict[str, Any] = {"provider": "email", "providers": ["email"]}
    if tier is not None:
        # Where a Custom Access Token Hook puts the tier; the product reads it from here only.
        app_metadata["subscription_tier"] = tier
    if user_metadata is None:
        user_metadata = {
            "email": email,
            "email_verified": True,
            "phone_verified": False,
            "sub": sub,
        }
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": sub,
        "aud": audience if isinstance(audience, str) else list(audience),
        "exp": iat + expires_in,
        "iat": iat,
        "email": email,
        "phone": "",
        "app_metadata": app_metadata,
        "user_metadata": dict(user_metadata),
        "role": role,
        "aal": "aal1",
        "amr": [{"method": "password", "timestamp": iat}],
        "session_id": session_id if session_id is not None else str(uuid.uuid4()),
        "is_anonymous": False,
    }
    if not_before is not None:
        claims["nbf"] = _epoch(not_before)
    if extra_claims:
        claims.update(extra_claims)
    for name in omit:
        claims.pop(name, None)
    return claims


def mint_token(
    sub: str,
    tier: str | None = None,
    *,
    key: SigningKeys | None = None,
    kid: str | None = None,
    secret: str | None = None,
    issuer: str | None = None,
    url: str | None = None,
    audience: str | Sequence[str] = DEFAULT_AUDIENCE,
    role: str = "authenticated",
    expires_in: int = 3600,
    not_before: int | float | datetime | None = None,
    session_id: str | None = None,
    email: str | None = None,
    user_metadata: Mapping[str, Any] | None = None,
    extra_claims: Mapping[str, Any] | None = None,
    omit: Iterable[str] = (),
) -> str:
    """A signed Supabase-style access token.

    Signing: ``kid`` names a key of ``key`` (ES256 or RS256, ``kid`` in the header). Without a
    kid, ``secret`` selects HS256 (legacy projects, no kid in the header); with neither, the
    first key of ``key`` is used. ``tier=None`` leaves out ``app_metadata.subscription_tier``.
    ``issuer`` defaults to ``{url}/auth/v1`` when ``url`` is given. ``expires_in`` may be
    negative for an already expired token; ``not_before`` is an absolute time (epoch seconds or
    datetime). ``omit`` drops claims after everything else, e.g. ``omit=("sub",)``.
    """
    claims = build_claims(
        sub,
        tier,
        issuer=issuer,
        url=url,
        audience=audience,
        role=role,
        expires_in=expires_in,
        not_before=not_before,
        session_id=session_id,
        email=email,
        user_metadata=user_metadata,
        extra_claims=extra_claims,
        omit=omit,
    )
    if kid is not None and secret is not None:
        raise ValueError("give either kid (asymmetric) or secret (HS256), not both")
    if kid is None and secret is not None:
        return jwt.encode(claims, secret, algorithm="HS256", headers={"typ": "JWT"})
    if key is None:
        raise ValueError("mint_token needs key=SigningKeys (with an optional kid) or secret=...")
    kid = kid if kid is not None else key.default_kid
    return jwt.encode(
        claims,
        key.private_key(kid),
        algorithm=key.algorithm(kid),
        headers={"kid": kid, "typ": "JWT"},
    )
