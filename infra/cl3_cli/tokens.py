"""`cl3 token`: a local development access token signed with SUPABASE_JWT_SECRET."""

from __future__ import annotations

from cl3_sandbox.supabase import mint_token


def local_token(secret: str, sub: str, tier: str, supabase_url: str | None, ttl_s: int) -> str:
    return mint_token(sub=sub, tier=tier, secret=secret, url=supabase_url, expires_in=ttl_s)
