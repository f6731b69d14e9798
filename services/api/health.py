"""/healthz, /readyz and /metrics need no key."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector
from pydantic import BaseModel, Field

from services.api.deps import Cont
from services.bootstrap.jobs import job_families
from services.settings import ProcessRole

router = APIRouter(tags=["operations"])

REQUESTS = Counter("cpty_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("cpty_http_request_seconds", "HTTP request latency", ["method", "route"])
LAG = Gauge(
    "cpty_projection_lag_events",
    "Events a read model, process manager or the Kafka relay is behind",
    ["name", "kind"],  # a process manager may bear its read model's name
)
HEAD = Gauge("cpty_log_head_position", "The last position in the log")
LEADER = Gauge("cpty_leader", "1 while this process leads the job family (holds its lock), else 0", ["family"])


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    """503 answers ``{"status": "unavailable", "detail": <the error's class>}``."""

    status: Literal["ready"]
    head: int = Field(description="the log's last position")
    role: ProcessRole | Literal["worker"] = Field(
        description="CPTY_ROLE of a `serve` (all: it runs the jobs too; api: it leaves them to workers), or worker"
    )
    process: str = Field(description="host:pid", examples=["api-1:4242"])
    leads: list[str] = Field(description="the job families this process leads")
    leaders: dict[str, str | None] = Field(description="each job family's leader (host:pid), null if none")


@router.get("/healthz", response_model=Health, summary="The process is up")
def healthz() -> dict[str, str]:
    """Liveness: answers while the process runs; not rate limited."""
    return {"status": "ok"}


@router.get(
    "/readyz", response_model=Readiness, summary="The store and the read models answer; who leads which job family"
)
def readyz(c: Cont) -> JSONResponse:
    """503 while the store or the read-model database does not answer; also names the process's role and the leaders."""
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
    """Prometheus text: projection lag, passed-over events per process manager, leadership; not rate limited."""
    for p in c.progress():
        LAG.labels(p.name, p.kind).set(max(0, p.head - p.position))
        HEAD.set(p.head)
    leading = c.leading()
    for family in job_families(c.settings):
        LEADER.labels(family).set(1 if family in leading else 0)
    failures = CollectorRegistry(auto_describe=False)
    failures.register(_Failures(c.progress()))
    return Response(generate_latest() + generate_latest(failures), media_type=CONTENT_TYPE_LATEST)


class _Failures(Collector):
    """The events each process manager failed on and passed over: counted from their record in the
    database, so every process of a deployment reports the same totals."""

    def __init__(self, progress: list[Any]) -> None:
        self.progress = progress

    def collect(self) -> Any:
        family = CounterMetricFamily(
            "cpty_process_failures", "Events a process manager failed on and passed over", labels=["name"]
        )
        for p in self.progress:
            if p.kind == "process":
                family.add_metric([p.name], p.failures)
        yield family
