"""/v1/admin: projection status and zero-downtime rebuilds."""

from __future__ import annotations

import threading
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from aggregates.errors import not_found
from services.api.deps import Admin, AnyRole, Cont

router = APIRouter(prefix="/v1/admin", tags=["operations"])


class ProjectionStatus(BaseModel):
    name: str
    kind: Literal["read_model", "process", "relay"]
    position: int
    lag: int
    status: Literal["live", "catching_up", "failed", "degraded"] = Field(
        description="failed: failing now (retried); degraded: a process manager passed over events it failed on"
    )
    error: str | None = Field(
        None,
        description="why it fails now; for a degraded process manager, the last event it passed over and why",
    )
    failures: int = Field(0, description="events a process manager failed on and passed over (recorded for good)")


@router.get(
    "/projections", response_model=list[ProjectionStatus], summary="Each read model, process manager and the relay"
)
def projections(_who: AnyRole, c: Cont) -> list[dict[str, Any]]:
    """Position, lag and status (`catching_up`, `live`, `failed`, `degraded`) of each read model, process manager and
    the Kafka relay; `failures` counts events a process manager passed over."""
    return [
        {
            "name": p.name,
            "kind": p.kind,
            "position": p.position,
            "lag": max(0, p.head - p.position),
            "status": p.status,
            "error": p.error,
            "failures": p.failures,
        }
        for p in c.progress()
    ]


class RebuildAccepted(BaseModel):
    name: str
    status: Literal["rebuilding"]


@router.post(
    "/projections/{name}/rebuild",
    status_code=202,
    response_model=RebuildAccepted,
    summary="Rebuild a read model from the log into new tables, then switch",
)
def rebuild(name: str, _admin: Admin, c: Cont) -> JSONResponse:
    """Answers 202 at once and rebuilds in the background without downtime. 409 `rebuild_running` while another
    process rebuilds the same read model."""
    if name not in c.catalog.projections:
        raise not_found("projection", name)
    lock = c.rebuild_lock(name)  # 409 rebuild_running while another rebuild of it runs, in any process

    def run() -> None:
        try:
            c.runner.rebuild(name)
        finally:
            lock.release()

    threading.Thread(target=run, name=f"rebuild-{name}", daemon=True).start()
    return JSONResponse({"name": name, "status": "rebuilding"}, status_code=202)
