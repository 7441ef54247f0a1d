"""The Supabase stand-in over real HTTP: JWKS, tokens, /auth/v1/user, PostgREST subscriptions."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
import requests

from cl3_sandbox.supabase import SigningKeys, SupabaseStub, mint_token

ANON = "anon-test-key"
SERVICE = "service-test-key"
SECRET = "super-secret-jwt-token-with-at-least-32-characters"
JWKS = "/auth/v1/.well-known/jwks.json"
PRIVATE_JWK_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}


@pytest.fixture(scope="module")
def keys() -> SigningKeys:
    return SigningKeys.generate()


@pytest.fixture(scope="module")
def other_keys() -> SigningKeys:
    # Same kids, different key material: a forged token that names a published kid.
    return SigningKeys.generate()


@pytest.fixture
def stub(keys: SigningKeys) -> Iterator[SupabaseStub]:
    with SupabaseStub(keys, anon_key=ANON, service_key=SERVICE, jwt_secret=SECRET) as running:
        yield running


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def get_user(http: requests.Session, stub: SupabaseStub, token: str, apikey: str = ANON):
    return http.get(
        f"{stub.url}/auth/v1/user",
        headers={"apikey": apikey, "Authorization": f"Bearer {token}"},
        timeout=5,
    )


def get_subs(http: requests.Session, stub: SupabaseStub, query: str, **headers: str):
    headers = {"apikey": SERVICE, "Authorization": f"Bearer {SERVICE}", **headers}
    return http.get(f"{stub.url}/rest/v1/subscriptions?{query}", headers=headers, timeout=5)


def verify_with_jwks(token: str, stub: SupabaseStub) -> dict[str, Any]:
    """What a product verifier does: pick the JWKS key by kid, accept only that key's alg."""
    client = jwt.PyJWKClient(stub.url + JWKS, cache_keys=False)
    signing_key = client.get_signing_key_from_jwt(token)
    return jwt.decode(
        token,
        signing_key.key,
        algorithms=[signing_key.algorithm_name],
        audience="authenticated",
        issuer=stub.issuer,
    )


# -- JWKS and keys ---------------------------------------------------------------------------


def test_jwks_publishes_both_public_keys_only(stub: SupabaseStub, http: requests.Session) -> None:
    response = http.get(stub.url + JWKS, timeout=5)

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=600"
    assert response.headers["Content-Type"].startswith("application/json")
    by_kid = {jwk["kid"]: jwk for jwk in response.json()["keys"]}
    assert set(by_kid) == {"es-1", "rs-1"}
    es, rs = by_kid["es-1"], by_kid["rs-1"]
    assert (es["kty"], es["crv"], es["alg"], es["use"]) == ("EC", "P-256", "ES256", "sig")
    assert {"x", "y"} <= set(es)
    assert (rs["kty"], rs["alg"], rs["use"], rs["e"]) == ("RSA", "RS256", "sig", "AQAB")
    assert "n" in rs
    for jwk in by_kid.values():
        assert not PRIVATE_JWK_MEMBERS & set(jwk), jwk
    assert stub.calls["jwks"] == 1


def test_pem_round_trip(keys: SigningKeys) -> None:
    reloaded = SigningKeys.from_pems({kid: keys.private_pem(kid) for kid in keys.kids})

    assert reloaded.kids == ("es-1", "rs-1")
    for kid in keys.kids:
        assert reloaded.public_pem(kid) == keys.public_pem(kid)
        assert "PRIVATE" not in keys.public_pem(kid)
    assert reloaded.jwks() == keys.jwks()


# -- minting ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("kid", "alg"), [("es-1", "ES256"), ("rs-1", "RS256")])
def test_asymmetric_tokens_verify_against_jwks(
    stub: SupabaseStub, keys: SigningKeys, kid: str, alg: str
) -> None:
    token = mint_token(sub="user-1", tier="pro", key=keys, kid=kid, url=stub.url)

    assert jwt.get_unverified_header(token) == {"alg": alg, "kid": kid, "typ": "JWT"}
    claims = verify_with_jwks(token, stub)
    assert claims["sub"] == "user-1"
    assert claims["app_metadata"]["subscription_tier"] == "pro"


def test_hs256_token_verifies_with_secret(stub: SupabaseStub) -> None:
    token = mint_token(sub="user-1", tier="enterprise", secret=SECRET, url=stub.url)

    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}
    claims = jwt.decode(
        token, SECRET, algorithms=["HS256"], audience="authenticated", issuer=stub.issuer
    )
    assert claims["app_metadata"]["subscription_tier"] == "enterprise"
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, SECRET + "x", algorithms=["HS256"], audience="authenticated")


