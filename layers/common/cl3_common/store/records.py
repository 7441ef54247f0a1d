"""Records of the small stores that are not candles (API keys)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class ApiKeyRecord:
    key_id: str  # public id used in URLs ("key_..."), never part of the secret
    owner: str  # the Supabase user id (`sub`) the key acts for
    name: str
    prefix: str  # the first characters of the key, shown so users can tell keys apart
    key_hash: str  # hex SHA-256 of the whole key
    tier: str  # the owner's plan, kept in step by the API (see ApiKeyStore.set_tier)
    created_at: int  # epoch ms
    last_used_at: int | None = None
    revoked_at: int | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ApiKeyRecord:
        fields = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in fields})
