"""POST/GET /api/keys, DELETE /api/keys/{key_id}: long-lived API keys for bots.

Managed with a Supabase access token only (cl3_common.auth.api_keys; docs/mirror.md); the key
itself is in the creation response and nowhere else.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from chalice import Response
from pydantic import BaseModel, ConfigDict, Field

from chalicelib.declarations import Call, ResponseDoc, RouteGroup
from chalicelib.fields import MissingCode, TaskId
from chalicelib.inputs import Inputs, NoInputs
from chalicelib.router import json_response
from cl3_common.auth.api_keys import MAX_NAME_CHARS, ApiKeys
from cl3_common.errors import Unavailable
from cl3_common.store import ApiKeyRecord

routes = RouteGroup("api keys")
KeyName = Annotated[
    str,
    Field(min_length=1, max_length=MAX_NAME_CHARS),
    MissingCode("invalid_request", "a label for the key, e.g. 'grid bot'"),
]


class KeyBody(Inputs):
    name: KeyName
    example: ClassVar[dict[str, str]] = {"name": "grid bot"}


class KeyPath(Inputs):
    key_id: TaskId


class ApiKeyInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    name: str
    prefix: str
    created_at: int
    last_used_at: int | None


class CreatedApiKey(ApiKeyInfo):
    key: str = Field(description="The key itself: shown here once, stored only as a hash.")
    tier: str


class ApiKeyList(BaseModel):
    model_config = ConfigDict(extra="forbid")
    keys: list[ApiKeyInfo]


class RevokedApiKey(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    revoked_at: int


def _keys(call: Call[Any, Any, Any]) -> ApiKeys:
    found = call.runtime.api_keys
    if found is None:
        raise Unavailable("API keys are not configured", system="store")
    return found


@routes.post(
    "/api/keys",
    summary="Create an API key (shown once) for bots; needs a Supabase token, not a key",
    description="Use it as `X-API-Key: cl3_...` or `Authorization: Bearer cl3_...` on every "
    "endpoint (and `X-MBX-APIKEY` in the Binance mirror). It acts as you: your plan, your "
    "limits. At most 25 live keys.",
    body=KeyBody,
    responses={201: ResponseDoc("The new key.", CreatedApiKey)},
    errors=(403,),
)
def create_key(call: Call[NoInputs, NoInputs, KeyBody]) -> Response:
    created = _keys(call).create(call.user, call.body.name)
    body = {**describe(created.record), "key": created.key, "tier": created.record.tier}
    return json_response(body, 201, {"Cache-Control": "no-store"})


@routes.get(
    "/api/keys",
    summary="Your live API keys (never the keys themselves); needs a Supabase token",
    responses={200: ResponseDoc("Oldest first.", ApiKeyList)},
    errors=(403,),
)
def list_keys(call: Call[NoInputs, NoInputs, NoInputs]) -> dict[str, Any]:
    return {"keys": [describe(k) for k in _keys(call).list(call.user)]}


@routes.delete(
    "/api/keys/{key_id}",
    summary="Revoke one of your API keys: refused from the next request on",
    path_params=KeyPath,
    responses={200: ResponseDoc("When it was revoked.", RevokedApiKey)},
    errors=(403, 404),
)
def revoke_key(call: Call[KeyPath, NoInputs, NoInputs]) -> dict[str, Any]:
    revoked = _keys(call).revoke(call.user, call.path.key_id)
    return {"id": revoked.key_id, "revoked_at": revoked.revoked_at}


def describe(record: ApiKeyRecord) -> dict[str, Any]:
    return {
        "id": record.key_id,
        "name": record.name,
        "prefix": record.prefix,
        "created_at": record.created_at,
        "last_used_at": record.last_used_at,
    }
