"""Redis connections and the translation of redis-py errors into CL3's error family."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import redis
from redis import exceptions as redis_errors
from redis.backoff import NoBackoff
from redis.retry import Retry

from cl3_common.errors import Unavailable
from cl3_common.timeouts import JOB_REDIS_TIMEOUT_S, REQUEST_CONNECT_S, REQUEST_READ_S

KEY_PREFIX = "cl3"


def connect_redis(
    url: str, *, connect_s: float = REQUEST_CONNECT_S, read_s: float = REQUEST_READ_S
) -> redis.Redis:
    """A client for the request path: a stalled or dead Redis is a 503 within about 2 s.

    One immediate retry covers a connection the server closed while idle; a timed-out command
    is not retried (it already cost the whole timeout), and redis-py's default backoff retries
    would hold a request for seconds while Redis is down.
    """
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=connect_s,
        socket_timeout=read_s,
        health_check_interval=30,
        retry=Retry(NoBackoff(), 1, supported_errors=(redis_errors.ConnectionError,)),
    )


def connect_job_redis(url: str) -> redis.Redis:
    """A client for jobs: commands time out after a few seconds; the job runner then waits the
    outage out with backoff and resumes (a socket wait would hide it from the task's record)."""
    return connect_redis(url, connect_s=JOB_REDIS_TIMEOUT_S, read_s=JOB_REDIS_TIMEOUT_S)


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
