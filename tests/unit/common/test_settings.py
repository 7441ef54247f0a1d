from __future__ import annotations

import pytest

from cl3_common.settings import Settings, SettingsError
from cl3_common.tiers import build_entitlements


def test_missing_settings_are_named():
    with pytest.raises(SettingsError, match=r"REDIS_URL is required but not set"):
        Settings.from_env({})


def test_the_store_is_an_embedded_sqlite_file_by_default(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = Settings.from_env({"REDIS_URL": "redis://h"})
    assert settings.STORE_BACKEND == "sqlite"
    # Resolved once, so the API and workers started in the same folder agree on the file.
    assert str(tmp_path / ".cl3" / "data" / "cl3.sqlite3") == settings.SQLITE_PATH


def test_the_mongodb_backend_needs_its_uri():
    with pytest.raises(SettingsError, match="MONGODB_URI is required"):
        Settings.from_env({"REDIS_URL": "redis://h", "STORE_BACKEND": "mongodb"})
    settings = Settings.from_env(
        {"REDIS_URL": "redis://h", "STORE_BACKEND": "mongodb", "MONGODB_URI": "mongodb://h"}
    )
    assert (settings.MONGODB_URI, settings.MONGODB_DB) == ("mongodb://h", "cl3")


def test_an_unknown_backend_is_refused_by_name():
    with pytest.raises(SettingsError, match="STORE_BACKEND"):
        Settings.from_env({"REDIS_URL": "redis://h", "STORE_BACKEND": "postgres"})


def test_the_api_needs_a_way_to_verify_tokens():
    settings = Settings.from_env({"REDIS_URL": "redis://h", "MONGODB_URI": "mongodb://h"})
    with pytest.raises(SettingsError, match="SUPABASE_JWT_SECRET or SUPABASE_URL"):
        settings.require_token_verification()


def test_values_are_typed_and_tier_limits_override_the_table():
    settings = Settings.from_env(
        {
            "REDIS_URL": "redis://h",
            "MONGODB_URI": "mongodb://h",
            "SUPABASE_URL": "https://x.co/",
            "SUPABASE_VERIFY_REMOTE": "true",
            "TIER_LIMITS": '{"pro": {"max_concurrent_jobs": 4}}',
        }
    )
    assert settings.SUPABASE_VERIFY_REMOTE is True
    assert settings.supabase_issuer == "https://x.co/auth/v1"
    table = build_entitlements(settings.TIER_LIMITS)
    assert table["pro"].max_concurrent_jobs == 4 and table["enterprise"].max_concurrent_jobs == 10


@pytest.mark.parametrize("overrides", [{"gold": {}}, {"pro": {"colour": 1}}])
def test_bad_tier_overrides_are_rejected(overrides):
    with pytest.raises(ValueError):
        build_entitlements(overrides)


def test_bad_number_is_reported_with_its_name():
    with pytest.raises(SettingsError, match="AUTH_CACHE_TTL"):
        Settings.from_env({"REDIS_URL": "r", "MONGODB_URI": "m", "AUTH_CACHE_TTL": "soon"})
