"""The audit of a stored range against the exchange's two sources (docs/api.md, "Audit").

`files.py` picks the archive files to compare with (preferring those the candles were loaded
from), `sources.py` reads REST pages and archive files through the plausibility check,
`compare.py` finds the differences and the row a repair writes; `cl3_worker.jobs.audit` runs it.
"""
