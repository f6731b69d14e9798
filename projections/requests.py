"""Requests as rows: the request with its service-level moments (what the lists filter on and the
requests process manager polls), its comments, its history of changes (who changed what, old →
new), the request types and the routing rules in their order."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Column, Date, DateTime, Index, Integer, MetaData, String, Table, Text

from aggregates.base import DomainEvent
from aggregates.partner_erasure import PersonalDataErased
from aggregates.personal import ERASED, is_personal
from aggregates.request import (
    TRANSITIONS,
    DueState,
    OverdueAlerted,
    RequestAssigned,
    RequestCommented,
    RequestDueStateChanged,
    RequestEscalated,
    RequestOpened,
    RequestResolutionChanged,
    RequestStatus,
    ServiceLevel,
    TransitionEvent,
    next_moment,
    transition,
)
from aggregates.request_routing import DefaultTypeSet, RoutingRuleAdded, RoutingRuleRemoved
from aggregates.request_type import RequestTypeChanged, RequestTypeDefined, TypeDefinition
from projections.catalog import Projection, Rows
from projections.messages import utc


def define(meta: MetaData, prefix: str) -> dict[str, Table]:
    requests = Table(
        f"{prefix}requests",
        meta,
        Column("id", String(36), primary_key=True),
        Column("number", String(80), nullable=False),
        Column("type", String(40), nullable=False),
        Column("partner_id", String(36), nullable=False),
        Column("contact_id", String(36)),
        Column("subject", Text, nullable=False),
        Column("description", Text, nullable=False),
        Column("priority", String(10), nullable=False),
        Column("requested_priority", String(10), nullable=False),
        Column("document_id", String(36)),
        Column("confidentiality", String(20), nullable=False),
        Column("custom_fields", Text, nullable=False),
        Column("source", String(10), nullable=False),
        Column("status", String(12), nullable=False),
        Column("active", Boolean, nullable=False),
        Column("assignee", String(80)),
        # The due state as last recorded; answers compute it from the moments and the clock.
        Column("due_state", String(10), nullable=False),
        Column("escalated", Boolean, nullable=False),
        Column("due_at", DateTime(timezone=True), nullable=False),
        Column("overdue_at", DateTime(timezone=True), nullable=False),
        Column("escalate_at", DateTime(timezone=True)),
        Column("alert_when_overdue", Boolean, nullable=False),
        # The next moment the process manager has to look at the request (None: never again).
        Column("next_action_at", DateTime(timezone=True)),
        Column("last_alert_on", Date),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("closed_at", DateTime(timezone=True)),
        Column("resolution", Text),
        Column("version", Integer, nullable=False),
        Column("created_position", BigInteger, nullable=False),
    )
    Index(f"{prefix}ix_number", requests.c.number)
    Index(f"{prefix}ix_partner", requests.c.partner_id, requests.c.created_position)
    Index(f"{prefix}ix_assignee", requests.c.assignee, requests.c.created_position)
    Index(f"{prefix}ix_next", requests.c.active, requests.c.next_action_at)
    Index(f"{prefix}ix_alerts", requests.c.active, requests.c.due_state, requests.c.last_alert_on)
    comments = Table(
        f"{prefix}comments",
        meta,
        Column("id", String(36), primary_key=True),
        Column("request_id", String(36), nullable=False),
        Column("position", BigInteger, nullable=False),
        Column("at", DateTime(timezone=True), nullable=False),
        Column("author", String(200), nullable=False),
        Column("text", Text, nullable=False),
        Column("visibility", String(10), nullable=False),
        Column("source", String(10), nullable=False),
        # The data subject whose name or address ``author`` is (a customer's comment), if any.
        Column("author_subject", String(36)),
    )
    Index(f"{prefix}ix_comments", comments.c.request_id, comments.c.position)
    Index(f"{prefix}ix_comment_authors", comments.c.author_subject)
    history = Table(
        f"{prefix}history",
        meta,
        Column("request_id", String(36), primary_key=True),
        Column("position", BigInteger, primary_key=True, autoincrement=False),
        Column("seq", Integer, primary_key=True, autoincrement=False),
        Column("at", DateTime(timezone=True)),
        Column("by", String(200)),
        Column("field", String(40), nullable=False),
        Column("old", Text),
        Column("new", Text),
    )
    types = Table(
        f"{prefix}types",
        meta,
        Column("code", String(40), primary_key=True),
        Column("id", String(36), nullable=False),
        Column("definition", Text, nullable=False),
        Column("is_default", Boolean, nullable=False),
        Column("version", Integer, nullable=False),
    )
    rules = Table(
        f"{prefix}rules",
        meta,
        Column("id", String(36), primary_key=True),
        Column("position", BigInteger, nullable=False),
        Column("type", String(40)),
        Column("keyword", String(200)),
        Column("assign_to", String(80), nullable=False),
    )
    return {"requests": requests, "comments": comments, "history": history, "types": types, "rules": rules}


requests = Projection("requests", define)


def _history(rows: Rows, e: DomainEvent, at: datetime | None, changes: list[tuple[str, Any, Any]]) -> None:
    meta = e.meta
    when = at or (meta.business_time if meta else None) or e.timestamp
    for seq, (field, old, new) in enumerate(changes):
        rows.insert(
            "history",
            request_id=str(e.originator_id),
            position=rows.position,
            seq=seq,
            at=utc(when),
            by=meta.actor if meta else None,
            field=field,
            old=None if old is None else str(old),
            new=None if new is None else str(new),
        )


def _row(rows: Rows, e: DomainEvent) -> dict[str, Any]:
    row = rows.get("requests", id=str(e.originator_id))
    assert row is not None, f"request {e.originator_id} missing"
    return row


def _update(rows: Rows, e: DomainEvent, row: dict[str, Any], **values: Any) -> None:
    """Updates the row and recomputes when the process manager has to look at it next."""
    state = {**row, **values}
    service_level = ServiceLevel(
        due_at=state["due_at"], overdue_at=state["overdue_at"], escalate_at=state["escalate_at"]
    )
    status = RequestStatus(state["status"])
    upcoming = utc(next_moment(service_level, status, DueState(state["due_state"]), state["escalated"]))
    rows.update(
        "requests",
        {"id": row["id"]},
        version=e.originator_version,
        active=status in (RequestStatus.OPEN, RequestStatus.IN_PROGRESS),
        next_action_at=upcoming,
        **values,
    )


@requests.on(RequestOpened)
def opened(e: RequestOpened, rows: Rows) -> None:
    d, sl = e.details, e.service_level
    rows.insert(
        "requests",
        id=str(e.originator_id),
        number=e.number,
        type=d.type,
        partner_id=str(d.partner),
        contact_id=str(d.contact) if d.contact else None,
        subject=d.subject,
        description=d.description,
        priority=e.priority.value,
        requested_priority=d.requested_priority.value,
        document_id=str(d.document) if d.document else None,
        confidentiality=d.confidentiality.value,
        custom_fields=json.dumps(d.custom_fields, sort_keys=True, default=str),
        source=d.source.value,
        status=RequestStatus.OPEN.value,
        active=True,
        assignee=None,
        due_state=DueState.SCHEDULED.value,
        escalated=False,
        due_at=utc(sl.due_at),
        overdue_at=utc(sl.overdue_at),
        escalate_at=utc(sl.escalate_at),
        alert_when_overdue=sl.alert_when_overdue,
        next_action_at=utc(next_moment(sl, RequestStatus.OPEN, DueState.SCHEDULED, False)),
        last_alert_on=None,
        created_at=utc(e.opened_at),
        closed_at=None,
        resolution=None,
        version=e.originator_version,
        created_position=rows.position,
    )
    _history(rows, e, e.opened_at, [("status", None, RequestStatus.OPEN.value)])


@requests.on(RequestAssigned)
def assigned(e: RequestAssigned, rows: Rows) -> None:
    _update(rows, e, _row(rows, e), assignee=e.assignee)
    _history(rows, e, None, [("assignee", e.previous, e.assignee)])


@requests.on(RequestCommented)
def commented(e: RequestCommented, rows: Rows) -> None:
    rows.insert(
        "comments",
        id=str(e.comment_id),
        request_id=str(e.originator_id),
        position=rows.position,
        at=utc(e.at),
        author=e.author[:200],
        text=e.text,
        visibility=e.visibility.value,
        source=e.source.value,
        author_subject=_author_subject(e),
    )
    rows.update("requests", {"id": str(e.originator_id)}, version=e.originator_version)
    _history(rows, e, e.at, [("comment", None, e.visibility.value)])


def _author_subject(e: RequestCommented) -> str | None:
    subject = e.author_contact or e.author_partner
    return str(subject) if subject else None


@requests.on(PersonalDataErased)
def personal_data_erased(e: PersonalDataErased, rows: Rows) -> None:
    """The customers' comments read with their authors as the log gives them after the erasure."""
    for subject in map(str, e.subjects):
        for comment in rows.all("comments", author_subject=subject):
            if is_personal(comment["author"]):
                rows.update("comments", {"id": comment["id"]}, author=ERASED)


