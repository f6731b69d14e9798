"""/v1/collection: schemes, cases with their history, and runs with their reports."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from aggregates.collection_case import CaseStatus
from aggregates.collection_scheme import ActionType, CollectionScheme, CollectionStatus, SchemeRules
from aggregates.errors import Invalid, not_found
from commands.collection import DefineScheme, define_scheme
from commands.references import named_by
from commands.types import Refs
from processes.collection import run_collection
from services.api.as_of import AsOfParam
from services.api.deps import AnyRole, Cmd, Cont, Paging, ReadModels
from services.workers.ports import Request

router = APIRouter(prefix="/v1/collection", tags=["collection"])
Day = date


class SchemeCreate(DefineScheme):
    pass


class SchemePublic(SchemeRules):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": "STD",
                    "version": 1,
                    "name": "Standard",
                    "is_default": True,
                    "tolerance": "5.00",
                    "min_days_between_actions": 7,
                    "sequential": True,
                    "auto_unblock": True,
                    "promise_grace_days": 2,
                    "levels": [
                        {"seq": 1, "name": "L1", "days_after_due": 7, "actions": [{"type": "email", "template": "R1"}]}
                    ],
                }
            ]
        }
    )

    code: str
    version: int


def scheme_view(scheme: CollectionScheme, is_default: bool) -> dict[str, Any]:
    rules = scheme.rules.model_dump(mode="json")
    return {"code": scheme.code, "version": scheme.version, **rules, "is_default": is_default}


@router.post("/schemes", status_code=201, response_model=SchemePublic, summary="Define a collection scheme")
def create_scheme(body: SchemeCreate, cmd: Cmd, c: Cont) -> Response:
    """Validated when defined (422 at the action): templates must exist for their channel, fees and rates be
    positive, reminder levels (negative `days_after_due`) only send messages. The first scheme is the default
    until another says `is_default`. 409 `scheme_exists`."""
    command = DefineScheme.model_validate(body.model_dump(exclude_unset=True))
    return cmd.run(define_scheme, command, lambda r: _scheme(c, command.code), status=201)


def _scheme(c: Any, code: str) -> dict[str, Any]:
    from aggregates.collection_scheme import COLLECTION_SETTINGS_ID

    scheme_id = CollectionScheme.id_for(code.strip().upper())
    if not c.store.stream_version(scheme_id):
        raise not_found("collection scheme", code)
    scheme = c.store.get(scheme_id)
    settings = c.store.get(COLLECTION_SETTINGS_ID) if c.store.stream_version(COLLECTION_SETTINGS_ID) else None
    return scheme_view(scheme, settings is not None and settings.default_scheme == scheme.code)


@router.get("/schemes/{code}", response_model=SchemePublic, summary="One collection scheme")
def get_scheme(code: str, _who: AnyRole, c: Cont) -> dict[str, Any]:
    """By code (upper-cased), with its levels, actions and `version`."""
    return _scheme(c, code)


HistoryKind = Literal[
    "opened",
    "level_reached",
    "action",
    "promise_kept",
    "promise_broken",
    "dispute_raised",
    "dispute_resolved",
    "closed",
]


class HistoryEntry(BaseModel):
    date: Day
    kind: HistoryKind
    level: int | None = None
    action: ActionType | None = None
    status: Literal["executed", "skipped"] | None = Field(None, description="of an action")
    reason: str | None = None
    fallback_from: ActionType | None = Field(None, description="the channel a letter stands in for")
    amount: str | None = None
    message: UUID | None = None
    task: UUID | None = None


class CasePublic(BaseModel):
    id: UUID
    document: UUID
    number: str | None
    partner: UUID
    scheme: str
    level: int
    times_dunned: int
    status: CaseStatus
    close_reason: str | None
    collection_status: CollectionStatus | None = Field(description="set by a set_collection_status action")
    opened_on: Day
    closed_on: Day | None
    history: list[HistoryEntry]


class CaseList(BaseModel):
    items: list[CasePublic]
    next_cursor: str | None


@router.get("/cases", response_model=CaseList, summary="Collection cases")
def list_cases(
    _who: AnyRole,
    reads: ReadModels,
    paging: Paging,
    partner: str | None = None,
    document: str | None = None,
    status: CaseStatus | None = None,
) -> dict[str, Any]:
    """Filter by `partner`, `document`, `status`."""
    partner_ids = reads.partners.merged_ids(reads.partners.partner_id(partner)) if partner else None
    document_id = reads.documents.get(document)["id"] if document else None
    return reads.collection.cases(paging, partner_ids, document_id, status.value if status else None)


@router.get("/cases/{case}", response_model=CasePublic, summary="One case with its history, now or then")
def get_case(case: UUID, _who: AnyRole, reads: ReadModels, c: Cont, as_of: AsOfParam) -> dict[str, Any]:
    """The case with its full history; `as_of` replays it as it was then."""
    if as_of is not None:
        return reads.collection.case_as_of(str(case), as_of, c.store.stream)
    return reads.collection.case(str(case))


class RunCreate(BaseModel):
    date: Annotated[Day | None, Field(description="defaults to today")] = None
    partners: Refs | None = None


class RunPublic(BaseModel):
    date: Day
    status: Literal["running", "completed"]
    partners: int
    invoices: int
    actions: list[dict[str, Any]]
    skipped: list[dict[str, Any]]
    counts: dict[str, int]
    # Partners the run could not collect (their collection failed), with the reason.
    not_collected: list[dict[str, Any]]


class RunList(BaseModel):
    items: list[RunPublic]
    next_cursor: str | None


@router.post("/runs", response_model=RunPublic, summary="Run collection on demand")
def create_run(body: RunCreate, cmd: Cmd, reads: ReadModels, c: Cont) -> Response:
    """Runs collection for `date` (default today, not after it) as the daily run does, for every partner or those
    listed, and answers the run's report. A date runs once (again adds nothing); before the latest run is 409
    `run_out_of_order`."""
    day = body.date or c.today()
    if day > c.today():
        raise Invalid(["body", "date"], "a run date may not be after today")
    partners: list[UUID] | None = None
    if body.partners is not None:
        partners = []
        for i, ref in enumerate(body.partners):
            with named_by("body", "partners", i):
                partners.append(UUID(reads.partners.partner_id(ref)))

    def run(handler: Any, command: Any) -> Any:
        return c.execute(handler, command, Request(actor=cmd.who.name))

    run_collection(run, reads, day, partners)
    position = c.store.head()
    c.runner.wait(position, c.settings.consistency_timeout)
    return JSONResponse(
        RunPublic(**reads.collection.run(day)).model_dump(mode="json"), headers={"X-Position": str(position)}
    )


@router.get("/runs", response_model=RunList, summary="Collection runs")
def list_runs(
    _who: AnyRole,
    reads: ReadModels,
    paging: Paging,
    from_: Annotated[Day | None, Query(alias="from")] = None,
    to: Day | None = None,
) -> dict[str, Any]:
    """Filter by run date with `from` and `to`."""
    return reads.collection.runs(paging, from_, to)


@router.get("/runs/{day}", response_model=RunPublic, summary="One run's report")
def get_run(day: Day, _who: AnyRole, reads: ReadModels) -> dict[str, Any]:
    """What the run did: actions, skipped invoices with the reason, counts, and partners `not_collected`."""
    return reads.collection.run(day)
