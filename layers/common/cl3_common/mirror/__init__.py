"""A Binance-compatible mirror of the spot market-data endpoints, answered from the store.

`/binance/api/v3/{ping,time,exchangeInfo,klines,uiKlines}` with Binance's parameters,
shapes, headers and error codes (docs/mirror.md). Closed candles are served from the store
where the fetch ledger says the exchange was asked; other ranges are fetched once through
the shared weight budget (concurrent identical misses share one exchange request), stored,
and served. The open candle passes through, never stored.
"""
