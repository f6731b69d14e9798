"""The FastAPI application: routers, problem+json errors, metrics, access logs, rate limits."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.responses import Response

from services.api import (
    activities,
    admin,
    api_keys,
    audit,
    campaigns,
    clock,
    collection,
    custom_fields,
    documents,
    health,
    inbound,
    interest_areas,
    mailings,
    messages,
    partner_groups,
    partners,
    payments,
    portal,
    recurring_invoices,
    reports,
    requests,
    settings,
    users,
)
from services.api.errors import install, problem
from services.api.health import LATENCY, REQUESTS
from services.api.idempotency import ResponseStore
from services.bootstrap.container import Container

log = logging.getLogger("counterparty.http")


class RateLimiter:
    """A token bucket per API key: bursts pass, a sustained flood gets 429."""

    def __init__(self, per_second: float, burst: int) -> None:
        self.per_second = per_second
        self.burst = burst
        self.buckets: dict[str, tuple[float, float]] = {}
        self.lock = threading.Lock()

    def allow(self, key: str) -> bool:
        now = time.monotonic()
        with self.lock:
            tokens, last = self.buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.per_second)
            if tokens < 1:
                self.buckets[key] = (tokens, now)
                return False
            self.buckets[key] = (tokens - 1, now)
            return True


def create_app(container: Container) -> FastAPI:
    app = FastAPI(
        title="Counterparty",
        version="1",
        description="Event-sourced back office for business partners, documents, receivables and collection.",
    )
    app.state.container = container
    ResponseStore.create(container.engine)
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
        mailings,
        settings,
        custom_fields,
        partner_groups,
        users,
        api_keys,
        clock,
        audit,
        admin,
        portal,
    ):
        app.include_router(module.router)
    portal.mount_page(app)
    app.include_router(mailings.links)
    limiter = RateLimiter(container.settings.rate_limit_per_second, container.settings.rate_limit_burst)

    @app.middleware("http")
    async def observe(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        key = request.headers.get("authorization", request.client.host if request.client else "-")
        if request.url.path.startswith("/v1") and not limiter.allow(key):
            response: Response = problem(429, "rate_limited", "too many requests; slow down", {"Retry-After": "1"})
        else:
            response = await call_next(request)
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
        return response

    return app


def create_operations_app(container: Container) -> FastAPI:
    """What a ``counterparty worker`` answers on its port: /healthz, /readyz and /metrics."""
    app = FastAPI(title="Counterparty worker", version="1", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.container = container
    app.include_router(health.router)
    return app
