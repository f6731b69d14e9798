"""/v1/request-types and /v1/requests: request types, routing rules, requests with their comments,
assignment, status and service level."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict

from aggregates.request import Confidentiality, DueState, Priority, RequestStatus, Source, Visibility
from commands.request_types import (
    AddRoutingRule,
    ChangeRequestType,
    DefineRequestType,
    RemoveRoutingRule,
    TypeFields,
    add_routing_rule,
    change_request_type,
    define_request_type,
    remove_routing_rule,
)
from commands.requests import (
    AssignRequest,
    ChangeRequestStatus,
    CommentOnRequest,
    CommentText,
    OpenRequest,
    RequestFields,
    Resolution,
    assign_request,
    change_request_status,
    comment_on_request,
    open_request,
)
from commands.types import Username
from services.api.deps import AnyRole, Cmd, Paging, ReadModels, Reads
from services.api.word_lists import word_list

router = APIRouter(prefix="/v1", tags=["requests"])


def now(reads: Reads) -> datetime:
    return reads.container.clock.now()


# -- request types and routing rules ---------------------------------------------------------------


class RequestTypeCreate(DefineRequestType):
    pass


class RequestTypeUpdate(TypeFields):
    pass


class RequestTypePublic(BaseModel):
    code: str
    name: str
    due_days: int
    tolerance_days: int
    escalate_after_days: int | None
    alert_when_overdue: bool
    assign_to: str | None
    is_default: bool
    version: int


class RequestTypeList(BaseModel):
    items: list[RequestTypePublic]
    next_cursor: str | None


@router.post("/request-types", status_code=201, response_model=RequestTypePublic, summary="Define a request type")
def create_type(body: RequestTypeCreate, cmd: Cmd, reads: ReadModels) -> Response:
    """Days are 0–3650; ``escalate_after_days: null`` never escalates; ``assign_to`` (a username, else 422)
    is the routing default. The first type defined, or one with ``is_default: true``, is the default type
    (e-mail and portal requests get it). A second type with the code is 409 ``request_type_exists``."""
    command = DefineRequestType.model_validate(body.model_dump())
    return cmd.run(define_request_type, command, lambda r: reads.requests.request_type(command.code), status=201)


@router.get("/request-types", response_model=RequestTypeList, summary="Request types")
def list_types(_who: AnyRole, reads: ReadModels, paging: Paging) -> dict[str, Any]:
    """Every request type with its service-level days, handler and default flag."""
    return reads.requests.request_types(paging)


@router.get("/request-types/{code}", response_model=RequestTypePublic, summary="One request type")
def get_type(code: str, _who: AnyRole, reads: ReadModels) -> dict[str, Any]:
    """By code, as typed."""
    return reads.requests.request_type(code)


@router.patch("/request-types/{code}", response_model=RequestTypePublic, summary="Change a request type")
def change_type(code: str, body: RequestTypeUpdate, cmd: Cmd, reads: ReadModels) -> Response:
    """Changes the fields sent; ``is_default: true`` makes it the default type. Requests opened afterwards
    follow the change; open requests keep their moments."""
    command = ChangeRequestType.model_validate({**body.model_dump(exclude_unset=True), "code": code})
    return cmd.run(change_request_type, command, lambda r: reads.requests.request_type(code))


class RoutingRuleCreate(AddRoutingRule):
    pass


class RoutingRulePublic(BaseModel):
    id: UUID
    type: str | None
    keyword: str | None
    assign_to: str


class RoutingRuleList(BaseModel):
    items: list[RoutingRulePublic]
    next_cursor: str | None


def _rule(reads: Reads, rule_id: UUID | None) -> dict[str, Any]:
    return next(r for r in reads.requests.routing_rules() if r["id"] == str(rule_id))


@router.post(
    "/requests/routing-rules",
    status_code=201,
    response_model=RoutingRulePublic,
    summary="Add a routing rule (tried after the existing ones)",
)
def create_rule(body: RoutingRuleCreate, cmd: Cmd, reads: ReadModels) -> Response:
    """A rule matches when its ``type`` is null or the request's, and its ``keyword`` is null or occurs in the
    subject or description (case-insensitive). The first match assigns a request once, when it opens;
    none: the type's ``assign_to``. An unknown type or user is 422."""
    command = AddRoutingRule.model_validate(body.model_dump())
    return cmd.run(add_routing_rule, command, lambda r: _rule(reads, r.id), status=201)


@router.get(
    "/requests/routing-rules", response_model=RoutingRuleList, summary="Routing rules in the order they are tried"
)
def list_rules(_who: AnyRole, reads: ReadModels) -> dict[str, Any]:
    """Every rule in the order they are tried, in one page (``next_cursor`` is always null)."""
    return {"items": reads.requests.routing_rules(), "next_cursor": None}


@router.delete("/requests/routing-rules/{rule}", status_code=204, summary="Remove a routing rule")
def delete_rule(rule: UUID, cmd: Cmd) -> Response:
    """Answers 204; an unknown rule is 404. Requests already open keep their assignee."""
    return cmd.run(remove_routing_rule, RemoveRoutingRule(rule=rule), lambda r: None, status=204)


