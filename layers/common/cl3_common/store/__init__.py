"""The store layer: one store per concept, SQLite (default) or MongoDB behind each.

Open them with `open_stores(settings)`; see `protocols.py` for what each store does.
"""

from cl3_common.derived.candle import API_FIELDS, row_to_api
from cl3_common.store.factory import Stores, open_store_url, open_stores
from cl3_common.store.funding_rows import (
    FUNDING_FIELDS,
    FundingBounds,
    FundingKey,
    FundingRow,
    funding_to_api,
)
from cl3_common.store.keys import KINDS, MARKETS, SeriesKey
from cl3_common.store.records import ApiKeyRecord
from cl3_common.store.rows import Row, SeriesBounds, kline_to_row

__all__ = [
    "API_FIELDS",
    "FUNDING_FIELDS",
    "KINDS",
    "MARKETS",
    "ApiKeyRecord",
    "FundingBounds",
    "FundingKey",
    "FundingRow",
    "Row",
    "SeriesBounds",
    "SeriesKey",
    "Stores",
    "funding_to_api",
    "kline_to_row",
    "open_store_url",
    "open_stores",
    "row_to_api",
]
