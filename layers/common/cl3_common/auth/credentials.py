"""Which credential a request carries: an API key or a Supabase access token.

API keys are accepted as `X-API-Key: cl3_...`, `Authorization: Bearer cl3_...` and, for
Binance clients that send their key in Binance's header (python-binance does on every
request), `X-MBX-APIKEY: cl3_...`. Anything else in `Authorization` is a Supabase token.
"""

from __future__ import annotations

from collections.abc import Mapping

from cl3_common.auth.api_keys import ApiKeys, MalformedKey, looks_like_key
from cl3_common.auth.authenticator import MAX_HEADER_BYTES, Authenticator
from cl3_common.auth.principal import Principal

KEY_HEADERS = ("x-api-key", "x-mbx-apikey")


class RequestAuthenticator:
    def __init__(self, tokens: Authenticator, keys: ApiKeys) -> None:
        self._tokens = tokens
        self._keys = keys

    def authenticate(self, headers: Mapping[str, str]) -> Principal:
        key = api_key_of(headers)
        if key is not None:
            return self._keys.authenticate(key)
        return self._tokens.authenticate(_get(headers, "authorization"))


def api_key_of(headers: Mapping[str, str]) -> str | None:
    """The API key a request carries, or None when it carries none (maybe a token)."""
    for name in KEY_HEADERS:
        value = _get(headers, name)
        if value is not None:
            value = value.strip()
            if len(value) > MAX_HEADER_BYTES:
                raise MalformedKey(f"{name} header is too large")
            if not looks_like_key(value):
                raise MalformedKey(f"{name} must carry a CL3 API key (cl3_...)")
            return value
    scheme, _, rest = (_get(headers, "authorization") or "").strip().partition(" ")
    rest = rest.strip()
    if scheme.lower() == "bearer" and looks_like_key(rest):
        return rest
    return None


def _get(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive, whatever mapping the web framework hands over."""
    value = headers.get(name)
    if value is None:
        for key, candidate in headers.items():
            if key.lower() == name:
                return candidate
    return value
