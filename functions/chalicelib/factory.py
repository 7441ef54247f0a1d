"""Builds the Chalice app from the declared route groups; tests pass their own runtime factory."""

from __future__ import annotations

import logging
from collections.abc import Callable

from chalice import Chalice

from chalicelib import middleware
from chalicelib.declarations import RouteGroup
from chalicelib.isolated_app import IsolatedChalice
from chalicelib.router import Router
from chalicelib.routes import (
    api_keys,
    audit,
    binance_futures,
    binance_mirror,
    docs,
    exports,
    funding,
    health,
    market_data,
    seasonality,
    symbols,
    tasks,
    usage,
)
from chalicelib.runtime import Runtime, RuntimeProvider
from chalicelib.scheduled import blueprint as scheduled_blueprint

ROUTE_GROUPS: tuple[RouteGroup, ...] = (
    health.routes,
    market_data.routes,
    tasks.routes,
    symbols.routes,
    usage.routes,
    exports.routes,
    audit.routes,
    seasonality.routes,
    funding.routes,
    api_keys.routes,
    binance_mirror.routes,
    binance_futures.routes,
    docs.routes,
)


def create_app(runtime_factory: Callable[[], Runtime] = Runtime.from_env) -> Chalice:
    app = IsolatedChalice(app_name="cl3")
    app.log.setLevel(logging.INFO)
    app.api.binary_types.append("image/png")
    provider = RuntimeProvider(runtime_factory)
    app.runtime_provider = provider
    router = Router(provider)
    for group in ROUTE_GROUPS:
        app.register_blueprint(router.blueprint(group))
    middleware.install(app)
    # The scheduled refresh; its rate is REFRESH_INTERVAL_MINUTES (default 15) at import time.
    app.register_blueprint(scheduled_blueprint)
    return app
