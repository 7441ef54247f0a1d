"""The MongoDB client and the translation of pymongo errors into CL3's error family."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from pymongo import MongoClient
from pymongo import errors as mongo_errors

from cl3_common.errors import PermanentError, Unavailable


def connect_mongo(
    uri: str, *, timeout_ms: int = 3000, socket_timeout_ms: int | None = None
) -> MongoClient:
    """A client whose every call gives up after the given timeouts (an outage is a 503, not a
    hung request). `socket_timeout_ms` bounds one operation's reply (None: no bound, for
    workers' long bulk writes)."""
    # tz_aware: stored UTC datetimes come back as aware datetimes, so epoch conversion is exact.
    return MongoClient(
        uri,
        tz_aware=True,
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        socketTimeoutMS=socket_timeout_ms,
        appname="cl3",
    )


@contextmanager
def translated() -> Iterator[None]:
    try:
        yield
    except (mongo_errors.ConnectionFailure, mongo_errors.ServerSelectionTimeoutError) as e:
        raise Unavailable(f"mongodb is unreachable: {e}", system="mongodb") from e
    except mongo_errors.BulkWriteError:
        raise  # callers decide which write errors are expected
    except mongo_errors.PyMongoError as e:
        if getattr(e, "timeout", False):
            raise Unavailable(f"mongodb timed out: {e}", system="mongodb") from e
        raise PermanentError(f"mongodb rejected the operation: {e}", system="mongodb") from e


def mongo_ping(client: MongoClient) -> bool:
    try:
        client.admin.command("ping")
        return True
    except mongo_errors.PyMongoError:
        return False