@requests.on(*TRANSITIONS)
def transitioned(e: TransitionEvent, rows: Rows) -> None:
    """A transition, in the history as the status (old → new), then the resolution if it changed."""
    row = _row(rows, e)
    t = transition(e, row["resolution"])
    _update(rows, e, row, status=t.status.value, resolution=t.resolution, closed_at=utc(t.closed_at))
    changes: list[tuple[str, Any, Any]] = []
    if t.status is not t.previous:
        changes.append(("status", t.previous.value, t.status.value))
    if t.resolution != row["resolution"]:
        changes.append(("resolution", row["resolution"], t.resolution))
    _history(rows, e, t.at, changes)


@requests.on(RequestResolutionChanged)
def resolution_changed(e: RequestResolutionChanged, rows: Rows) -> None:
    _update(rows, e, _row(rows, e), resolution=e.resolution)
    _history(rows, e, e.at, [("resolution", e.previous, e.resolution)])


@requests.on(RequestDueStateChanged)
def due_state_changed(e: RequestDueStateChanged, rows: Rows) -> None:
    _update(rows, e, _row(rows, e), due_state=e.due_state.value)
    _history(rows, e, e.at, [("due_state", e.previous.value, e.due_state.value)])


@requests.on(RequestEscalated)
def escalated(e: RequestEscalated, rows: Rows) -> None:
    changes: list[tuple[str, Any, Any]] = [("escalated", "false", "true")]
    values: dict[str, Any] = {"escalated": True}
    if e.to is not None and e.to != e.previous:
        values["assignee"] = e.to
        changes.append(("assignee", e.previous, e.to))
    _update(rows, e, _row(rows, e), **values)
    _history(rows, e, e.at, changes)


