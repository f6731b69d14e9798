"""Message and template queries: the filtered message list, one message, the templates, and what
the sender polls (messages due for an attempt, deliveries left under way)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, exists, or_, select

from aggregates.errors import not_found
from projections.catalog import Catalog
from queries.formats import utc
from queries.pages import Keyset, PageRequest


def _as_utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def render(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "channel": row["channel"],
        "purpose": row["purpose"],
        "partner": row["partner_id"],
        "contact": row["contact_id"],
        "to": row["recipient"],
        "language": row["language"],
        "template": row["template"],
        "template_version": row["template_version"],
        "subject": row["subject"],
        "body": row["body"],
        "documents": json.loads(row["documents"]),
        "cases": json.loads(row["cases"]),
        "request": row["request_id"],
        "campaign": row["campaign"],
        "attach_letter": row["attach_letter"],
        "fallback_from": row["fallback_from"],
        "status": row["status"],
        "attempts": row["attempts"],
        "last_error": row["last_error"],
        "queued_at": utc(row["queued_at"]),
        "next_attempt_at": utc(row["next_attempt_at"]),
        "sent_at": utc(row["sent_at"]),
        "read_at": utc(row["read_at"]),
        "pdf": f"/v1/messages/{row['id']}/pdf" if row["pdf_sha256"] else None,
        "version": row["version"],
    }


def render_template(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "code": row["code"],
        "channel": row["channel"],
        "purpose": row["purpose"],
        "language": row["language"],
        "subject": row["subject"],
        "body": row["body"],
        "is_default": bool(row["is_default"]),
        "version": row["version"],
        "created_at": utc(row["created_at"]),
        "updated_at": utc(row["updated_at"]),
    }


@dataclass(frozen=True)
class InDelivery:
    """A message the sender found ``sending``, with the version it saw it at."""

    id: UUID
    version: int


class MessageQueries:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def _table(self, name: str) -> Any:
        return self.catalog.table("messages", name)

    def row(self, message_id: str) -> dict[str, Any]:
        t = self._table("messages")
        try:
            key = str(UUID(message_id))
        except ValueError:
            raise not_found("message", message_id) from None
        with self.catalog.engine.connect() as conn:
            row = conn.execute(select(t).where(t.c.id == key)).mappings().first()
        if row is None:
            raise not_found("message", message_id)
        return dict(row)

    def get(self, message_id: str) -> dict[str, Any]:
        return render(self.row(message_id))

    def of_subjects(self, subjects: list[str]) -> list[tuple[str, str | None]]:
        """The messages whose recipient and texts are personal data of ``subjects`` (their
        contact's, else their partner's), with their letters' PDF hashes."""
        t = self._table("messages")
        whose = or_(t.c.contact_id.in_(subjects), and_(t.c.contact_id.is_(None), t.c.partner_id.in_(subjects)))
        with self.catalog.engine.connect() as conn:
            return [(r.id, r.pdf_sha256) for r in conn.execute(select(t.c.id, t.c.pdf_sha256).where(whose))]

    def search(
        self,
        request: PageRequest,
        partners: list[str] | None = None,
        channel: str | None = None,
        purpose: str | None = None,
        case: str | None = None,
        request_id: str | None = None,
        campaign: str | None = None,
        status: str | None = None,
    ) -> dict[str, Any]:
        t = self._table("messages")
        stmt = select(t)
        if partners is not None:
            stmt = stmt.where(t.c.partner_id.in_(partners))
        if channel:
            stmt = stmt.where(t.c.channel.in_(channel.split(",")))
        if purpose:
            stmt = stmt.where(t.c.purpose.in_(purpose.split(",")))
        if case:
            cases = self._table("message_cases")
            stmt = stmt.where(exists().where(cases.c.message_id == t.c.id, cases.c.case_id == case))
        if request_id:
            stmt = stmt.where(t.c.request_id == request_id)
        if campaign:
            stmt = stmt.where(t.c.campaign == campaign)
        if status:
            stmt = stmt.where(t.c.status.in_(status.split(",")))
        keys = Keyset(t.c.created_position.desc(), t.c.id)
        with self.catalog.engine.connect() as conn:
            rows = conn.execute(keys.select(stmt, request)).mappings().all()
        return keys.page(rows, request, lambda r: render(dict(r)))

    # -- for the sender ------------------------------------------------------------------------

    def due(self, now: datetime, limit: int = 100) -> list[UUID]:
        """Queued messages whose next attempt is due, the longest waiting first."""
        t = self._table("messages")
        stmt = (
            select(t.c.id)
            .where(t.c.status == "queued", t.c.next_attempt_at <= _as_utc(now))
            .order_by(t.c.next_attempt_at, t.c.created_position)
            .limit(limit)
        )
        with self.catalog.engine.connect() as conn:
            return [UUID(r) for (r,) in conn.execute(stmt).all()]

    def in_delivery(self, started_before: datetime, limit: int = 100) -> list[InDelivery]:
        """Messages whose delivery started (on the wall clock) before ``started_before`` and was
        never recorded as sent or failed: their sender crashed between the send and the record."""
        t = self._table("messages")
        stmt = (
            select(t.c.id, t.c.version)
            .where(t.c.status == "sending", t.c.started_recorded_at <= _as_utc(started_before))
            .order_by(t.c.started_recorded_at)
            .limit(limit)
        )
        with self.catalog.engine.connect() as conn:
            return [InDelivery(UUID(i), int(v)) for i, v in conn.execute(stmt).all()]

    # -- templates -----------------------------------------------------------------------------

    def template(self, code: str) -> dict[str, Any]:
        t = self._table("templates")
        with self.catalog.engine.connect() as conn:
            row = conn.execute(select(t).where(t.c.code == code.strip())).mappings().first()
        if row is None:
            raise not_found("template", code)
        return render_template(dict(row))

    def templates(
        self,
        request: PageRequest,
        channel: str | None = None,
        purpose: str | None = None,
        language: str | None = None,
        is_default: bool | None = None,
    ) -> dict[str, Any]:
        t = self._table("templates")
        stmt = select(t)
        if channel:
            stmt = stmt.where(t.c.channel == channel)
        if purpose:
            stmt = stmt.where(t.c.purpose == purpose)
        if language:
            stmt = stmt.where(t.c.language == language)
        if is_default is not None:
            stmt = stmt.where(t.c.is_default == is_default)
        keys = Keyset(t.c.code)
        with self.catalog.engine.connect() as conn:
            rows = conn.execute(keys.select(stmt, request)).mappings().all()
        return keys.page(rows, request, lambda r: render_template(dict(r)))
