"""JwksKeySource: keys cached at most 10 min; one rate-limited refetch per unknown kid."""

from __future__ import annotations

import threading
import uuid

import pytest
import requests

from cl3_common.auth.jwks import JwksKeySource, jwks_url, parse_jwks
from cl3_common.errors import Unauthorized, Unavailable
from cl3_sandbox.supabase import SigningKeys
from tests.unit.auth.fakes import FakeSession, response


def source(stub, clock, **kw) -> JwksKeySource:
    return JwksKeySource(
        jwks_url(stub.url), requests.Session(), clock=clock, sleep=lambda s: None, **kw
    )


def test_keys_are_fetched_once_and_bound_to_their_algorithm(stub, keys, clock):
    src = source(stub, clock)
    _, es_alg = src.key_for({"alg": "ES256", "kid": "es-1"})
    _, rs_alg = src.key_for({"alg": "RS256", "kid": "rs-1"})
    assert (es_alg, rs_alg) == ("ES256", "RS256")
    for _ in range(50):
        src.key_for({"alg": "ES256", "kid": "es-1"})
    assert stub.calls["jwks"] == 1


def test_keys_are_kept_at_most_ten_minutes(stub, clock):
    src = source(stub, clock)
    src.key_for({"kid": "es-1"})
    clock.advance(599)
    src.key_for({"kid": "es-1"})
    assert stub.calls["jwks"] == 1
    clock.advance(2)
    src.key_for({"kid": "es-1"})
    assert stub.calls["jwks"] == 2


def test_a_shorter_cache_control_max_age_is_honoured(stub, clock):
    document = requests.get(jwks_url(stub.url), timeout=5).json()
    session = FakeSession(response(200, document, {"Cache-Control": "public, max-age=60"}))
    src = JwksKeySource("https://x/jwks", session, clock=clock)
    src.key_for({"kid": "es-1"})
    clock.advance(59)
    src.key_for({"kid": "es-1"})
    assert len(session.calls) == 1
    clock.advance(2)
    src.key_for({"kid": "es-1"})
    assert len(session.calls) == 2


def test_an_unknown_kid_refetches_once_and_finds_a_rotated_key(stub, keys, clock):
    src = source(stub, clock)
    src.key_for({"kid": "es-1"})
    stub.rotate_keys(SigningKeys.generate(es_kid="es-2", rs_kid="rs-2"))
    clock.advance(30)
    _, alg = src.key_for({"kid": "es-2"})
    assert alg == "ES256" and stub.calls["jwks"] == 2
    with pytest.raises(Unauthorized, match="unknown key"):
        src.key_for({"kid": "es-1"})  # rotated out; the refetch 0 s ago is not repeated
    assert stub.calls["jwks"] == 2


def test_refetches_for_unknown_kids_are_rate_limited(stub, clock):
    src = source(stub, clock)
    src.key_for({"kid": "es-1"})
    for _ in range(100):
        with pytest.raises(Unauthorized, match="unknown key"):
            src.key_for({"kid": uuid.uuid4().hex})
        clock.advance(0.05)  # 5 s in all: still inside the refetch spacing
    assert stub.calls["jwks"] == 1
    clock.advance(10)
    with pytest.raises(Unauthorized):
        src.key_for({"kid": "made-up"})
    assert stub.calls["jwks"] == 2  # one refetch, then the spacing applies again


@pytest.mark.parametrize("header", [{}, {"kid": ""}, {"kid": 7}, {"kid": ["es-1"]}])
def test_a_token_without_a_usable_kid_is_unauthorized(stub, clock, header):
    with pytest.raises(Unauthorized, match="kid"):
        source(stub, clock).key_for({"alg": "ES256", **header})
    assert stub.calls["jwks"] == 0


def test_supabase_down_is_unavailable_then_recovers_without_caching_the_failure(keys, clock):
    document = keys.jwks()
    session = FakeSession(
        requests.ConnectionError("refused"),
        requests.ConnectionError("refused"),
        response(200, document),
    )
    slept: list[float] = []
    src = JwksKeySource("https://x/jwks", session, clock=clock, sleep=slept.append)
    with pytest.raises(Unavailable) as err:
        src.key_for({"kid": "es-1"})
    assert err.value.system == "supabase" and len(session.calls) == 2 and slept == [0.1]
    with pytest.raises(Unavailable):
        src.key_for({"kid": "es-1"})  # within the failure backoff: no new request
    assert len(session.calls) == 2
    clock.advance(1.5)
    assert src.key_for({"kid": "es-1"})[1] == "ES256"
    assert len(session.calls) == 3


def test_an_expired_key_set_is_not_served_when_the_refetch_fails(keys, clock):
    session = FakeSession(response(200, keys.jwks()), response(500, {"message": "boom"}))
    src = JwksKeySource("https://x/jwks", session, clock=clock)
    src.key_for({"kid": "es-1"})
    clock.advance(601)
    with pytest.raises(Unavailable):
        src.key_for({"kid": "es-1"})


@pytest.mark.parametrize(
    "bad",
    [
        response(500, {"message": "internal"}),
        response(404, {"message": "no Route matched with those values"}),
        response(200, b"<html>maintenance</html>"),
        response(200, {"not": "a jwks"}),
        response(200, [1, 2]),
        requests.Timeout("read timed out"),
        requests.exceptions.SSLError("bad cert"),
    ],
)
def test_every_supabase_failure_becomes_unavailable(clock, bad):
    src = JwksKeySource("https://x/jwks", FakeSession(bad), clock=clock, sleep=lambda s: None)
    with pytest.raises(Unavailable):
        src.key_for({"kid": "es-1"})


def test_only_asymmetric_signing_keys_are_taken_from_the_document(keys):
    es, rs = keys.jwks()["keys"]
    document = {
        "keys": [
            es,
            rs,
            {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0", "alg": "HS256"},  # never an HMAC key
            {**rs, "kid": "rs-as-hs", "alg": "HS256"},  # a public key declared for HMAC
            {**rs, "kid": "rs-ps", "alg": "PS256"},
            {**es, "kid": "enc", "use": "enc"},
            {**es, "kid": "sign-only", "key_ops": ["sign"]},
            {**es, "kid": "p384", "crv": "P-384"},
            {
                "kty": "OKP",
                "kid": "ed",
                "crv": "Ed25519",
                "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
            },
            {**es, "kid": "broken", "x": "!!"},
            {"kid": "no-kty"},
            "junk",
            {**es, "kid": None},
        ]
    }
    parsed = parse_jwks(document)
    assert {kid: alg for kid, (_, alg) in parsed.items()} == {"es-1": "ES256", "rs-1": "RS256"}


def test_concurrent_cold_requests_make_one_fetch(stub, clock):
    src = source(stub, clock)
    barrier = threading.Barrier(16)
    results: list[str] = []

    def work() -> None:
        barrier.wait()
        results.append(src.key_for({"kid": "rs-1"})[1])

    threads = [threading.Thread(target=work) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["RS256"] * 16
    assert stub.calls["jwks"] == 1
