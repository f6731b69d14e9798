"""The FastAPI application: routers, problem+json errors, metrics, access logs with request ids, rate
limits."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.responses import Response

from services.adapters.logs import REQUEST_ID, request_id
from services.api import (
    activities,
    admin,
    api_keys,
    audit,
    balance_confirmations,
    campaigns,
    clock,
    collection,
    company,
    custom_fields,
    documents,
    erasure,
    health,
    inbound,
    interest_areas,
    interest_notes,
    mailings,
    messages,
    openapi,
    partner_groups,
    partners,
    payments,
    portal,
    recurring_invoices,
    reports,
    requests,
    settings,
    simulations,
    users,
)
from services.api.body_limit import BodyLimit
from services.api.errors import ApiError, install, problem
from services.api.health import LATENCY, REQUESTS
from services.api.idempotency import ResponseStore
from services.api.rate_limits import RateLimits
from services.api.waiting import PositionWaits
from services.bootstrap.container import Container
from services.settings import Settings

log = logging.getLogger("counterparty.http")


def create_app(container: Container) -> FastAPI:
    app = build_app(container.settings)
    bind(app, container)
    return app


def bind(app: FastAPI, container: Container) -> None:
    """Gives an app built by ``build_app`` the container it serves, with what is the container's
    own: the idempotency table, the waits on its runner and the rate limits' counters. (Tests
    bind a new container per test to one app: FastAPI builds each route's dependencies on an
    app's first requests, which costs more than most tests.)"""
    app.state.container = container
    ResponseStore.create(container.engine)
    app.state.waits = PositionWaits(container.runner)
    app.state.rate_limits = RateLimits(container.settings.rate_limit, container.settings.rate_limit_anonymous)


def build_app(config: Settings) -> FastAPI:
    """The routes, error handlers and middleware; the body limits are ``config``'s."""
    app = FastAPI(
        title="Counterparty",
        version="1",
        description="Event-sourced back office for business partners, documents, receivables and collection.",
        # Served by services.api.openapi with the package's own assets, so they work offline.
        docs_url=None,
        redoc_url=None,
    )
    install(app)
    for module in (
        health,
        partners,
        documents,
        payments,
        recurring_invoices,
        reports,
        collection,
        messages,
        requests,
        inbound,
        activities,
        campaigns,
        interest_areas,
        interest_notes,
        balance_confirmations,
        mailings,
        settings,
        company,
        custom_fields,
        partner_groups,
        users,
        api_keys,
        clock,
        audit,
        admin,
        portal,
        erasure,
        simulations,
    ):
        app.include_router(module.router)
    portal.mount_page(app)
    app.include_router(mailings.links)
    openapi.install(app)
    app.add_middleware(BodyLimit, max_bytes=config.max_body_bytes, max_form_bytes=config.max_attachment_bytes)

    @app.middleware("http")
    async def observe(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        # Every log line of this request carries its id (the handlers run in copies of this
        # context); the 500 handler, outside this middleware, reads it from the request's state.
        rid = request.state.request_id = request_id(request.headers.get("x-request-id"))
        token = REQUEST_ID.set(rid)
        try:
            try:
                limits: RateLimits = request.app.state.rate_limits
                if limits.limited(request) and not limits.counted_later(request):
                    limits.address(request)
                response: Response = await call_next(request)
            except ApiError as refused:  # this middleware is outside the error handlers
                response = problem(refused.status, refused.code, refused.detail, refused.headers)
            verdict = getattr(request.state, "rate_limit", None)
            if verdict is not None:
                response.headers.update(verdict.headers())
            route = request.scope.get("route")
            name = getattr(route, "path", "unmatched")
            elapsed = time.perf_counter() - started
            REQUESTS.labels(request.method, name, str(response.status_code)).inc()
            LATENCY.labels(request.method, name).observe(elapsed)
            log.info(
                "request",
                extra={
                    "method": request.method,
                    "path": request.url.path,
                    "status": response.status_code,
                    "ms": round(elapsed * 1000, 1),
                    "actor": getattr(request.state, "actor", None),
                },
            )
        finally:
            REQUEST_ID.reset(token)
        response.headers["X-Request-Id"] = rid
        return response

    return app


def create_operations_app(container: Container) -> FastAPI:
    """What a ``counterparty worker`` answers on its port: /healthz, /readyz and /metrics."""
    app = FastAPI(title="Counterparty worker", version="1", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.container = container
    app.include_router(health.router)
    return app
