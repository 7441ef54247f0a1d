"""POST/GET /api/keys, DELETE /api/keys/{key_id}: long-lived API keys for bots.

Managed with a Supabase access token only (cl3_common.auth.api_keys); the key itself is in
the creation response and nowhere else.
"""

from __future__ import annotations

from typing import Any

from chalice import Response

from chalicelib.router import Router
from chalicelib.runtime import RuntimeProvider
from chalicelib.validation import reject_unknown
from cl3_common.auth import Principal
from cl3_common.auth.api_keys import ApiKeys
from cl3_common.errors import InvalidRequest, Unavailable
from cl3_common.store import ApiKeyRecord


def api_key_routes(runtime: RuntimeProvider) -> Router:
    router = Router(__name__, runtime)

    def keys() -> ApiKeys:
        found = router.runtime.api_keys
        if found is None:
            raise Unavailable("API keys are not configured", system="store")
        return found

    @router.route("/api/keys", methods=("POST",))
    def create_key(user: Principal) -> Response:
        body = router.json_body()
        reject_unknown(body, {"name"})
        name = body.get("name")
        if not isinstance(name, str):
            raise InvalidRequest("name is required: a label for the key, e.g. 'grid bot'")
        created = keys().create(user, name)
        return Response(
            body={**describe(created.record), "key": created.key, "tier": created.record.tier},
            status_code=201,
            headers={"Content-Type": "application/json", "Cache-Control": "no-store"},
        )

    @router.route("/api/keys")
    def list_keys(user: Principal) -> dict[str, Any]:
        return {"keys": [describe(k) for k in keys().list(user)]}

    @router.route("/api/keys/{key_id}", methods=("DELETE",))
    def revoke_key(user: Principal, key_id: str) -> dict[str, Any]:
        revoked = keys().revoke(user, key_id)
        return {"id": revoked.key_id, "revoked_at": revoked.revoked_at}

    return router


def describe(record: ApiKeyRecord) -> dict[str, Any]:
    return {
        "id": record.key_id,
        "name": record.name,
        "prefix": record.prefix,
        "created_at": record.created_at,
        "last_used_at": record.last_used_at,
    }
