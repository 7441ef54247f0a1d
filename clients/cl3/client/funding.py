"""The funding-rate endpoints of `Client` (docs/api.md, "Funding rates")."""

from __future__ import annotations

from typing import Any

from cl3.client.times import TimeLike, as_time
from cl3.client.types import PAGE_SIZE, FundingEvent, FundingPage, Market, TaskAccepted


class FundingMethods:
    """Mixed into `Client`, which provides `_json`."""

    def _json(self, method: str, path: str, **options: Any) -> Any:
        raise NotImplementedError

    def submit_funding(
        self, market: Market, symbol: str, start: TimeLike, end: TimeLike | None = None
    ) -> TaskAccepted:
        body: dict[str, Any] = {"market": market, "symbol": symbol, "start": as_time(start)}
        if end is not None:
            body["end"] = as_time(end)
        return self._json("POST", "/api/funding/fetch", json=body)

    def funding_page(
        self,
        market: Market,
        symbol: str,
        start: TimeLike | None = None,
        end: TimeLike | None = None,
        *,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> FundingPage:
        params = {"start": None if start is None else as_time(start),
                  "end": None if end is None else as_time(end), "limit": limit,
                  "cursor": cursor}  # fmt: skip
        return self._json("GET", f"/api/funding/{market}/{symbol}", params=params)

    def funding(
        self, market: Market, symbol: str, start: TimeLike | None = None,
        end: TimeLike | None = None,
    ) -> list[FundingEvent]:  # fmt: skip
        """Every stored funding event of the range, page after page."""
        events: list[FundingEvent] = []
        cursor: str | None = None
        while True:
            page = self.funding_page(market, symbol, start, end, limit=PAGE_SIZE, cursor=cursor)
            events += page["events"]
            cursor = page["next_cursor"]
            if cursor is None:
                return events
