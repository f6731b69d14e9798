"""/v1/admin: projection status and zero-downtime rebuilds."""

from __future__ import annotations

import threading
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from aggregates.errors import conflict, not_found
from services.api.deps import Admin, AnyRole, Cont
from services.bootstrap.container import Container

router = APIRouter(prefix="/v1/admin", tags=["operations"])
# Serialises starting rebuilds, so two requests cannot both find none running.
_starting = threading.Lock()


class ProjectionStatus(BaseModel):
    name: str
    kind: Literal["read_model", "process", "relay"]
    position: int
    lag: int
    status: str


@router.get(
    "/projections", response_model=list[ProjectionStatus], summary="Each read model, process manager and the relay"
)
def projections(_who: AnyRole, c: Cont) -> list[dict[str, Any]]:
    return [
        {
            "name": p.name,
            "kind": _kind(c, p.name),
            "position": p.position,
            "lag": max(0, p.head - p.position),
            "status": p.status,
        }
        for p in c.progress()
    ]


def _kind(c: Container, name: str) -> str:
    if name in c.catalog.projections:
        return "read_model"
    return "relay" if c.relay is not None and name == c.relay.name else "process"


class RebuildAccepted(BaseModel):
    name: str
    status: str


@router.post(
    "/projections/{name}/rebuild",
    status_code=202,
    response_model=RebuildAccepted,
    summary="Rebuild a read model from the log into new tables, then switch",
)
def rebuild(name: str, _admin: Admin, c: Cont) -> JSONResponse:
    if name not in c.catalog.projections:
        raise not_found("projection", name)
    with _starting:
        # Two rebuilds of one read model would fill and switch the same new version.
        if any(t.name == f"rebuild-{name}" and t.is_alive() for t in threading.enumerate()):
            raise conflict("rebuild_running", f"{name} is being rebuilt")
        thread = threading.Thread(target=c.runner.rebuild, args=(name,), name=f"rebuild-{name}", daemon=True)
        thread.start()
    return JSONResponse({"name": name, "status": "rebuilding"}, status_code=202)