def test_claims_look_like_a_supabase_access_token(keys: SigningKeys) -> None:
    before = int(time.time())
    token = mint_token(sub="user-1", tier="pro", key=keys, url="http://sb.test/", session_id="s-1")
    claims = jwt.decode(token, options={"verify_signature": False})

    assert claims["iss"] == "http://sb.test/auth/v1"
    assert (claims["sub"], claims["aud"], claims["role"]) == (
        "user-1",
        "authenticated",
        "authenticated",
    )
    assert claims["exp"] - claims["iat"] == 3600 and claims["iat"] >= before
    assert claims["app_metadata"] == {
        "provider": "email",
        "providers": ["email"],
        "subscription_tier": "pro",
    }
    assert claims["user_metadata"]["sub"] == "user-1"
    assert (claims["aal"], claims["session_id"], claims["is_anonymous"]) == ("aal1", "s-1", False)
    assert claims["amr"][0]["method"] == "password"
    assert {"email", "phone"} <= set(claims)
    assert "nbf" not in claims


def test_claim_options(keys: SigningKeys) -> None:
    def claims_of(**kwargs: Any) -> dict[str, Any]:
        token = mint_token(sub="user-1", key=keys, **kwargs)
        return jwt.decode(token, options={"verify_signature": False})

    assert "subscription_tier" not in claims_of(tier=None)["app_metadata"]
    assert "sub" not in claims_of(omit=("sub",))
    assert claims_of(issuer="https://x/auth/v1")["iss"] == "https://x/auth/v1"
    assert claims_of(extra_claims={"role": "service_role"})["role"] == "service_role"
    assert claims_of(user_metadata={"tier": "enterprise"})["user_metadata"] == {
        "tier": "enterprise"
    }
    assert claims_of(audience=["a", "b"])["aud"] == ["a", "b"]
    assert claims_of(not_before=2_000_000_000)["nbf"] == 2_000_000_000
    first, second = claims_of()["session_id"], claims_of()["session_id"]
    assert first != second  # a fresh session per token unless one is given


def test_mint_token_argument_errors(keys: SigningKeys) -> None:
    with pytest.raises(ValueError):
        mint_token(sub="u", key=keys, kid="es-1", secret=SECRET)
    with pytest.raises(ValueError):
        mint_token(sub="u")
    with pytest.raises(KeyError):
        mint_token(sub="u", key=keys, kid="nope")


# -- /auth/v1/user ---------------------------------------------------------------------------


@pytest.mark.parametrize("signing", ["es-1", "rs-1", "hs"])
def test_user_accepts_valid_tokens(
    stub: SupabaseStub, http: requests.Session, keys: SigningKeys, signing: str
) -> None:
    if signing == "hs":
        token = mint_token(sub="user-1", tier="pro", secret=SECRET, url=stub.url)
    else:
        token = mint_token(sub="user-1", tier="pro", key=keys, kid=signing, url=stub.url)

    response = get_user(http, stub, token)

    assert response.status_code == 200, response.text
    user = response.json()
    assert (user["id"], user["aud"], user["role"]) == ("user-1", "authenticated", "authenticated")
    assert user["app_metadata"]["subscription_tier"] == "pro"
    assert user["email"] == "user-1@example.com"
    assert user["created_at"].endswith("Z")


def test_user_refuses_expired_token(
    stub: SupabaseStub, http: requests.Session, keys: SigningKeys
) -> None:
    token = mint_token(sub="user-1", key=keys, kid="es-1", url=stub.url, expires_in=-10)

    response = get_user(http, stub, token)

    assert response.status_code == 401
    assert response.json() == {
        "code": 401,
        "error_code": "bad_jwt",
        "msg": "invalid JWT: unable to parse or verify signature, "
        "token has invalid claims: token is expired",
    }


@pytest.mark.parametrize(
    "case", ["forged", "unknown_kid", "alg_none", "garbage", "hs_wrong_secret"]
)
def test_user_refuses_unverifiable_tokens(
    stub: SupabaseStub,
    http: requests.Session,
    keys: SigningKeys,
    other_keys: SigningKeys,
    case: str,
) -> None:
    token = {
        "forged": lambda: mint_token(sub="u", key=other_keys, kid="es-1", url=stub.url),
        "unknown_kid": lambda: mint_token(
            sub="u", key=SigningKeys.generate(es_kid="es-9"), kid="es-9", url=stub.url
        ),
        "alg_none": lambda: jwt.encode({"sub": "u", "exp": 2**31}, "", algorithm="none"),
        "garbage": lambda: "not.a.jwt",
        "hs_wrong_secret": lambda: mint_token(sub="u", secret="x" * 40, url=stub.url),
    }[case]()

    response = get_user(http, stub, token)

    assert response.status_code == 401
    body = response.json()
    assert (body["code"], body["error_code"]) == (401, "bad_jwt")
    assert body["msg"].startswith("invalid JWT: unable to parse or verify signature, ")


