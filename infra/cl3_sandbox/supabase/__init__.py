"""Local stand-in for Supabase (Auth JWKS, ``/auth/v1/user``, PostgREST) and token minting.

Tests and local development start a :class:`SupabaseStub`, set ``SUPABASE_URL`` to its
``url`` and mint tokens with :func:`mint_token`; the product's auth code is unchanged.
"""

from .keys import SigningKeys
from .server import SupabaseStub
from .tokens import mint_token

__all__ = ["SigningKeys", "SupabaseStub", "mint_token"]
