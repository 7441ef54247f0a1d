"""AnalysisParams defaults and validation."""

from __future__ import annotations

import dataclasses

import pytest

from cl3_worker.analytics import AnalysisParams


def test_defaults_match_the_spec() -> None:
    p = AnalysisParams()
    assert p.to_dict() == {
        "fast": 20,
        "slow": 50,
        "horizon": 20,  # horizon defaults to fast
        "window": 20,
        "entry_z": 2.0,
        "exit_z": 0.5,
        "alpha": 0.05,
    }
    assert p.horizon is None
    assert p.min_candles == 52
    assert AnalysisParams.from_dict(None) == p
    assert AnalysisParams.from_dict({}) == p


def test_from_dict_overrides_and_resolves_horizon() -> None:
    p = AnalysisParams.from_dict({"fast": 5, "slow": 10, "alpha": 0.1, "entry_z": 3})
    assert p.to_dict()["horizon"] == 5
    assert p.entry_z == 3.0 and isinstance(p.entry_z, float)
    assert AnalysisParams.from_dict({"horizon": 1}).to_dict()["horizon"] == 1
    assert AnalysisParams.from_dict({"horizon": None}).resolved_horizon == 20
    # JSON clients may send integral floats for integers.
    assert AnalysisParams.from_dict({"window": 30.0}).window == 30


def test_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        AnalysisParams().fast = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"fats": 5}, "unknown params: fats"),
        ({"fast": "20"}, "params.fast must be an integer"),
        ({"fast": 20.5}, "params.fast must be an integer"),
        ({"fast": True}, "params.fast must be an integer"),
        ({"alpha": "0.05"}, "params.alpha must be a number"),
        ({"alpha": None}, "params.alpha must be a number"),
        ({"fast": 50}, "params.fast (50) must be smaller than params.slow (50)"),
        ({"fast": 60}, "must be smaller than params.slow"),
        ({"fast": 1}, "params.fast must be at least 2"),
        ({"fast": 1, "slow": 2}, "params.fast must be at least 2"),
        ({"window": 1}, "params.window must be at least 2"),
        ({"horizon": 0}, "params.horizon must be at least 1"),
        ({"entry_z": 0}, "params.entry_z must be greater than 0"),
        ({"exit_z": -0.5}, "params.exit_z must be greater than 0"),
        ({"alpha": 0}, "params.alpha must be greater than 0"),
        ({"alpha": 1}, "params.alpha must be below 1"),
        ({"alpha": float("nan")}, "params.alpha must be finite"),
        ({"entry_z": float("inf")}, "params.entry_z must be finite"),
        ({"exit_z": 2.5}, "params.exit_z (2.5) must not exceed params.entry_z (2.0)"),
    ],
)
def test_invalid_params(data: dict, message: str) -> None:
    with pytest.raises(ValueError) as info:
        AnalysisParams.from_dict(data)
    assert message in str(info.value)


def test_not_an_object() -> None:
    with pytest.raises(ValueError, match="params must be an object"):
        AnalysisParams.from_dict([1, 2])  # type: ignore[arg-type]


def test_constructor_validates_too() -> None:
    with pytest.raises(ValueError):
        AnalysisParams(fast=30, slow=20)
    assert AnalysisParams(exit_z=2.0).exit_z == 2.0  # equal thresholds are allowed
