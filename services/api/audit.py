"""/v1/audit: the log as recorded, and any stream replayed to a moment or version."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from aggregates.errors import Invalid
from services.adapters.log_verify import verify_log
from services.api.as_of import AsOfParam
from services.api.deps import AuditorRole, Cont, ReadModels

router = APIRouter(prefix="/v1/audit", tags=["audit"])


class AuditEvent(BaseModel):
    position: int | None
    stream: str
    stream_type: str
    version: int
    type: str
    topic: str
    recorded_at: datetime | None
    business_date: date | None
    actor: str | None
    causation: str | None
    correlation: str | None
    data: dict[str, Any]


class AuditEvents(BaseModel):
    items: list[AuditEvent]
    next_after: int | None


class LogHead(BaseModel):
    position: int
    hash: str


class LogProblem(BaseModel):
    position: int
    stream: str
    problem: str


class LogVerification(BaseModel):
    ok: bool
    events: int
    streams: int
    problems: list[LogProblem]
    head: LogHead


class AuditStream(BaseModel):
    stream: str
    stream_type: str | None
    version: int
    state: dict[str, Any] | None
    events: list[AuditEvent]


@router.get("/events", response_model=AuditEvents, summary="The log in order, filtered")
def events(
    _who: AuditorRole,
    reads: ReadModels,
    after: int = 0,
    limit: int = 100,
    stream: str | None = None,
    type: str | None = None,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: date | None = None,
) -> dict[str, Any]:
    """`type` filters by event name or topic; `after` is the last position seen and `next_after` the next one;
    `limit` 1–1000 (default 100). Each event carries its actor, business date, causation and correlation."""
    if not 1 <= limit <= 1000:
        raise Invalid(["query", "limit"], "limit is 1 to 1000")
    if after < 0:
        raise Invalid(["query", "after"], "after is a log position")
    return reads.audit.events(after, limit, stream, type, from_, to)


@router.get("/streams/{stream}", response_model=AuditStream, summary="A stream replayed to a version or a moment")
def stream(
    stream: str,
    _who: AuditorRole,
    reads: ReadModels,
    as_of: AsOfParam,
    version: int | None = None,
) -> dict[str, Any]:
    """The stream's events up to `version` or `as_of` (a business date or a moment), and the state replayed from
    them."""
    return reads.audit.stream(stream, as_of, version)


@router.get("/verify", response_model=LogVerification, summary="Checks the log: versions and hash chain")
def verify(_who: AuditorRole, c: Cont, until: int | None = None) -> dict[str, Any]:
    """Checks contiguous versions, that every event decodes, and the SHA-256 hash chain; `until` checks up to a
    position and answers the head there, which never changes once written (erasure included)."""
    if until is not None and until < 0:
        raise Invalid(["query", "until"], "until is a log position")
    return verify_log(c.store, until=until)
