"""Who is calling: what survives verification and is cached."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Principal:
    sub: str
    tier: str
    exp: int  # epoch seconds
    # Set when the caller used an API key instead of a Supabase token (auth/api_keys.py).
    key_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        if data["key_id"] is None:
            del data["key_id"]  # a token's cached value stays {sub, tier, exp}
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Principal:
        key_id = data.get("key_id")
        return cls(sub=str(data["sub"]), tier=str(data["tier"]), exp=int(data["exp"]),
                   key_id=None if key_id is None else str(key_id))  # fmt: skip