@requests.on(OverdueAlerted)
def alerted(e: OverdueAlerted, rows: Rows) -> None:
    rows.update("requests", {"id": str(e.originator_id)}, version=e.originator_version, last_alert_on=e.on)
    _history(rows, e, None, [("overdue_alert", None, e.to)])


# -- types and routing -----------------------------------------------------------------------------


def _definition(definition: TypeDefinition) -> str:
    return json.dumps(definition.model_dump(mode="json"), sort_keys=True)


@requests.on(RequestTypeDefined)
def type_defined(e: RequestTypeDefined, rows: Rows) -> None:
    rows.insert(
        "types",
        code=e.code,
        id=str(e.originator_id),
        definition=_definition(e.definition),
        is_default=False,
        version=e.originator_version,
    )


@requests.on(RequestTypeChanged)
def type_changed(e: RequestTypeChanged, rows: Rows) -> None:
    rows.update(
        "types", {"id": str(e.originator_id)}, definition=_definition(e.definition), version=e.originator_version
    )


@requests.on(DefaultTypeSet)
def default_type_set(e: DefaultTypeSet, rows: Rows) -> None:
    rows.update("types", {"is_default": True}, is_default=False)
    rows.update("types", {"code": e.type}, is_default=True)


@requests.on(RoutingRuleAdded)
def rule_added(e: RoutingRuleAdded, rows: Rows) -> None:
    r = e.rule
    rows.insert("rules", id=str(r.id), position=rows.position, type=r.type, keyword=r.keyword, assign_to=r.assign_to)


@requests.on(RoutingRuleRemoved)
def rule_removed(e: RoutingRuleRemoved, rows: Rows) -> None:
    rows.delete("rules", id=str(e.rule_id))
