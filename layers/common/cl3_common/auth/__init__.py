"""Supabase access-token verification, tiers and the Redis validation cache."""

from cl3_common.auth.authenticator import Authenticator
from cl3_common.auth.cache import AuthCache
from cl3_common.auth.principal import Principal
from cl3_common.auth.verifier import TokenVerifier

__all__ = ["AuthCache", "Authenticator", "Principal", "TokenVerifier"]