def test_user_revoked_session_is_403(
    stub: SupabaseStub, http: requests.Session, keys: SigningKeys
) -> None:
    revoked = mint_token(sub="user-1", key=keys, kid="es-1", url=stub.url, session_id="sess-a")
    alive = mint_token(sub="user-1", key=keys, kid="es-1", url=stub.url, session_id="sess-b")
    assert get_user(http, stub, revoked).status_code == 200

    stub.revoke_session("sess-a")

    response = get_user(http, stub, revoked)
    assert response.status_code == 403
    assert response.json() == {
        "code": 403,
        "error_code": "session_not_found",
        "msg": "Session from session_id claim in JWT does not exist",
    }
    assert get_user(http, stub, alive).status_code == 200


def test_user_gateway_and_header_errors(
    stub: SupabaseStub, http: requests.Session, keys: SigningKeys
) -> None:
    token = mint_token(sub="user-1", key=keys, url=stub.url)

    missing = http.get(f"{stub.url}/auth/v1/user", headers={"Authorization": f"Bearer {token}"})
    assert missing.status_code == 401
    assert missing.json() == {
        "message": "No API key found in request",
        "hint": "No `apikey` request header or url param was found.",
    }
    wrong = get_user(http, stub, token, apikey="nope")
    assert (wrong.status_code, wrong.json()["message"]) == (401, "Invalid API key")
    no_bearer = http.get(f"{stub.url}/auth/v1/user", headers={"apikey": ANON})
    assert (no_bearer.status_code, no_bearer.json()["error_code"]) == (401, "no_authorization")
    no_sub = get_user(http, stub, mint_token(sub="u", key=keys, omit=("sub",)))
    assert (no_sub.status_code, no_sub.json()["error_code"]) == (403, "bad_jwt")
    assert get_user(http, stub, token, apikey=SERVICE).status_code == 200
    assert stub.calls["user"] == 5


# -- /rest/v1/subscriptions ------------------------------------------------------------------


@pytest.fixture
def subscribed(stub: SupabaseStub) -> SupabaseStub:
    stub.set_subscriptions(
        "user-1",
        [
            {"tier": "pro", "status": "canceled"},
            {"tier": "enterprise", "status": "trialing", "current_period_end": "2030-01-01"},
        ],
    )
    stub.set_subscriptions("user-2", [{"tier": "pro", "status": "active"}])
    return stub


def test_subscriptions_filter_by_user(subscribed: SupabaseStub, http: requests.Session) -> None:
    response = get_subs(http, subscribed, "user_id=eq.user-1&select=*")

    assert response.status_code == 200
    assert response.headers["Content-Range"] == "0-1/*"
    rows = response.json()
    assert [(r["tier"], r["status"]) for r in rows] == [
        ("pro", "canceled"),
        ("enterprise", "trialing"),
    ]
    assert all(set(r) == {"user_id", "tier", "status", "current_period_end"} for r in rows)
    assert {r["user_id"] for r in rows} == {"user-1"}


def test_subscriptions_status_in_and_select(
    subscribed: SupabaseStub, http: requests.Session
) -> None:
    query = "user_id=eq.user-1&status=in.(active,trialing)&select=tier,status"

    rows = get_subs(http, subscribed, query).json()

    assert rows == [{"tier": "enterprise", "status": "trialing"}]
    assert get_subs(http, subscribed, "user_id=eq.nobody").json() == []
    assert [r["user_id"] for r in get_subs(http, subscribed, "status=eq.active").json()] == [
        "user-2"
    ]
    unknown = get_subs(http, subscribed, "select=plan")
    assert (unknown.status_code, unknown.json()["code"]) == (400, "42703")
    bad_op = get_subs(http, subscribed, "status=like.act")
    assert (bad_op.status_code, bad_op.json()["code"]) == (400, "PGRST100")


def test_subscriptions_query_language(subscribed: SupabaseStub, http: requests.Session) -> None:
    def tiers(query: str) -> list[str]:
        response = get_subs(http, subscribed, query)
        assert response.status_code == 200, response.text
        return [row["tier"] for row in response.json()]

    assert tiers("status=neq.canceled&order=tier.asc") == ["enterprise", "pro"]
    assert tiers("status=not.in.(active,trialing)") == ["pro"]
    assert tiers("tier=eq.pro&order=user_id.desc&limit=1") == ["pro"]
    assert tiers("order=tier.desc,user_id.asc&offset=1&limit=1") == ["pro"]
    assert tiers("current_period_end=is.null") == []
    assert tiers('tier=in.("enterprise")') == ["enterprise"]
    assert get_subs(http, subscribed, "limit=-1").status_code == 400
    assert get_subs(http, subscribed, "tier=is.maybe").status_code == 400
    assert get_subs(http, subscribed, "plan=eq.pro").json()["code"] == "42703"


