"""How a route is declared: once, and from that one declaration validated and documented.

A route module makes a `RouteGroup` and decorates plain functions with it::

    routes = RouteGroup("market data")

    @routes.post("/api/market-data/fetch", body=FetchBody, access=Access.ENQUEUE,
                 responses={202: ACCEPTED}, summary="...")
    def fetch(call: Call[NoInputs, NoInputs, FetchBody]) -> Response: ...

The router (router.py) turns each `RouteSpec` into a Chalice view that authenticates, rate
limits, checks the plan and validates the inputs before the function runs; openapi.py turns
the same specs into the OpenAPI document. Nothing about a route is written twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel

from chalicelib.inputs import Inputs, NoInputs
from cl3_common.auth import Principal
from cl3_common.errors import SubscriptionRequired, Unauthorized
from cl3_common.ratelimit import Quota
from cl3_common.tiers import TIERS, Entitlements

if TYPE_CHECKING:
    from chalicelib.runtime import Runtime

P = TypeVar("P", bound=Inputs)
Q = TypeVar("Q", bound=Inputs)
B = TypeVar("B", bound=Inputs)


class Access(Enum):
    """Who may call a route; checked after the token and the rate limit, before the inputs."""

    PUBLIC = "public"  # no token
    ANY = "any"  # any valid token, every plan
    ENQUEUE = "enqueue"  # plans that may fetch and analyse
    EXPORT = "export"  # plans that may export
    AUDIT = "audit"  # plans that may audit stored data against the exchange

    def allows(self, plan: Entitlements) -> bool:
        if self is Access.ENQUEUE:
            return plan.can_enqueue
        if self is Access.EXPORT:
            return plan.can_export
        if self is Access.AUDIT:
            return plan.can_audit
        return True

    def require(self, user: Principal, plan: Entitlements) -> None:
        if self.allows(plan):
            return
        if self is Access.EXPORT:
            raise SubscriptionRequired(
                f"the {user.tier} plan cannot export; exports need the enterprise plan"
            )
        if self is Access.AUDIT:
            raise SubscriptionRequired(
                f"the {user.tier} plan cannot audit; audits need the enterprise plan"
            )
        raise SubscriptionRequired(
            f"the {user.tier} plan cannot fetch or analyse; upgrade to pro or enterprise"
        )

    def tiers(self, table: Mapping[str, Entitlements]) -> list[str]:
        """The tiers this access admits under an entitlement table, for the documentation."""
        return [t for t in TIERS if t in table and self.allows(table[t])]


@dataclass(frozen=True)
class ResponseDoc:
    """One documented response: a model (or a raw JSON Schema) per media type."""

    description: str
    model: type[BaseModel] | None = None
    schema: Mapping[str, Any] | None = None
    media_type: str = "application/json"
    example: Any = None
    alternatives: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class RouteSpec:
    method: str
    path: str
    handler: Callable[[Call[Any, Any, Any]], Any]
    summary: str
    description: str = ""
    access: Access = Access.ANY
    path_model: type[Inputs] = NoInputs
    query_model: type[Inputs] = NoInputs
    body_model: type[Inputs] | None = None
    responses: Mapping[int, ResponseDoc] = field(default_factory=dict)
    errors: tuple[int, ...] = ()  # statuses beyond those every route of its kind can give
    tag: str = ""
    backend: bool = True  # touches Redis or the store, so may answer 503
    # Speaks Binance's protocol (the mirror): errors as {"code", "msg"} (binance_http.py).
    binance: bool = False

    @property
    def name(self) -> str:
        return self.handler.__name__

    @property
    def authenticated(self) -> bool:
        return self.access is not Access.PUBLIC


@dataclass(frozen=True)
class Call(Generic[P, Q, B]):
    """What a handler receives: validated inputs, the caller, and the runtime."""

    runtime: Runtime
    path: P
    query: Q
    body: B
    now_ms: int
    headers: Mapping[str, str]
    principal: Principal | None = None
    quota: Quota | None = None  # the caller's rate-limit standing after this request

    @property
    def user(self) -> Principal:
        if self.principal is None:  # only public routes run without one
            raise Unauthorized("this endpoint needs a token")
        return self.principal

    @property
    def plan(self) -> Entitlements:
        return self.runtime.entitlements[self.user.tier]


class RouteGroup:
    """The routes of one area of the API (one module), in declaration order."""

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.specs: list[RouteSpec] = []

    def route(
        self,
        method: str,
        path: str,
        *,
        path_params: type[Inputs] = NoInputs,
        query: type[Inputs] = NoInputs,
        body: type[Inputs] | None = None,
        **declared: Any,
    ) -> Callable[[Any], Any]:
        def register(handler: Callable[..., Any]) -> Callable[..., Any]:
            spec = RouteSpec(
                method, path, handler, tag=self.tag, path_model=path_params,
                query_model=query, body_model=body, **declared,
            )  # fmt: skip
            self.specs.append(spec)
            return handler

        return register

    def get(self, path: str, **declared: Any) -> Callable[[Any], Any]:
        return self.route("GET", path, **declared)

    def post(self, path: str, **declared: Any) -> Callable[[Any], Any]:
        return self.route("POST", path, **declared)

    def delete(self, path: str, **declared: Any) -> Callable[[Any], Any]:
        return self.route("DELETE", path, **declared)
