"""Redis connections and the translation of redis-py errors into CL3's error family."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import redis
from redis import exceptions as redis_errors
from redis.backoff import NoBackoff
from redis.retry import Retry

from cl3_common.errors import Unavailable

KEY_PREFIX = "cl3"


def connect_redis(url: str, *, timeout_s: float = 2.0) -> redis.Redis:
    """A client with short timeouts so an outage becomes a fast 503, not a hung request.

    One immediate retry covers a connection the server closed while idle; redis-py's default
    backoff retries would hold a request for seconds while Redis is down.
    """
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=timeout_s,
        socket_timeout=max(timeout_s, 5.0),
        health_check_interval=30,
        retry=Retry(NoBackoff(), 1),
    )


@contextmanager
def redis_errors_translated() -> Iterator[None]:
    try:
        yield
    except (redis_errors.ConnectionError, redis_errors.TimeoutError) as e:
        raise Unavailable(f"redis is unreachable: {e}", system="redis") from e
    except redis_errors.BusyLoadingError as e:
        raise Unavailable("redis is loading its dataset", system="redis") from e


def ping(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis_errors.RedisError:
        return False


def as_text(value: bytes | str) -> str:
    """redis-py returns bytes unless decode_responses is set; RQ needs it unset."""
    return value.decode() if isinstance(value, bytes) else value
