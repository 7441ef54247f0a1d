"""Seasonality analysis parameters (defaults and bounds in docs/api.md) and their validation.

Pure standard library on purpose: the handlers validate a request's `params` with this
before anything is enqueued, and the Lambda package must not pull in pandas or numpy.
The worker's `cl3_worker.analytics.params` re-exports it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

_INT_FIELDS = ("fast", "slow", "horizon", "window")
_FLOAT_FIELDS = ("entry_z", "exit_z", "alpha")


@dataclass(frozen=True)
class AnalysisParams:
    fast: int = 20
    slow: int = 50
    horizon: int | None = None  # None means "same as fast"
    window: int = 20
    entry_z: float = 2.0
    exit_z: float = 0.5
    alpha: float = 0.05

    def __post_init__(self) -> None:
        self.validate()

    @property
    def resolved_horizon(self) -> int:
        return self.fast if self.horizon is None else self.horizon

    @property
    def min_candles(self) -> int:
        """Fewer candles than this is `insufficient_data` (docs/analytics.md: slow + 2)."""
        return self.slow + 2

    def validate(self) -> None:
        for name in _INT_FIELDS:
            value = getattr(self, name)
            if value is None and name == "horizon":
                continue
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"params.{name} must be an integer, got {value!r}")
        for name in _FLOAT_FIELDS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"params.{name} must be a number, got {value!r}")
            if not math.isfinite(value):
                raise ValueError(f"params.{name} must be finite, got {value!r}")
        for name in ("fast", "slow", "window"):
            if getattr(self, name) < 2:
                raise ValueError(f"params.{name} must be at least 2, got {getattr(self, name)}")
        if self.horizon is not None and self.horizon < 1:
            raise ValueError(f"params.horizon must be at least 1, got {self.horizon}")
        if self.fast >= self.slow:
            raise ValueError(
                f"params.fast ({self.fast}) must be smaller than params.slow ({self.slow})"
            )
        for name in _FLOAT_FIELDS:
            if not getattr(self, name) > 0:
                raise ValueError(f"params.{name} must be greater than 0, got {getattr(self, name)}")
        if self.alpha >= 1:
            raise ValueError(f"params.alpha must be below 1, got {self.alpha}")
        if self.exit_z > self.entry_z:
            raise ValueError(
                f"params.exit_z ({self.exit_z}) must not exceed params.entry_z ({self.entry_z})"
            )

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> AnalysisParams:
        """Build from a request's `params` object; missing keys take the defaults."""
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise ValueError("params must be an object")
        known = {f.name for f in fields(cls)}
        unknown = sorted(str(k) for k in data if k not in known)
        if unknown:
            raise ValueError(
                f"unknown params: {', '.join(unknown)}; allowed: {', '.join(sorted(known))}"
            )
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key == "horizon" and value is None:
                values[key] = None
            elif key in _INT_FIELDS:
                values[key] = _as_int(key, value)
            else:
                values[key] = _as_float(key, value)
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """The resolved parameters (horizon filled in), as stored with the analysis."""
        return {
            "fast": self.fast,
            "slow": self.slow,
            "horizon": self.resolved_horizon,
            "window": self.window,
            "entry_z": float(self.entry_z),
            "exit_z": float(self.exit_z),
            "alpha": float(self.alpha),
        }


def _as_int(name: str, value: Any) -> int:
    # JSON clients may send 20.0 for 20; accept integral floats, refuse anything lossy.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"params.{name} must be an integer, got {value!r}")
    if isinstance(value, float):
        if not (math.isfinite(value) and value.is_integer()):
            raise ValueError(f"params.{name} must be an integer, got {value!r}")
        return int(value)
    return value


def _as_float(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"params.{name} must be a number, got {value!r}")
    return float(value)
