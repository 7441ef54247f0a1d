"""Secrets from SSM (moto's server as the AWS endpoint): read once, override the environment."""

from __future__ import annotations

import uuid

import pytest
from chalice.test import Client

from chalicelib.factory import create_app
from chalicelib.runtime import Runtime
from cl3_common import ssm
from cl3_common.settings import Settings, SettingsError
from tests.conftest import TEST_SECRET


@pytest.fixture
def prefix(aws_client) -> str:
    return f"/cl3/test-{uuid.uuid4().hex[:8]}"


DEPLOYED_MONGODB_URI = "mongodb://cl3:s3cret@db.internal:27017/?authSource=admin"


def _put(aws_client, prefix: str, name: str, value: str) -> None:
    aws_client("ssm").put_parameter(
        Name=f"{prefix}/{name}", Value=value, Type="SecureString", Overwrite=True
    )


def test_secrets_come_from_ssm_and_need_not_be_in_the_environment(aws_client, aws_env, prefix, env):
    _put(aws_client, prefix, "SUPABASE_JWT_SECRET", TEST_SECRET)
    _put(aws_client, prefix, "SUPABASE_SERVICE_KEY", "service-key-from-ssm")
    _put(aws_client, prefix, "MONGODB_URI", DEPLOYED_MONGODB_URI)
    environ = {
        "REDIS_URL": env["REDIS_URL"],
        "STORE_BACKEND": "mongodb",
        "SSM_PREFIX": prefix,
        "AWS_ENDPOINT_URL": aws_env["AWS_ENDPOINT_URL"],
        "AWS_REGION": "us-east-1",
    }  # no MONGODB_URI, no secret: both are required, both come from SSM

    settings = Settings.from_env(environ)

    assert settings.MONGODB_URI == DEPLOYED_MONGODB_URI
    assert settings.SUPABASE_JWT_SECRET == TEST_SECRET
    assert settings.SUPABASE_SERVICE_KEY == "service-key-from-ssm"


def test_an_api_built_from_ssm_settings_verifies_tokens_with_the_ssm_secret(
    aws_client, aws_env, prefix, env, auth_headers
):
    _put(aws_client, prefix, "SUPABASE_JWT_SECRET", TEST_SECRET)
    environ = {k: v for k, v in env.items() if k != "SUPABASE_JWT_SECRET"}
    environ.update(SSM_PREFIX=prefix, AWS_ENDPOINT_URL=aws_env["AWS_ENDPOINT_URL"])
    runtime = Runtime.from_settings(Settings.from_env(environ))
    try:
        with Client(create_app(lambda: runtime)) as client:
            response = client.http.get("/api/symbols", headers=auth_headers())
        assert response.status_code == 200, response.body
    finally:
        runtime.stores.close()


def test_ssm_wins_over_the_environment_and_missing_parameters_fall_back(
    aws_client, aws_env, prefix, env
):
    _put(aws_client, prefix, "SUPABASE_JWT_SECRET", "rotated-secret-in-ssm-0123456789abcdef")
    environ = {**env, "SSM_PREFIX": prefix, "SUPABASE_SERVICE_KEY": "env-service-key"}

    settings = Settings.from_env(environ)

    assert settings.SUPABASE_JWT_SECRET == "rotated-secret-in-ssm-0123456789abcdef"
    assert settings.SUPABASE_SERVICE_KEY == "env-service-key"  # not in SSM: the env's value
    assert env["SQLITE_PATH"] == settings.SQLITE_PATH


def test_parameters_are_fetched_once_per_process(aws_client, aws_env, prefix, env):
    _put(aws_client, prefix, "SUPABASE_JWT_SECRET", "first-secret-0123456789abcdef0123456789")
    environ = {**env, "SSM_PREFIX": prefix}
    assert Settings.from_env(environ).SUPABASE_JWT_SECRET.startswith("first")

    _put(aws_client, prefix, "SUPABASE_JWT_SECRET", "second-secret-0123456789abcdef012345678")
    assert Settings.from_env(environ).SUPABASE_JWT_SECRET.startswith("first")  # cached

    ssm.clear_cache()  # a new cold start
    assert Settings.from_env(environ).SUPABASE_JWT_SECRET.startswith("second")


def test_unreachable_ssm_stops_start_up_with_a_clear_message(env, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    ssm.clear_cache()
    environ = {**env, "SSM_PREFIX": "/cl3/nowhere", "AWS_ENDPOINT_URL": "http://127.0.0.1:9"}
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    with pytest.raises(SettingsError, match="SSM_PREFIX=/cl3/nowhere"):
        Settings.from_env(environ)


def test_no_prefix_means_no_aws_call(env, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # would fail if it were used
    assert Settings.from_env(env).SUPABASE_JWT_SECRET == TEST_SECRET
    assert ssm.parameter_name("cl3/x/", "MONGODB_URI") == "/cl3/x/MONGODB_URI"
