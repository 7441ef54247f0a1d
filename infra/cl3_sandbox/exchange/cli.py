"""Blocking runner behind ``cl3 sandbox`` and ``python -m cl3_sandbox.exchange``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from .config import FamilyConfig, SandboxConfig
from .malloc import tune_malloc
from .server import SandboxExchange


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cl3 sandbox",
        description="Binance-compatible sandbox exchange: spot (/api/v3), USDⓈ-M (/fapi/v1) and "
        "COIN-M (/dapi/v1) market data and the data.binance.vision archive (/data), on one port.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--latency-ms", type=float, default=0.0, help="added to every request")
    parser.add_argument("--weight-limit", type=int, default=6000, help="spot weight a window")
    parser.add_argument("--fapi-weight-limit", type=int, default=2400, help="USDⓈ-M weight")
    parser.add_argument("--dapi-weight-limit", type=int, default=2400, help="COIN-M weight")
    parser.add_argument("--window-s", type=int, default=60, help="weight window length")
    parser.add_argument("--ban-s", type=int, default=120, help="418 ban length")
    parser.add_argument("--fail-every", type=int, default=0, help="every Nth klines call 503s")
    parser.add_argument("--seed", type=int, default=0, help="varies every synthetic series")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    tune_malloc()  # this process only serves the sandbox
    config = SandboxConfig(
        latency_ms=args.latency_ms,
        weight_limit=args.weight_limit,
        window_s=args.window_s,
        ban_s=args.ban_s,
        fail_every=args.fail_every,
        fapi=FamilyConfig(weight_limit=args.fapi_weight_limit, window_s=args.window_s),
        dapi=FamilyConfig(
            weight_limit=args.dapi_weight_limit, window_s=args.window_s, funding_limit=0
        ),
        seed=args.seed,
    )
    exchange = SandboxExchange(config, host=args.host, port=args.port).start()
    print(f"sandbox exchange on {exchange.url} (Ctrl-C to stop)", flush=True)
    try:
        exchange.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        exchange.stop()
    return 0
