"""PNG heatmap of mean return by weekday x hour, rendered off-screen (no pyplot state)."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def heatmap_matrix(doc_or_matrix: Mapping[str, Any] | Sequence[Any] | np.ndarray) -> np.ndarray:
    """7 x 24 float array (NaN where empty) from an analysis document or a matrix."""
    raw = doc_or_matrix["heatmap"] if isinstance(doc_or_matrix, Mapping) else doc_or_matrix
    rows = [[np.nan if v is None else float(v) for v in row] for row in raw]
    grid = np.asarray(rows, dtype=np.float64)
    if grid.shape != (7, 24):
        raise ValueError(f"heatmap must be 7 x 24 (weekday x hour), got {grid.shape}")
    return grid


def render_heatmap_png(
    doc_or_matrix: Mapping[str, Any] | Sequence[Any] | np.ndarray, title: str
) -> bytes:
    grid = heatmap_matrix(doc_or_matrix)
    finite = grid[np.isfinite(grid)]
    # Symmetric limits keep 0 at the neutral colour whatever the data's sign balance.
    limit = float(np.max(np.abs(finite))) if finite.size else 0.0
    if not limit > 0:
        limit = 1e-9
    # Figure + Agg canvas directly: thread-safe, no global pyplot state in a worker.
    fig = Figure(figsize=(12, 4.2), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    image = ax.imshow(
        np.ma.masked_invalid(grid),
        cmap=_colormap(),
        norm=TwoSlopeNorm(vcenter=0.0, vmin=-limit, vmax=limit),
        aspect="auto",
        interpolation="nearest",
    )
    ax.set_xticks(range(24), [str(h) for h in range(24)])
    ax.set_yticks(range(7), WEEKDAYS)
    ax.set_xlabel("hour (UTC)")
    ax.set_title(title)
    bar = fig.colorbar(image, ax=ax)
    bar.set_label("mean log return")
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


def _colormap() -> Any:
    # Empty cells: neutral grey, distinct from "mean 0" (pale yellow).
    return colormaps["RdYlGn"].with_extremes(bad="#d9d9d9")