def test_subscriptions_auth(subscribed: SupabaseStub, http: requests.Session) -> None:
    wrong = get_subs(http, subscribed, "user_id=eq.user-1", Authorization="Bearer wrong")
    assert wrong.status_code == 401
    assert wrong.json() == {
        "code": "PGRST301",
        "details": None,
        "hint": None,
        "message": "JWSError JWSInvalidSignature",
    }
    no_key = http.get(f"{subscribed.url}/rest/v1/subscriptions", timeout=5)
    assert (no_key.status_code, no_key.json()["message"]) == (401, "No API key found in request")
    # The anon role passes the gateway but Row Level Security shows it no rows.
    anon = get_subs(
        http, subscribed, "user_id=eq.user-1", apikey=ANON, Authorization=f"Bearer {ANON}"
    )
    assert (anon.status_code, anon.json()) == (200, [])
    # A secret key sent only as apikey acts as the service role, as on hosted Supabase.
    only_apikey = http.get(
        f"{subscribed.url}/rest/v1/subscriptions?user_id=eq.user-2", headers={"apikey": SERVICE}
    )
    assert len(only_apikey.json()) == 1
    other = get_subs(http, subscribed, "").url.replace("subscriptions", "profiles")
    missing_table = http.get(
        other, headers={"apikey": SERVICE, "Authorization": f"Bearer {SERVICE}"}
    )
    assert (missing_table.status_code, missing_table.json()["code"]) == (404, "PGRST205")
    assert subscribed.calls["subscriptions"] == 5


# -- counters, rotation, plumbing ------------------------------------------------------------


def test_counters_are_thread_safe_and_resettable(stub: SupabaseStub) -> None:
    def hammer() -> None:
        with requests.Session() as session:
            for _ in range(10):
                session.get(stub.url + JWKS, timeout=5).raise_for_status()

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert stub.calls == {"jwks": 80, "user": 0, "subscriptions": 0}
    stub.reset_calls()
    assert stub.calls == {"jwks": 0, "user": 0, "subscriptions": 0}


def test_rotate_keys(stub: SupabaseStub, http: requests.Session, keys: SigningKeys) -> None:
    old_token = mint_token(sub="user-1", key=keys, kid="es-1", url=stub.url)
    new_keys = SigningKeys.generate(es_kid="es-2", rs_kid="rs-2")

    stub.rotate_keys(new_keys)

    kids = {jwk["kid"] for jwk in http.get(stub.url + JWKS, timeout=5).json()["keys"]}
    assert kids == {"es-2", "rs-2"}
    assert get_user(http, stub, old_token).status_code == 401
    new_token = stub.mint("user-1", "pro", kid="rs-2")
    assert get_user(http, stub, new_token).status_code == 200
    assert verify_with_jwks(new_token, stub)["sub"] == "user-1"


def test_unknown_paths_are_json_404(stub: SupabaseStub, http: requests.Session) -> None:
    for method, path in [("GET", "/nope"), ("POST", "/auth/v1/user"), ("GET", "/auth/v1/x")]:
        response = http.request(method, stub.url + path, json={"a": 1}, timeout=5)
        assert response.status_code == 404
        assert response.json() == {"message": "no Route matched with those values"}


def test_keep_alive_has_no_nagle_stall(stub: SupabaseStub, http: requests.Session) -> None:
    http.get(stub.url + JWKS, timeout=5)  # open the pooled connection
    timings = []
    for _ in range(15):
        started = time.perf_counter()
        http.get(stub.url + JWKS, timeout=5)
        timings.append(time.perf_counter() - started)

    # A delayed-ACK stall costs ~40 ms per request; a healthy loopback answer takes ~1 ms.
    assert statistics.median(timings) < 0.02, timings


def test_stop_cuts_kept_alive_connections(keys: SigningKeys, http: requests.Session) -> None:
    stub = SupabaseStub(keys).start()
    url = stub.url
    assert http.get(url + JWKS, timeout=5).status_code == 200

    stub.stop()
    stub.stop()  # idempotent

    with pytest.raises(requests.ConnectionError):
        http.get(url + JWKS, timeout=2)
    with pytest.raises(RuntimeError):
        _ = stub.url


def test_hs_only_project(http: requests.Session) -> None:
    with SupabaseStub(None, jwt_secret=SECRET) as stub:
        assert http.get(stub.url + JWKS, timeout=5).json() == {"keys": []}
        token = stub.mint("user-1", "pro")
        assert jwt.get_unverified_header(token)["alg"] == "HS256"
        assert get_user(http, stub, token).status_code == 200
