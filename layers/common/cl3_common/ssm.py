"""Secrets from AWS SSM Parameter Store, so nothing secret sits in a deployed function's env.

When `SSM_PREFIX` is set (e.g. `/cl3/prod`), the parameters `{SSM_PREFIX}/SUPABASE_JWT_SECRET`,
`{SSM_PREFIX}/SUPABASE_SERVICE_KEY` and `{SSM_PREFIX}/MONGODB_URI` are read (decrypted
SecureStrings) in one `GetParameters` call, once per process (a Lambda cold start, a worker
or API container start), through boto3 with `endpoint_url=AWS_ENDPOINT_URL` (LocalStack in
compose, moto's server in tests, real AWS when unset). A parameter that exists wins over the
same variable in the environment; one that does not exist leaves the environment's value.
`Settings.from_env` applies this before validating, so `MONGODB_URI` may live only in SSM.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import Any

SECRET_NAMES: tuple[str, ...] = ("SUPABASE_JWT_SECRET", "SUPABASE_SERVICE_KEY", "MONGODB_URI")
DEFAULT_REGION = "us-east-1"

_cache: dict[tuple[str, str | None, str], dict[str, str]] = {}
_lock = threading.Lock()


def parameter_name(prefix: str, name: str) -> str:
    """`/cl3/prod` + `MONGODB_URI` -> `/cl3/prod/MONGODB_URI` (hierarchies start with /)."""
    return "/" + "/".join(p for p in (prefix.strip("/"), name) if p)


def boto_client(service: str, *, endpoint_url: str | None, region: str, **kw: Any) -> Any:
    """A boto3 client for AWS or a local endpoint (LocalStack, moto) when one is given.

    Against a local endpoint, dummy credentials are used if none are configured, and S3 uses
    path-style addressing (no per-bucket host names to resolve).
    """
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(region_name=region)
    options: dict[str, Any] = {"region_name": region, **kw}
    if endpoint_url:
        options["endpoint_url"] = endpoint_url
        if session.get_credentials() is None:
            options.update(aws_access_key_id="test", aws_secret_access_key="test")
        if service == "s3":
            options["config"] = Config(
                s3={"addressing_style": "path"}, signature_version="s3v4"
            ).merge(options.get("config") or Config())
    return session.client(service, **options)


def fetch_secrets(
    prefix: str, *, endpoint_url: str | None = None, region: str = DEFAULT_REGION
) -> dict[str, str]:
    """{NAME: value} of the secrets found under `prefix`; cached for the process's lifetime."""
    from cl3_common.settings import SettingsError

    key = (prefix, endpoint_url, region)
    with _lock:
        if key in _cache:
            return dict(_cache[key])
        names = {parameter_name(prefix, n): n for n in SECRET_NAMES}
        try:
            client = boto_client("ssm", endpoint_url=endpoint_url, region=region)
            response = client.get_parameters(Names=list(names), WithDecryption=True)
        except Exception as e:  # botocore's errors: endpoint down, no credentials, denied
            where = endpoint_url or f"AWS SSM in {region}"
            raise SettingsError(
                f"invalid configuration: SSM_PREFIX={prefix} is set but the parameters could "
                f"not be read from {where}: {e}"
            ) from e
        found = {names[p["Name"]]: str(p["Value"]) for p in response.get("Parameters", [])}
        _cache[key] = found
        return dict(found)


def clear_cache() -> None:
    """Forget fetched secrets (tests; a process otherwise reads them once)."""
    with _lock:
        _cache.clear()


def environ_with_ssm(environ: Mapping[str, str] | None) -> Mapping[str, str] | None:
    """The environment (None: os.environ) with SSM secrets merged in when SSM_PREFIX is set.

    Returns `environ` itself when SSM is not configured, so nothing changes for callers.
    """
    source = os.environ if environ is None else environ
    prefix = source.get("SSM_PREFIX")
    if not prefix:
        return environ
    secrets = fetch_secrets(
        prefix,
        endpoint_url=source.get("AWS_ENDPOINT_URL") or None,
        region=source.get("AWS_REGION") or source.get("AWS_DEFAULT_REGION") or DEFAULT_REGION,
    )
    return {**source, **secrets}
