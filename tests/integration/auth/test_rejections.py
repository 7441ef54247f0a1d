"""Every way an access token can be wrong is a 401 with the documented body, never a 500."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable

import pytest

from cl3_sandbox.supabase import SigningKeys, SupabaseStub, mint_token
from cl3_sandbox.supabase.tokens import build_claims
from tests.unit.auth.fakes import forge

Case = Callable[[SupabaseStub, SigningKeys], dict[str, str]]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["app_metadata"]["subscription_tier"] = "enterprise"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def revoked(stub: SupabaseStub, keys: SigningKeys) -> dict[str, str]:
    stub.revoke_session("signed-out-session")
    return bearer(stub.mint("user-1", "pro", session_id="signed-out-session"))


CASES: dict[str, Case] = {
    "no header": lambda stub, keys: {},
    "empty header": lambda stub, keys: {"Authorization": ""},
    "not a Bearer": lambda stub, keys: {"Authorization": "Basic dXNlcjpwYXNzd29yZA=="},
    "Bearer without a token": lambda stub, keys: {"Authorization": "Bearer "},
    "garbage": lambda stub, keys: bearer("this-is-not-a-jwt"),
    "garbage in three parts": lambda stub, keys: bearer("abc.def.ghi"),
    "alg none": lambda stub, keys: bearer(
        forge({"alg": "none", "typ": "JWT"}, build_claims("user-1", "enterprise", url=stub.url))
    ),
    "HS256 signed with the public key": lambda stub, keys: bearer(
        forge(
            {"alg": "HS256", "typ": "JWT", "kid": "rs-1"},
            build_claims("user-1", "enterprise", url=stub.url),
            keys.public_pem("rs-1").encode(),
        )
    ),
    "expired": lambda stub, keys: bearer(stub.mint("user-1", "pro", expires_in=-30)),
    "nbf in the future": lambda stub, keys: bearer(
        stub.mint("user-1", "pro", not_before=time.time() + 3600)
    ),
    "wrong aud": lambda stub, keys: bearer(stub.mint("user-1", "pro", audience="other-app")),
    "wrong iss": lambda stub, keys: bearer(
        stub.mint("user-1", "pro", issuer="https://attacker.supabase.co/auth/v1")
    ),
    "role anon": lambda stub, keys: bearer(stub.mint("user-1", role="anon")),
    "missing sub": lambda stub, keys: bearer(stub.mint("user-1", "pro", omit=("sub",))),
    "tampered payload": lambda stub, keys: bearer(tampered(stub.mint("user-1", "pro"))),
    "unknown kid": lambda stub, keys: bearer(
        mint_token(
            "user-1", "pro", key=SigningKeys.generate(es_kid="es-new"), kid="es-new", url=stub.url
        )
    ),
    "revoked session": revoked,
    "header over 8 KB": lambda stub, keys: bearer(
        stub.mint("user-1", "pro", extra_claims={"pad": "x" * 9000})
    ),
}


# Each case is refused for its own reason, not by accident of an earlier check.
REASONS = {
    "no header": "missing",
    "empty header": "missing",
    "not a Bearer": "Bearer <token>",
    "Bearer without a token": "Bearer <token>",
    "garbage": "malformed",
    "garbage in three parts": "malformed",
    "alg none": "unsigned",
    "HS256 signed with the public key": "does not match its key",
    "expired": "expired",
    "nbf in the future": "not yet valid",
    "wrong aud": "audience",
    "wrong iss": "issuer",
    "role anon": "role",
    "missing sub": "'sub'",
    "tampered payload": "signature",
    "unknown kid": "unknown key",
    "revoked session": "session has ended",
    "header over 8 KB": "too large",
}


def assert_401(response) -> dict[str, str]:
    assert response.status_code == 401, response.body
    body = json.loads(response.body)
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == "unauthorized"
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    return body["error"]


@pytest.mark.parametrize("case", list(CASES))
def test_a_jwks_project_refuses_each_bad_token_with_401(jwks_api, stub, keys, case):
    headers = CASES[case](stub, keys)
    for path in ("/api/symbols", "/api/task/abc/progress"):
        assert REASONS[case] in assert_401(jwks_api.http.get(path, headers=headers))["message"]
    response = jwks_api.http.post(
        "/api/market-data/fetch",
        headers={**headers, "Content-Type": "application/json"},
        body=json.dumps({"symbol": "BTCUSDT", "interval": "1h", "start": "2024-01-01T00:00:00Z"}),
    )
    assert_401(response)


def test_refused_tokens_do_not_hammer_supabase(jwks_api, stub, keys):
    revoked_headers = revoked(stub, keys)
    for _ in range(25):
        for case in ("garbage", "alg none", "expired", "wrong iss", "tampered payload"):
            assert_401(jwks_api.http.get("/api/symbols", headers=CASES[case](stub, keys)))
        assert_401(jwks_api.http.get("/api/symbols", headers=revoked_headers))
    # Local checks need no remote call; the revoked session was asked about once, then the
    # short negative cache answered.
    assert stub.calls["user"] == 1
    assert stub.calls["subscriptions"] == 0


def test_the_revoked_session_was_valid_before_the_sign_out(jwks_api, stub):
    headers = bearer(stub.mint("user-1", "pro", session_id="s-live"))
    assert jwks_api.http.get("/api/symbols", headers=headers).status_code == 200
    stub.revoke_session("s-live")
    other = bearer(stub.mint("user-1", "pro", session_id="s-live"))  # a fresh token, same session
    assert "session" in assert_401(jwks_api.http.get("/api/symbols", headers=other))["message"]


HS256_CASES: dict[str, Callable[..., dict[str, str]]] = {
    "no header": lambda token, stub: {},
    "not a Bearer": lambda token, stub: {"Authorization": f"Token {token()}"},
    "garbage": lambda token, stub: bearer("this-is-not-a-jwt"),
    "alg none": lambda token, stub: bearer(forge({"alg": "none"}, build_claims("user-1", "pro"))),
    "another project's secret": lambda token, stub: bearer(
        mint_token("user-1", "pro", secret="another-project-secret-of-32-bytes-or-more")
    ),
    "an asymmetric token": lambda token, stub: bearer(stub.mint("user-1", "pro")),
    "expired": lambda token, stub: bearer(token(expires_in=-30)),
    "nbf in the future": lambda token, stub: bearer(token(not_before=time.time() + 3600)),
    "wrong aud": lambda token, stub: bearer(token(audience="other-app")),
    "role anon": lambda token, stub: bearer(token(role="anon")),
    "missing sub": lambda token, stub: bearer(token(omit=("sub",))),
    "tampered payload": lambda token, stub: bearer(tampered(token())),
    "header over 8 KB": lambda token, stub: bearer(token(extra_claims={"pad": "x" * 9000})),
}


@pytest.mark.parametrize("case", list(HS256_CASES))
def test_a_legacy_hs256_project_refuses_them_too(api, token, stub, case):
    assert_401(api.http.get("/api/symbols", headers=HS256_CASES[case](token, stub)))
    assert api.http.get("/api/symbols", headers=bearer(token())).status_code == 200
