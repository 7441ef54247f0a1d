"""MongoDB access: one small store class per collection, sharing one client."""

from cl3_common.store.candles import CandleStore
from cl3_common.store.mongo import connect_mongo, mongo_errors_translated
from cl3_common.store.seasonality import SeasonalityStore
from cl3_common.store.series import SeriesStore
from cl3_common.store.tasks import TaskStore

__all__ = [
    "CandleStore",
    "SeasonalityStore",
    "SeriesStore",
    "TaskStore",
    "connect_mongo",
    "mongo_errors_translated",
]
