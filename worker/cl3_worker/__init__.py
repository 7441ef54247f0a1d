"""RQ jobs, the Binance pager and the pandas analytics (worker side only)."""
