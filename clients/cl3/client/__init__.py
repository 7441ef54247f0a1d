"""A typed Python client of the CL3 market-data API (docs/api.md, README "Python client").

from cl3.client import Client
client = Client.from_env()                 # CL3_API_URL, CL3_TOKEN
df = client.fetch("BTCUSDT", "1h", "2024-01-01", "2024-02-01")
"""

from cl3.client.api import Client
from cl3.client.errors import (
    ApiError,
    BadRequest,
    CL3ClientError,
    Conflict,
    Forbidden,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    ServerError,
    ServiceUnavailable,
    TaskFailed,
    TooManyRequests,
    TransportError,
    Unauthorized,
    UnprocessableEntity,
    UnsupportedMediaType,
)
from cl3.client.frames import candles_frame
from cl3.client.times import as_time

__all__ = [
    "ApiError",
    "BadRequest",
    "CL3ClientError",
    "Client",
    "Conflict",
    "Forbidden",
    "MethodNotAllowed",
    "NotFound",
    "PayloadTooLarge",
    "ServerError",
    "ServiceUnavailable",
    "TaskFailed",
    "TooManyRequests",
    "TransportError",
    "Unauthorized",
    "UnprocessableEntity",
    "UnsupportedMediaType",
    "as_time",
    "candles_frame",
]
