"""Store calls timed per backend, store and operation, without touching the stores.

`instrument_stores` wraps each store of a `Stores` in a proxy whose public methods record
their latency (cl3_store_operation_duration_seconds); a candle insert also counts the candles
it newly wrote. The stores keep their types' behaviour: the proxy only forwards.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cl3_common.observability import record

if TYPE_CHECKING:
    from cl3_common.store.factory import Stores


class TimedStore:
    def __init__(self, inner: Any, backend: str, name: str) -> None:
        self._inner = inner
        self._backend = backend
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        value = getattr(self._inner, attr)
        if attr.startswith("_") or not callable(value):
            return value
        timed = self._timed(attr, value)
        setattr(self, attr, timed)  # built once per method
        return timed

    def _timed(self, op: str, method: Callable[..., Any]) -> Callable[..., Any]:
        backend, name = self._backend, self._name
        counts_candles = name == "candles" and op == "insert"

        def call(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                result = method(*args, **kwargs)
            finally:
                record.store_call(backend, name, op, time.perf_counter() - began)
            if counts_candles:
                key = kwargs["key"] if "key" in kwargs else args[0]
                record.candles_stored(getattr(key, "market", "spot"), int(result))
            return result

        return call

    def __repr__(self) -> str:
        return f"TimedStore({self._inner!r})"


def instrument_stores(stores: Stores) -> Stores:
    """The same `Stores`, each store behind a timing proxy (its callables left as they are)."""
    wrapped = {
        f.name: TimedStore(getattr(stores, f.name), stores.backend, f.name)
        for f in dataclasses.fields(stores)
        if not isinstance(getattr(stores, f.name), str) and not callable(getattr(stores, f.name))
    }
    return dataclasses.replace(stores, **wrapped)
