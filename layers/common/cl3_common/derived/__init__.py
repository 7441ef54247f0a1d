"""Derived data: resampling on read, gaps with their cause, fill modes, plausibility.

See docs/data-model.md, "Derived data".

Pure functions on candles and rows: no I/O, and only the standard library, because the API
handlers (Lambda) import this package and must stay small (no pandas, no numpy).
"""
