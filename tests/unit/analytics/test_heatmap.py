"""The weekday x hour heatmap picture."""

from __future__ import annotations

import numpy as np
import pytest

from cl3_worker.analytics import render_heatmap_png

PNG = b"\x89PNG\r\n\x1a\n"


def matrix() -> list[list[float | None]]:
    rng = np.random.default_rng(0)
    grid: list[list[float | None]] = [
        [float(v) for v in row] for row in rng.normal(0, 1e-4, (7, 24))
    ]
    grid[2][5] = None  # empty cell
    return grid


def test_renders_png_from_a_document() -> None:
    png = render_heatmap_png({"heatmap": matrix(), "symbol": "BTCUSDT"}, "BTCUSDT 1h")
    assert isinstance(png, bytes)
    assert png.startswith(PNG)


def test_renders_png_from_a_matrix() -> None:
    assert render_heatmap_png(np.asarray(matrix(), dtype=float), "m").startswith(PNG)


def test_all_empty_or_all_zero() -> None:
    assert render_heatmap_png([[None] * 24 for _ in range(7)], "empty").startswith(PNG)
    assert render_heatmap_png([[0.0] * 24 for _ in range(7)], "flat").startswith(PNG)


def test_one_signed_values_still_centre_on_zero() -> None:
    assert render_heatmap_png([[1e-4] * 24 for _ in range(7)], "up only").startswith(PNG)


def test_wrong_shape_is_refused() -> None:
    with pytest.raises(ValueError, match="7 x 24"):
        render_heatmap_png([[0.0] * 24], "bad")
