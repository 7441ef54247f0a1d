"""A Binance-compatible mirror of the spot and futures market-data endpoints, answered from
the store.

`/binance/api/v3/{ping,time,exchangeInfo,klines,uiKlines}` and, for USDⓈ-M and COIN-M,
`/binance/{fapi,dapi}/v1/{ping,time,exchangeInfo,klines,markPriceKlines,indexPriceKlines,
premiumIndexKlines,fundingRate}` with Binance's parameters, shapes, headers and error codes
(docs/mirror.md). Closed candles and funding events are served from the store where the
ledgers say the exchange was asked; other ranges are fetched once through the host's shared
budget (concurrent identical misses share one exchange request), stored, and served. The
open candle passes through, never stored.
"""
