"""Both store backends, opened the way the product opens them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cl3_common.store import Stores
from cl3_common.store.factory import open_mongodb, open_sqlite

NOW_MS = 1_750_000_000_000


@pytest.fixture(params=["sqlite", "mongodb"])
def any_stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stores]:
    if request.param == "sqlite":
        opened = open_sqlite(tmp_path / "contract.sqlite3", clock_ms=lambda: NOW_MS)
    else:
        uri = request.getfixturevalue("mongo_uri")
        name = request.getfixturevalue("mongo_db_name")
        opened = open_mongodb(uri, name, clock_ms=lambda: NOW_MS)
    yield opened
    opened.close()
