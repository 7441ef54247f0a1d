"""TokenVerifier: the claim checks of docs/api.md (Authentication), with JWKS keys and with
the legacy HS256 secret."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
import requests

from cl3_common.auth.jwks import JwksKeySource, jwks_url
from cl3_common.auth.verifier import SecretKeySource, TokenVerifier
from cl3_common.errors import Unauthorized
from cl3_sandbox.supabase import SigningKeys, mint_token
from cl3_sandbox.supabase.tokens import build_claims
from tests.unit.auth.fakes import forge

SECRET = "unit-test-secret-with-at-least-32-bytes!!"


@pytest.fixture
def verifier(stub, clock) -> TokenVerifier:
    keys = JwksKeySource(jwks_url(stub.url), requests.Session(), clock=clock)
    return TokenVerifier(keys, audience="authenticated", issuer=stub.issuer, clock=clock)


@pytest.fixture
def hs_verifier(clock) -> TokenVerifier:
    return TokenVerifier(
        SecretKeySource(SECRET), audience="authenticated", issuer=None, clock=clock
    )


@pytest.mark.parametrize("kid", ["es-1", "rs-1"])
def test_valid_asymmetric_tokens_are_accepted(stub, verifier, kid):
    claims = verifier.verify(stub.mint("user-1", "pro", kid=kid, audience=["authenticated", "x"]))
    assert claims["sub"] == "user-1" and claims["app_metadata"]["subscription_tier"] == "pro"


def _tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["app_metadata"]["subscription_tier"] = "enterprise"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


REJECTIONS = {
    "garbage": ("malformed", lambda stub, keys: "not-a-jwt"),
    "three garbage parts": ("malformed", lambda stub, keys: "a.b.c"),
    "alg none": (
        "unsigned",
        lambda stub, keys: forge(
            {"alg": "none", "typ": "JWT"}, build_claims("u", "pro", url=stub.url)
        ),
    ),
    "alg none with a kid": (
        "unsigned",
        lambda stub, keys: forge(
            {"alg": "none", "kid": "es-1"}, build_claims("u", "pro", url=stub.url)
        ),
    ),
    "HS256 signed with the RSA public key": (
        "does not match its key",
        lambda stub, keys: forge(
            {"alg": "HS256", "typ": "JWT", "kid": "rs-1"},
            build_claims("u", "enterprise", url=stub.url),
            keys.public_pem("rs-1").encode(),
        ),
    ),
    "HS256 signed with the EC public key": (
        "does not match its key",
        lambda stub, keys: forge(
            {"alg": "HS256", "kid": "es-1"},
            build_claims("u", "enterprise", url=stub.url),
            keys.public_pem("es-1").encode(),
        ),
    ),
    "RS256 header on the EC key": (
        "does not match its key",
        lambda stub, keys: forge(
            {"alg": "RS256", "kid": "es-1"}, build_claims("u", url=stub.url), b"x"
        ),
    ),
    "expired": ("expired", lambda stub, keys: stub.mint("u", "pro", expires_in=-5)),
    "nbf in the future": (
        "not yet valid",
        lambda stub, keys: stub.mint("u", "pro", not_before=time.time() + 600),
    ),
    "wrong aud": ("audience", lambda stub, keys: stub.mint("u", "pro", audience="anon")),
    "wrong iss": (
        "issuer",
        lambda stub, keys: stub.mint("u", "pro", issuer="https://evil.supabase.co/auth/v1"),
    ),
    "role anon": ("role", lambda stub, keys: stub.mint("u", role="anon")),
    "role service_role": ("role", lambda stub, keys: stub.mint("u", role="service_role")),
    "missing role": ("role", lambda stub, keys: stub.mint("u", omit=("role",))),
    "missing sub": ("'sub'", lambda stub, keys: stub.mint("u", "pro", omit=("sub",))),
    "empty sub": ("subject", lambda stub, keys: stub.mint("", "pro")),
    "missing exp": ("'exp'", lambda stub, keys: stub.mint("u", "pro", omit=("exp",))),
    "missing aud": ("'aud'", lambda stub, keys: stub.mint("u", "pro", omit=("aud",))),
    "tampered payload": ("signature", lambda stub, keys: _tamper(stub.mint("u", "pro"))),
    "unknown kid": (
        "unknown key",
        lambda stub, keys: mint_token(
            "u", "pro", key=SigningKeys.generate(es_kid="es-9"), kid="es-9", url=stub.url
        ),
    ),
    "published kid, other key material": (
        "signature",
        lambda stub, keys: mint_token(
            "u", "pro", key=SigningKeys.generate(), kid="es-1", url=stub.url
        ),
    ),
    "no kid": (
        "kid",
        lambda stub, keys: jwt.encode(
            build_claims("u", url=stub.url), keys.private_key("es-1"), algorithm="ES256"
        ),
    ),
    "legacy HS256 token on a JWKS project": (
        "kid",
        lambda stub, keys: mint_token("u", "pro", secret=SECRET, url=stub.url),
    ),
}


@pytest.mark.parametrize("case", list(REJECTIONS))
def test_each_bad_token_is_unauthorized_for_its_own_reason(stub, keys, verifier, case):
    reason, make = REJECTIONS[case]
    with pytest.raises(Unauthorized) as err:
        verifier.verify(make(stub, keys))
    assert err.value.code == "unauthorized" and reason in err.value.message


def test_exp_and_nbf_are_judged_by_the_injected_clock(stub, verifier, clock):
    token = stub.mint("u", "pro", expires_in=100)
    verifier.verify(token)
    clock.advance(100)
    with pytest.raises(Unauthorized, match="expired"):
        verifier.verify(token)
    early = stub.mint("u", "pro", not_before=time.time() - 1)
    clock.now = time.time() - 60
    with pytest.raises(Unauthorized, match="not yet valid"):
        verifier.verify(early)


def test_the_hs256_secret_accepts_its_tokens_only(stub, keys, hs_verifier):
    assert hs_verifier.verify(mint_token("u", "pro", secret=SECRET))["sub"] == "u"
    for token in (
        stub.mint("u", "pro", kid="es-1"),  # asymmetric: not what this project signs with
        mint_token("u", "pro", secret="another-secret-of-at-least-32-bytes!!"),
        forge({"alg": "none"}, build_claims("u", "pro")),
        mint_token("u", "pro", secret=SECRET, role="anon"),
    ):
        with pytest.raises(Unauthorized):
            hs_verifier.verify(token)


@pytest.mark.parametrize(
    "junk",
    [
        "",
        ".",
        "..",
        "...",
        "a.b",
        "eyJ.eyJ.sig",
        "é.é.é",
        "\x00\x01\x02",
        "e30.e30.",  # {} header
        "W10.e30.e30",  # [] header
        "eyJhbGciOiJFUzI1NiIsImtpZCI6ImVzLTEifQ.bm90IGpzb24.c2ln",  # payload not JSON
        "eyJhbGciOiJFUzI1NiIsImtpZCI6ImVzLTEifQ.WzFd.c2ln",  # payload a list
        "eyJhbGciOiJFUzI1NiIsImtpZCI6ImVzLTEifQ.e30.!!!",
        "eyJhbGciOm51bGx9.e30.",  # alg null
        "eyJhbGciOlsiRVMyNTYiXX0.e30.",  # alg a list
        "eyJhbGciOiJFUzI1NiIsImtpZCI6eyJhIjoxfX0.e30.",  # kid an object
        "x" * 5000,
    ],
)
def test_malformed_input_is_unauthorized_never_another_error(verifier, hs_verifier, junk):
    for v in (verifier, hs_verifier):
        with pytest.raises(Unauthorized):
            v.verify(junk)


def _signed(claims_update: dict, clock) -> str:
    claims = {"sub": "user-1", "aud": "authenticated", "role": "authenticated",
              "exp": int(clock()) + 3600, **claims_update}  # fmt: skip
    return jwt.encode(claims, SECRET, algorithm="HS256")


@pytest.mark.parametrize(
    ("update", "reason"),
    [
        ({"exp": "9999999999"}, "'exp' claim must be a number"),
        ({"exp": "soon"}, "'exp' claim must be a number"),
        ({"exp": 1e400}, "'exp' claim must be a number"),
        ({"exp": True}, "'exp' claim must be a number"),
        ({"nbf": "0"}, "'nbf' claim must be a number"),
        ({"iat": "yesterday"}, "'iat' claim must be a number"),
        ({"sub": 42}, "'sub' claim must be a string"),
        ({"sub": ["user-1"]}, "'sub' claim must be a string"),
        ({"sub": ""}, "lacks a subject"),
    ],
)
def test_signed_claims_of_the_wrong_type_are_refused_for_that_reason(
    hs_verifier, clock, update, reason
):
    with pytest.raises(Unauthorized) as refused:
        hs_verifier.verify(_signed(update, clock))
    assert reason in refused.value.message
    assert "signature" not in refused.value.message


def test_a_fractional_numeric_date_is_still_a_date(hs_verifier, clock):
    assert hs_verifier.verify(_signed({"exp": clock() + 60.5}, clock))["sub"] == "user-1"
