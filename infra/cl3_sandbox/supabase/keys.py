"""Asymmetric JWT signing keys for the Supabase stand-in, and their public JWKS document.

A Supabase project with "JWT Signing Keys" enabled signs access tokens with ES256 (P-256) or
RS256 keys and publishes the public halves at ``/auth/v1/.well-known/jwks.json``. This module
holds such a key set so that the stub server can publish it and the token helper can sign with it.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
PublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey

DEFAULT_ES_KID = "es-1"
DEFAULT_RS_KID = "rs-1"


def _b64url_uint(value: int, length: int | None = None) -> str:
    """Base64url (no padding) of a big-endian unsigned integer, as RFC 7518 requires."""
    size = length if length is not None else max(1, (value.bit_length() + 7) // 8)
    return base64.urlsafe_b64encode(value.to_bytes(size, "big")).rstrip(b"=").decode("ascii")


def algorithm_for(key: PrivateKey | PublicKey) -> str:
    """The JWS algorithm Supabase uses for a key of this type."""
    if isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)):
        if key.curve.name != "secp256r1":
            raise ValueError(f"only P-256 EC keys are supported, got {key.curve.name}")
        return "ES256"
    if isinstance(key, (rsa.RSAPrivateKey, rsa.RSAPublicKey)):
        return "RS256"
    raise TypeError(f"unsupported key type {type(key).__name__}")


def public_jwk(kid: str, public_key: PublicKey) -> dict[str, Any]:
    """One public JWK shaped like the entries Supabase serves (no private members)."""
    # Supabase also serves key_ops/ext (WebCrypto export fields); verifiers ignore them.
    jwk: dict[str, Any] = {
        "kid": kid,
        "alg": algorithm_for(public_key),
        "use": "sig",
        "key_ops": ["verify"],
        "ext": True,
    }
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        numbers = public_key.public_numbers()
        # P-256 coordinates are always 32 bytes, leading zeros included (RFC 7518 6.2.1.2).
        jwk.update(
            kty="EC", crv="P-256", x=_b64url_uint(numbers.x, 32), y=_b64url_uint(numbers.y, 32)
        )
    else:
        rsa_numbers = public_key.public_numbers()
        jwk.update(kty="RSA", n=_b64url_uint(rsa_numbers.n), e=_b64url_uint(rsa_numbers.e))
    return jwk


@dataclass(frozen=True)
class SigningKeys:
    """An ordered, immutable set of private signing keys addressed by ``kid``.

    The first key is the "current" one (used when a caller does not name a kid), mirroring
    Supabase's notion of a current signing key plus others still published for verification.
    """

    _keys: Mapping[str, PrivateKey] = field(repr=False)

    def __post_init__(self) -> None:
        if not self._keys:
            raise ValueError("SigningKeys needs at least one key")
        for key in self._keys.values():
            algorithm_for(key)  # reject unsupported key types early, not at signing time
        # Freeze a private copy so a caller mutating its dict cannot change a running stub's keys.
        object.__setattr__(self, "_keys", MappingProxyType(dict(self._keys)))

    @classmethod
    def generate(cls, es_kid: str = DEFAULT_ES_KID, rs_kid: str = DEFAULT_RS_KID) -> SigningKeys:
        """Fresh keys: one ES256 (P-256) key and one RS256 (2048-bit) key."""
        es_key = ec.generate_private_key(ec.SECP256R1())
        rs_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return cls({es_kid: es_key, rs_kid: rs_key})

    @classmethod
    def from_pems(cls, pems: Mapping[str, str | bytes]) -> SigningKeys:
        """Load unencrypted PKCS#8/traditional PEM private keys, e.g. kept for a dev setup."""
        loaded: dict[str, PrivateKey] = {}
        for kid, pem in pems.items():
            data = pem.encode("ascii") if isinstance(pem, str) else pem
            key = serialization.load_pem_private_key(data, password=None)
            if not isinstance(key, (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey)):
                raise TypeError(f"key {kid!r} is neither EC nor RSA")
            loaded[kid] = key
        return cls(loaded)

    @property
    def kids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    @property
    def default_kid(self) -> str:
        return next(iter(self._keys))

    def __contains__(self, kid: object) -> bool:
        return kid in self._keys

    def private_key(self, kid: str) -> PrivateKey:
        try:
            return self._keys[kid]
        except KeyError:
            raise KeyError(f"unknown kid {kid!r}; known: {', '.join(self._keys)}") from None

    def public_key(self, kid: str) -> PublicKey:
        return self.private_key(kid).public_key()

    def algorithm(self, kid: str) -> str:
        return algorithm_for(self.private_key(kid))

    def private_pem(self, kid: str) -> str:
        return (
            self.private_key(kid)
            .private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            .decode("ascii")
        )

    def public_pem(self, kid: str) -> str:
        return (
            self.public_key(kid)
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode("ascii")
        )

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        """The JWKS document: public keys only, in key order."""
        return {"keys": [public_jwk(kid, key.public_key()) for kid, key in self._keys.items()]}
