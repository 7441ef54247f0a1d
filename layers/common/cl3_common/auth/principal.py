"""Who is calling: what survives verification and is cached."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Principal:
    sub: str
    tier: str
    exp: int  # epoch seconds

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Principal:
        return cls(sub=str(data["sub"]), tier=str(data["tier"]), exp=int(data["exp"]))
