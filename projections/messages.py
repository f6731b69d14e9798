"""Messages and templates as rows: what the messages list shows, what the sender polls (queued and
due, or left ``sending``), and the templates with their default flags."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Column, DateTime, Index, Integer, MetaData, String, Table, Text

from aggregates.base import DomainEvent
from aggregates.message import (
    DeliveryFailed,
    DeliveryStarted,
    LetterRendered,
    MessageBounced,
    MessageQueued,
    MessageRead,
    MessageSent,
)
from aggregates.partner_erasure import PersonalDataErased
from aggregates.personal import ERASED, is_personal
from aggregates.template import DefaultTemplateCleared, DefaultTemplateSet, TemplateChanged, TemplateCreated
from projections.catalog import Projection, Rows


def define(meta: MetaData, prefix: str) -> dict[str, Table]:
    messages = Table(
        f"{prefix}messages",
        meta,
        Column("id", String(36), primary_key=True),
        Column("channel", String(10), nullable=False),
        Column("purpose", String(20), nullable=False),
        Column("partner_id", String(36), nullable=False),
        Column("contact_id", String(36)),
        Column("recipient", Text, nullable=False),
        Column("language", String(20), nullable=False),
        Column("template", String(80)),
        Column("template_version", Integer),
        Column("subject", Text, nullable=False),
        Column("body", Text, nullable=False),
        Column("documents", Text, nullable=False),
        Column("cases", Text, nullable=False),
        Column("request_id", String(36)),
        Column("campaign", String(200)),
        Column("attach_letter", String(80)),
        Column("fallback_from", String(40)),
        Column("pdf_sha256", String(64)),
        Column("status", String(20), nullable=False),
        Column("attempts", Integer, nullable=False),
        Column("last_error", Text),
        Column("queued_at", DateTime(timezone=True), nullable=False),
        Column("next_attempt_at", DateTime(timezone=True)),
        Column("started_at", DateTime(timezone=True)),
        # When the start was recorded on the wall clock: how long a delivery has been under way.
        Column("started_recorded_at", DateTime(timezone=True)),
        Column("sent_at", DateTime(timezone=True)),
        Column("read_at", DateTime(timezone=True)),
        Column("version", Integer, nullable=False),
        Column("created_position", BigInteger, nullable=False),
    )
    Index(f"{prefix}ix_partner", messages.c.partner_id, messages.c.created_position)
    Index(f"{prefix}ix_due", messages.c.status, messages.c.next_attempt_at)
    Index(f"{prefix}ix_request", messages.c.request_id)
    Index(f"{prefix}ix_campaign", messages.c.campaign)
    cases = Table(
        f"{prefix}message_cases",
        meta,
        Column("case_id", String(36), primary_key=True),
        Column("message_id", String(36), primary_key=True),
    )
    templates = Table(
        f"{prefix}templates",
        meta,
        Column("code", String(80), primary_key=True),
        Column("id", String(36), nullable=False),
        Column("channel", String(10), nullable=False),
        Column("purpose", String(20), nullable=False),
        Column("language", String(20), nullable=False),
        Column("subject", Text, nullable=False),
        Column("body", Text, nullable=False),
        Column("is_default", Boolean, nullable=False),
        Column("version", Integer, nullable=False),
        Column("created_at", DateTime(timezone=True)),
        Column("updated_at", DateTime(timezone=True)),
    )
    Index(f"{prefix}ix_template_key", templates.c.channel, templates.c.purpose, templates.c.language)
    return {"messages": messages, "message_cases": cases, "templates": templates}


messages = Projection("messages", define)


def utc(value: datetime | None) -> datetime | None:
    """Stored in UTC: SQLite keeps the wall time without its zone, so the zone must be one."""
    if value is None:
        return None
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _update(rows: Rows, e: DomainEvent, **values: Any) -> None:
    rows.update("messages", {"id": str(e.originator_id)}, version=e.originator_version, **values)


@messages.on(MessageQueued)
def queued(e: MessageQueued, rows: Rows) -> None:
    c = e.composition
    rows.insert(
        "messages",
        id=str(e.originator_id),
        channel=c.channel.value,
        purpose=c.purpose.value,
        partner_id=str(c.partner),
        contact_id=str(c.contact) if c.contact else None,
        recipient=c.to,
        language=c.language,
        template=c.template,
        template_version=c.template_version,
        subject=c.subject,
        body=c.body,
        documents=json.dumps([str(d) for d in c.documents]),
        cases=json.dumps([str(x) for x in c.cases]),
        request_id=str(c.request) if c.request else None,
        campaign=c.campaign,
        attach_letter=c.attach_letter.template if c.attach_letter else None,
        fallback_from=c.fallback_from,
        pdf_sha256=None,
        status="queued",
        attempts=0,
        last_error=None,
        queued_at=utc(e.queued_at),
        next_attempt_at=utc(e.queued_at),
        started_at=None,
        started_recorded_at=None,
        sent_at=None,
        read_at=None,
        version=e.originator_version,
        created_position=rows.position,
    )
    for case in dict.fromkeys(c.cases):
        rows.insert("message_cases", case_id=str(case), message_id=str(e.originator_id))


@messages.on(DeliveryStarted)
def started(e: DeliveryStarted, rows: Rows) -> None:
    _update(
        rows,
        e,
        status="sending",
        attempts=e.attempt,
        started_at=utc(e.at),
        started_recorded_at=utc(e.timestamp or e.at),
        next_attempt_at=None,
    )


@messages.on(MessageSent)
def sent(e: MessageSent, rows: Rows) -> None:
    _update(rows, e, status="sent", sent_at=utc(e.at), last_error=None)


@messages.on(DeliveryFailed)
def failed(e: DeliveryFailed, rows: Rows) -> None:
    status = "failed" if e.retry_at is None else "queued"
    _update(rows, e, status=status, last_error=e.error, next_attempt_at=utc(e.retry_at))


@messages.on(LetterRendered)
def letter(e: LetterRendered, rows: Rows) -> None:
    _update(rows, e, pdf_sha256=e.sha256)


@messages.on(MessageRead)
def read(e: MessageRead, rows: Rows) -> None:
    _update(rows, e, status="read", read_at=utc(e.at))


@messages.on(MessageBounced)
def bounced(e: MessageBounced, rows: Rows) -> None:
    _update(rows, e, status="bounced", last_error=e.reason)


# -- templates -------------------------------------------------------------------------------------


def _when(e: DomainEvent) -> datetime | None:
    meta = e.meta
    return utc(meta.business_time if meta and meta.business_time else e.timestamp)


@messages.on(TemplateCreated)
def template_created(e: TemplateCreated, rows: Rows) -> None:
    c = e.content
    rows.insert(
        "templates",
        code=e.code,
        id=str(e.originator_id),
        channel=c.channel.value,
        purpose=c.purpose.value,
        language=c.language,
        subject=c.subject,
        body=c.body,
        is_default=False,
        version=e.originator_version,
        created_at=_when(e),
        updated_at=_when(e),
    )


@messages.on(TemplateChanged)
def template_changed(e: TemplateChanged, rows: Rows) -> None:
    c = e.content
    rows.update(
        "templates",
        {"id": str(e.originator_id)},
        channel=c.channel.value,
        purpose=c.purpose.value,
        language=c.language,
        subject=c.subject,
        body=c.body,
        version=e.originator_version,
        updated_at=_when(e),
    )


@messages.on(DefaultTemplateSet)
def default_set(e: DefaultTemplateSet, rows: Rows) -> None:
    if e.previous is not None:
        rows.update("templates", {"code": e.previous}, is_default=False)
    rows.update("templates", {"code": e.code}, is_default=True)


@messages.on(DefaultTemplateCleared)
def default_cleared(e: DefaultTemplateCleared, rows: Rows) -> None:
    rows.update("templates", {"code": e.code}, is_default=False)


@messages.on(PersonalDataErased)
def personal_data_erased(e: PersonalDataErased, rows: Rows) -> None:
    """A message's recipient and body are its contact's personal data, else its partner's."""
    found: list[dict[str, Any]] = []
    for subject in map(str, e.subjects):
        found += rows.all("messages", contact_id=subject)
        found += rows.all("messages", partner_id=subject, contact_id=None)
    for row in found:
        erased = {k: ERASED for k in ("recipient", "body") if is_personal(row[k])}
        if erased:
            rows.update("messages", {"id": row["id"]}, **erased)
