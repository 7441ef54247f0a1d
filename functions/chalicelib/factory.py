"""Builds the Chalice app from its blueprints; tests pass their own runtime factory."""

from __future__ import annotations

import logging
from collections.abc import Callable

from chalice import Chalice

from chalicelib.isolated_app import IsolatedChalice
from chalicelib.routes.api_keys import api_key_routes
from chalicelib.routes.binance_mirror import binance_mirror_routes
from chalicelib.routes.exports import export_routes
from chalicelib.routes.health import health_routes
from chalicelib.routes.market_data import market_data_routes
from chalicelib.routes.seasonality import seasonality_routes
from chalicelib.routes.symbols import symbol_routes
from chalicelib.routes.tasks import task_routes
from chalicelib.runtime import Runtime, RuntimeProvider
from chalicelib.scheduled import blueprint as scheduled_blueprint

ROUTE_GROUPS = (
    health_routes,
    market_data_routes,
    task_routes,
    symbol_routes,
    export_routes,
    seasonality_routes,
    api_key_routes,
    binance_mirror_routes,
)


def create_app(runtime_factory: Callable[[], Runtime] = Runtime.from_env) -> Chalice:
    app = IsolatedChalice(app_name="cl3")
    app.log.setLevel(logging.INFO)
    app.api.binary_types.append("image/png")
    provider = RuntimeProvider(runtime_factory)
    app.runtime_provider = provider
    for group in ROUTE_GROUPS:
        app.register_blueprint(group(provider).blueprint)
    # The scheduled refresh; its rate is REFRESH_INTERVAL_MINUTES (default 15) at import time.
    app.register_blueprint(scheduled_blueprint)
    return app
