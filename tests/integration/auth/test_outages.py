"""Supabase down or misconfigured: 503 `unavailable`, never a 500, never cached either way."""

from __future__ import annotations

import json

import pytest

from chalicelib.runtime import Runtime
from cl3_common.settings import Settings, SettingsError
from cl3_sandbox.supabase import SupabaseStub
from tests.unit.auth.fakes import ANON, SERVICE


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_503(response) -> None:
    assert response.status_code == 503, response.body
    body = json.loads(response.body)
    assert body["error"]["code"] == "unavailable" and "supabase" in body["error"]["message"]
    assert int(response.headers["Retry-After"]) >= 1


def auth_keys(redis_client) -> list[bytes]:
    return list(redis_client.scan_iter("cl3:auth:*"))


def test_supabase_down_is_503_and_nothing_is_cached(jwks_api, stub, keys, clock, redis_client):
    token = stub.mint("user-1", None)
    port = stub.port
    stub.stop()
    for _ in range(3):
        assert_503(jwks_api.http.get("/api/symbols", headers=bearer(token)))
    assert auth_keys(redis_client) == []  # neither a validation nor a rejection

    clock.advance(2)  # past the fail-fast window of the key fetch
    with SupabaseStub(keys, port=port, anon_key=ANON, service_key=SERVICE) as back:
        back.set_subscriptions("user-1", [{"tier": "pro"}])
        assert jwks_api.http.get("/api/symbols", headers=bearer(token)).status_code == 200
        assert back.calls == {"jwks": 1, "user": 1, "subscriptions": 1}


def test_an_auth_outage_after_the_keys_are_cached_is_still_503(
    jwks_api, stub, keys, clock, redis_client
):
    warm = jwks_api.http.get("/api/symbols", headers=bearer(stub.mint("u0", "pro")))
    assert warm.status_code == 200
    token = stub.mint("user-1", "pro")
    port = stub.port
    stub.stop()  # keys are cached in-process; /auth/v1/user is now unreachable
    assert_503(jwks_api.http.get("/api/symbols", headers=bearer(token)))
    assert len(auth_keys(redis_client)) == 1  # only u0's validation
    with SupabaseStub(keys, port=port, anon_key=ANON, service_key=SERVICE):
        assert jwks_api.http.get("/api/symbols", headers=bearer(token)).status_code == 200


@pytest.mark.parametrize(
    "overrides",
    [
        {"SUPABASE_SERVICE_KEY": "not-the-service-key"},
        {"SUPABASE_ANON_KEY": "not-the-anon-key"},
    ],
)
def test_a_refused_project_key_is_503_not_401(
    make_api, supabase_env, stub, redis_client, overrides
):
    api = make_api(supabase_env, **overrides)
    assert_503(api.http.get("/api/symbols", headers=bearer(stub.mint("user-1", None))))
    assert auth_keys(redis_client) == []


def test_bad_tokens_are_still_401_while_supabase_is_down(jwks_api, stub):
    expired = stub.mint("user-1", "pro", expires_in=-10)
    warm = jwks_api.http.get("/api/symbols", headers=bearer(stub.mint("u0", "pro")))
    assert warm.status_code == 200
    stub.stop()
    for headers in ({}, {"Authorization": "Bearer junk"}, bearer(expired)):
        assert jwks_api.http.get("/api/symbols", headers=headers).status_code == 401


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"SUPABASE_VERIFY_REMOTE": "true", "SUPABASE_URL": "http://127.0.0.1:1"}, "ANON_KEY"),
        ({"SUPABASE_VERIFY_REMOTE": "true"}, "SUPABASE_URL"),
        ({"SUPABASE_SERVICE_KEY": "k"}, "SUPABASE_URL"),
    ],
)
def test_incomplete_supabase_settings_stop_start_up_naming_the_setting(env, overrides, named):
    with pytest.raises(SettingsError, match=named):
        Runtime.from_settings(Settings.from_env({**env, **overrides}))


def test_a_jwks_project_needs_no_secret(env, stub):
    settings = Settings.from_env(
        {**{k: v for k, v in env.items() if k != "SUPABASE_JWT_SECRET"}, "SUPABASE_URL": stub.url}
    )
    runtime = Runtime.from_settings(settings)
    try:
        assert runtime.rate_limiter is not None
    finally:
        runtime.stores.close()
