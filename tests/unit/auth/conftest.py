"""Fixtures of the auth unit tests (helpers live in fakes.py)."""

from __future__ import annotations
