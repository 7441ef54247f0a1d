"""Seasonality analytics: pure pandas/numpy, DataFrame in, JSON-safe dict out.

The definitions, in words: docs/analytics.md.
"""

from cl3_worker.analytics.engine import analyze
from cl3_worker.analytics.heatmap import render_heatmap_png
from cl3_worker.analytics.params import AnalysisParams

__all__ = ["AnalysisParams", "analyze", "render_heatmap_png"]
