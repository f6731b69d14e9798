"""/healthz, /readyz and /metrics need no key."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

from services.api.deps import Cont
from services.bootstrap.jobs import job_families

router = APIRouter(tags=["operations"])

REQUESTS = Counter("cpty_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("cpty_http_request_seconds", "HTTP request latency", ["method", "route"])
LAG = Gauge("cpty_projection_lag_events", "Events a read model, process manager or the Kafka relay is behind", ["name"])
HEAD = Gauge("cpty_log_head_position", "The last position in the log")
LEADER = Gauge("cpty_leader", "1 while this process leads the job family (holds its lock), else 0", ["family"])


@router.get("/healthz", summary="The process is up")
def healthz() -> dict[str, Any]:
    return {"status": "ok"}


@router.get("/readyz", summary="The store and the read models answer; who leads which job family")
def readyz(c: Cont) -> JSONResponse:
    try:
        head = c.store.head()
        c.runner.ping()
        leaders = c.leaders()
    except Exception as error:  # any failure means not ready
        return JSONResponse({"status": "unavailable", "detail": type(error).__name__}, status_code=503)
    body = {
        "status": "ready",
        "head": head,
        "role": c.role,
        "process": c.identity,
        "leads": c.leading(),
        "leaders": leaders,
    }
    return JSONResponse(body)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics(c: Cont) -> Response:
    for p in c.progress():
        LAG.labels(p.name).set(max(0, p.head - p.position))
        HEAD.set(p.head)
    leading = c.leading()
    for family in job_families(c.settings):
        LEADER.labels(family).set(1 if family in leading else 0)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
