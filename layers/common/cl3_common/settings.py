"""One typed settings object, built once from the environment and passed down."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class SettingsError(RuntimeError):
    """Start-up cannot go on: a required setting is missing or malformed."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(case_sensitive=True, extra="ignore", frozen=True)

    REDIS_URL: str
    # The embedded SQLite file by default; MongoDB for docker compose and AWS.
    STORE_BACKEND: Literal["sqlite", "mongodb"] = "sqlite"
    SQLITE_PATH: str = ".cl3/data/cl3.sqlite3"
    MONGODB_URI: str | None = None
    MONGODB_DB: str = "cl3"
    BINANCE_BASE_URL: str = "https://data-api.binance.vision"
    BINANCE_USDM_BASE_URL: str = "https://fapi.binance.com"
    BINANCE_COINM_BASE_URL: str = "https://dapi.binance.com"
    BINANCE_ARCHIVE_URL: str = "https://data.binance.vision"

    SUPABASE_URL: str | None = None
    SUPABASE_JWT_SECRET: str | None = None
    SUPABASE_JWT_AUDIENCE: str = "authenticated"
    SUPABASE_ANON_KEY: str | None = None
    SUPABASE_SERVICE_KEY: str | None = None
    SUPABASE_VERIFY_REMOTE: bool = False
    AUTH_CACHE_TTL: int = Field(default=300, ge=1, le=3600)

    AWS_ENDPOINT_URL: str | None = None
    AWS_REGION: str = "us-east-1"
    EXPORT_BUCKET: str = "cl3-exports"
    SSM_PREFIX: str | None = None
    REFRESH_INTERVAL_MINUTES: int = Field(default=15, ge=1)

    # JSON overriding parts of the entitlement table: {"pro": {"max_concurrent_jobs": 4}}.
    TIER_LIMITS: dict[str, dict[str, Any]] = Field(default_factory=dict)
    # Pages of klines a fetch job keeps in flight; the shared weight budget still paces them.
    FETCH_CONCURRENCY: int = Field(default=8, ge=1, le=64)
    # A fetch whose range holds at least this many candles writes them from a child process
    # (cl3_worker/writer_process.py), off the page threads' GIL; smaller ones (refreshes)
    # write in-process, where forking would cost more than it saves. 0: always a child.
    FETCH_WRITER_PROCESS_MIN_CANDLES: int = Field(default=20_000, ge=0)
    # Whole past days and months come from the public archive (zips) instead of REST pages.
    ARCHIVE_BACKFILL: bool = True
    # How long a job waits out an outage of the store, Redis or the exchange (no attempt making
    # progress) before its task fails `unavailable`; each attempt resumes from what is stored.
    OUTAGE_WAIT_S: int = Field(default=300, ge=0)

    # Observability (docs/operations.md, "Metrics and logs"): /metrics on `cl3 api` and on
    # `cl3 worker --metrics-port`; log lines as text or one JSON object per line.
    METRICS_ENABLED: bool = True
    LOG_FORMAT: Literal["text", "json"] = "text"
    LOG_LEVEL: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("TIER_LIMITS", mode="before")
    @classmethod
    def _parse_tier_limits(cls, value: Any) -> Any:
        if isinstance(value, str):
            return json.loads(value) if value.strip() else {}
        return value

    @field_validator("LOG_FORMAT", "LOG_LEVEL", mode="before")
    @classmethod
    def _any_case(cls, value: Any, info: Any) -> Any:
        if not isinstance(value, str):
            return value
        return value.strip().lower() if info.field_name == "LOG_FORMAT" else value.strip().upper()

    @field_validator("SQLITE_PATH")
    @classmethod
    def _absolute_path(cls, value: str) -> str:
        # Relative to where the process starts; resolved once so every module agrees.
        return str(Path(value).expanduser().resolve())

    @field_validator(
        "SUPABASE_URL",
        "BINANCE_BASE_URL",
        "BINANCE_USDM_BASE_URL",
        "BINANCE_COINM_BASE_URL",
        "BINANCE_ARCHIVE_URL",
    )
    @classmethod
    def _strip_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else value

    def require_token_verification(self) -> None:
        """The API cannot start without a way to verify tokens (workers need none)."""
        if not self.SUPABASE_JWT_SECRET and not self.SUPABASE_URL:
            raise SettingsError(
                "invalid configuration: SUPABASE_JWT_SECRET or SUPABASE_URL is required "
                "(no way to verify access tokens)"
            )

    @property
    def supabase_issuer(self) -> str | None:
        return f"{self.SUPABASE_URL}/auth/v1" if self.SUPABASE_URL else None

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, **_other_sources):  # type: ignore[override]
        # One way in: from_env hands over the environment explicitly, so a test's mapping is
        # never mixed with the process environment.
        return (init_settings,)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings; a missing or bad value raises SettingsError naming the variable."""
        from cl3_common.ssm import environ_with_ssm  # secrets from SSM when SSM_PREFIX is set

        source = environ_with_ssm(dict(os.environ) if environ is None else environ) or {}
        try:
            settings = cls.model_validate(
                {k: v for k, v in source.items() if k in cls.model_fields}
            )
        except ValidationError as e:
            raise SettingsError("invalid configuration: " + _problems(e)) from e
        if settings.STORE_BACKEND == "mongodb" and not settings.MONGODB_URI:
            raise SettingsError(
                "invalid configuration: MONGODB_URI is required but not set (STORE_BACKEND=mongodb)"
            )
        return settings


def _problems(error: ValidationError) -> str:
    problems = []
    for err in error.errors():
        name = ".".join(str(p) for p in err["loc"]) or "settings"
        kind = "is required but not set" if err["type"] == "missing" else err["msg"]
        problems.append(f"{name} {kind}")
    return "; ".join(problems)
