"""What both funding stores derive the same way from their own series list."""

from __future__ import annotations

from cl3_common.store.candles_base import given
from cl3_common.store.funding_rows import FundingBounds, FundingKey


class FundingStoreBase:
    """Needs `_stored_series` from the backend."""

    def bounds(self, key: FundingKey) -> FundingBounds | None:
        found = self.list_series(market=key.market, symbol=key.symbol)
        return found[0] if found else None

    def list_series(
        self, *, market: str | None = None, symbol: str | None = None
    ) -> list[FundingBounds]:
        return self._stored_series(given(market=market, symbol=symbol))

    def _stored_series(self, equal: dict[str, str]) -> list[FundingBounds]:
        """Funding series with events stored whose fields have these values, ordered by market
        and symbol."""
        raise NotImplementedError
