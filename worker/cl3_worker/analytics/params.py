"""Analysis parameters (defaults in docs/analytics.md) and their validation.

Defined in `cl3_common.analysis_params` (no heavy imports) so the handlers can validate a
request's `params` without the worker's pandas stack; re-exported here for the analytics.
"""

from __future__ import annotations

from cl3_common.analysis_params import AnalysisParams

__all__ = ["AnalysisParams"]
