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
# Upper bounds: far above any useful value, and small enough that every value fits the stores
# (MongoDB refuses integers of 2^63 and more) and no window outgrows a year of 1m candles.
MAX_WINDOW = 1_000_000
MAX_Z = 100.0


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
        self._check_types()
        self._check_bounds()
        self._check_relations()

    def _check_types(self) -> None:
        for name in _INT_FIELDS:
            value = getattr(self, name)
            if value is None and name == "horizon":
                continue
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"params.{name} must be an integer, got {_shown(value)}")
        for name in _FLOAT_FIELDS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"params.{name} must be a number, got {_shown(value)}")
            if not math.isfinite(value):
                raise ValueError(f"params.{name} must be finite, got {value!r}")

    def _check_bounds(self) -> None:
        self._check_int_bounds()
        self._check_float_bounds()

    def _check_int_bounds(self) -> None:
        lowest = {"fast": 2, "slow": 2, "window": 2, "horizon": 1}
        for name, minimum in lowest.items():
            value = getattr(self, name)
            if value is not None and value < minimum:
                raise ValueError(f"params.{name} must be at least {minimum}, got {_shown(value)}")
            if value is not None and value > MAX_WINDOW:
                raise ValueError(f"params.{name} must be at most {MAX_WINDOW}, got {_shown(value)}")

    def _check_float_bounds(self) -> None:
        for name in _FLOAT_FIELDS:
            value = getattr(self, name)
            if not value > 0:
                raise ValueError(f"params.{name} must be greater than 0, got {value}")
            if name != "alpha" and value > MAX_Z:
                raise ValueError(f"params.{name} must be at most {MAX_Z:g}, got {_shown(value)}")
        if self.alpha >= 1:
            raise ValueError(f"params.alpha must be below 1, got {self.alpha}")

    def _check_relations(self) -> None:
        if self.fast >= self.slow:
            raise ValueError(
                f"params.fast ({self.fast}) must be smaller than params.slow ({self.slow})"
            )
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
        return cls(**{key: _coerce(key, value) for key, value in data.items()})

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


def params_json_schema() -> dict[str, Any]:
    """The JSON Schema of a request's `params`, from the same defaults and bounds."""

    def integer(default: int, minimum: int) -> dict[str, Any]:
        return {"type": "integer", "minimum": minimum, "maximum": MAX_WINDOW, "default": default}

    def number(default: float, maximum: float, exclusive: bool = False) -> dict[str, Any]:
        top = {"exclusiveMaximum" if exclusive else "maximum": maximum}
        return {"type": "number", "exclusiveMinimum": 0, **top, "default": default}

    defaults = AnalysisParams()
    return {
        "type": "object",
        "additionalProperties": False,
        "description": "fast < slow; exit_z <= entry_z; horizon defaults to fast.",
        "properties": {
            "fast": integer(defaults.fast, 2),
            "slow": integer(defaults.slow, 2),
            "horizon": {
                "anyOf": [
                    {"type": "integer", "minimum": 1, "maximum": MAX_WINDOW},
                    {"type": "null"},
                ],
                "default": None,
            },
            "window": integer(defaults.window, 2),
            "entry_z": number(defaults.entry_z, MAX_Z),
            "exit_z": number(defaults.exit_z, MAX_Z),
            "alpha": number(defaults.alpha, 1.0, exclusive=True),
        },
    }


def _shown(value: Any) -> str:
    """A value for a message, cut short: a 300-digit number is not echoed back whole."""
    text = repr(value)
    return text if len(text) <= 24 else f"{text[:24]}..."


def _coerce(name: str, value: Any) -> Any:
    if name == "horizon" and value is None:
        return None
    return _as_int(name, value) if name in _INT_FIELDS else _as_float(name, value)


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