# -- requests --------------------------------------------------------------------------------------


class RequestCreate(RequestFields):
    pass


class CommentPublic(BaseModel):
    id: UUID
    at: datetime
    author: str
    text: str
    visibility: Visibility
    source: Source


class HistoryEntry(BaseModel):
    at: datetime | None
    by: str | None
    field: str
    old: str | None
    new: str | None


class RequestPublic(BaseModel):
    id: UUID
    number: str
    type: str
    partner: UUID
    contact: UUID | None
    subject: str
    description: str
    priority: Priority
    requested_priority: Priority
    document: UUID | None
    confidentiality: Confidentiality
    custom_fields: dict[str, Any]
    source: Source
    status: RequestStatus
    assignee: str | None
    due_state: DueState
    next_action_at: datetime | None
    escalated: bool
    due_at: datetime
    overdue_at: datetime
    escalate_at: datetime | None
    created_at: datetime
    closed_at: datetime | None
    resolution: str | None
    version: int


class RequestDetail(RequestPublic):
    comments: list[CommentPublic]
    history: list[HistoryEntry]


class RequestList(BaseModel):
    items: list[RequestPublic]
    next_cursor: str | None


def request_view(reads: Reads, ref: str) -> dict[str, Any]:
    return reads.requests.get(ref, now(reads))


@router.post("/requests", status_code=201, response_model=RequestDetail, summary="Open a request")
def create_request(body: RequestCreate, cmd: Cmd, reads: ReadModels) -> Response:
    """``priority`` defaults to ``medium`` and is raised by the partner group's ``request_priority_boost``;
    the number comes from the ``request`` series. Routing assigns it and its contact (else the partner)
    gets an acknowledgement e-mail. An unknown type, partner, contact or document is 422."""
    command = OpenRequest.model_validate(body.model_dump())
    return cmd.run(open_request, command, lambda r: request_view(reads, str(r.id)), status=201)


@router.get("/requests", response_model=RequestList, summary="Requests, newest first")
def list_requests(
    _who: AnyRole,
    reads: ReadModels,
    paging: Paging,
    partner: str | None = None,
    assignee: str | None = None,
    status: Annotated[str | None, word_list(RequestStatus)] = None,
    due_state: Annotated[str | None, word_list(DueState)] = None,
) -> dict[str, Any]:
    """Newest first. ``status`` and ``due_state`` take comma-separated lists (an unknown word is 422);
    ``partner`` includes the partners merged into it."""
    partner_ids = reads.partners.merged_ids(reads.partners.partner_id(partner)) if partner else None
    return reads.requests.search(paging, now(reads), partner_ids, assignee, status, due_state)


@router.get("/requests/{request}", response_model=RequestDetail, summary="One request (by id or number)")
def get_request(request: str, _who: AnyRole, reads: ReadModels) -> dict[str, Any]:
    """By id or number, with ``comments`` and ``history`` (who changed what, old → new); ``due_state`` is
    computed from the business clock's now."""
    return request_view(reads, request)


class CommentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: CommentText
    visibility: Visibility = Visibility.PUBLIC


@router.post(
    "/requests/{request}/comments",
    status_code=201,
    response_model=RequestDetail,
    summary="Comment on a request (public comments are e-mailed to the contact)",
)
def comment(request: str, body: CommentCreate, cmd: Cmd, reads: ReadModels) -> Response:
    """``visibility`` defaults to ``public``: a public comment is e-mailed to the request's contact (else the
    partner), an internal one never. The author is the API key's name. A ``final`` request is 409
    ``request_final``."""
    command = CommentOnRequest(request=request, text=body.text, visibility=body.visibility)
    return cmd.run(comment_on_request, command, lambda r: request_view(reads, str(r.id)), status=201)


class AssignBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: Username | None


@router.post("/requests/{request}/assign", response_model=RequestDetail, summary="Assign a request")
def assign(request: str, body: AssignBody, cmd: Cmd, reads: ReadModels) -> Response:
    """``to`` is a username (unknown: 422) or null. A ``final`` request is 409 ``request_final``."""
    command = AssignRequest(request=request, to=body.to)
    return cmd.run(assign_request, command, lambda r: request_view(reads, str(r.id)))


class StatusBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: RequestStatus
    resolution: Resolution | None = None


@router.post("/requests/{request}/status", response_model=RequestDetail, summary="Change a request's status")
def change_status(request: str, body: StatusBody, cmd: Cmd, reads: ReadModels) -> Response:
    """Any change except out of ``final`` (409 ``request_final``); the same status without a new resolution
    records nothing. Closing stamps ``closed_at`` and stops the alerts and escalation; reopening clears it.
    Each transition is an event of its own (``RequestClosed``, ``RequestReopened``, …)."""
    command = ChangeRequestStatus(request=request, status=body.status, resolution=body.resolution)
    return cmd.run(change_request_status, command, lambda r: request_view(reads, str(r.id)))
