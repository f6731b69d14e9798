"""Request queries: one request (by id or number) with its comments and history, filtered lists,
the request types and routing rules, and what the requests process manager polls.

``due_state`` and ``next_action_at`` are computed from the request's service-level moments and the
business clock's ``now`` (which the caller passes), so an answer is exact at any moment, also
between two checks of the process manager; a closed request's clock stands at ``closed_at``.
``public_only`` is the customer's view (the portal): no confidential requests, no internal
comments, and of the history only the status and resolution changes."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, func, or_, select, true

from aggregates.errors import Invalid, not_found
from aggregates.request import DueState, RequestStatus, ServiceLevel, next_moment
from projections.catalog import Catalog
from queries.formats import utc
from queries.pages import Keyset, PageRequest

PUBLIC_HISTORY = ("status", "resolution")


def _moment(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def due_state(row: dict[str, Any], now: datetime) -> DueState:
    closed_at = utc(row["closed_at"])
    at = min(now, closed_at) if closed_at else now
    return _service_level(row).state_at(at)


def _service_level(row: dict[str, Any]) -> ServiceLevel:
    return ServiceLevel(
        due_at=_moment(row["due_at"]), overdue_at=_moment(row["overdue_at"]), escalate_at=utc(row["escalate_at"])
    )


def render(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    state = due_state(row, now)
    status = RequestStatus(row["status"])
    return {
        "id": row["id"],
        "number": row["number"],
        "type": row["type"],
        "partner": row["partner_id"],
        "contact": row["contact_id"],
        "subject": row["subject"],
        "description": row["description"],
        "priority": row["priority"],
        "requested_priority": row["requested_priority"],
        "document": row["document_id"],
        "confidentiality": row["confidentiality"],
        "custom_fields": json.loads(row["custom_fields"]),
        "source": row["source"],
        "status": status.value,
        "assignee": row["assignee"],
        "due_state": state.value,
        "next_action_at": next_moment(_service_level(row), status, state, row["escalated"]),
        "escalated": row["escalated"],
        "due_at": utc(row["due_at"]),
        "overdue_at": utc(row["overdue_at"]),
        "escalate_at": utc(row["escalate_at"]),
        "created_at": utc(row["created_at"]),
        "closed_at": utc(row["closed_at"]),
        "resolution": row["resolution"],
        "version": row["version"],
    }


def render_type(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "code": row["code"],
        **json.loads(row["definition"]),
        "is_default": row["is_default"],
        "version": row["version"],
    }


class RequestQueries:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def _t(self, name: str) -> Any:
        return self.catalog.table("requests", name)

    def _find(self, conn: Any, ref: str) -> dict[str, Any] | None:
        t = self._t("requests")
        try:
            condition = t.c.id == str(UUID(ref))
        except ValueError:
            condition = t.c.number == ref.strip()
        row = conn.execute(select(t).where(condition)).mappings().first()
        return dict(row) if row else None

    def get(
        self, ref: str, now: datetime, public_only: bool = False, partner_ids: list[str] | None = None
    ) -> dict[str, Any]:
        """One request with ``comments`` and ``history``; ``partner_ids`` limits it to those
        partners' requests (a portal token's partner): another one is a 404 like an unknown one."""
        comments, history = self._t("comments"), self._t("history")
        with self.catalog.engine.connect() as conn:
            row = self._find(conn, ref)
            if (
                row is None
                or (partner_ids is not None and row["partner_id"] not in partner_ids)
                or (public_only and row["confidentiality"] != "public")
            ):
                raise not_found("request", ref)
            stmt = select(comments).where(comments.c.request_id == row["id"])
            if public_only:
                stmt = stmt.where(comments.c.visibility == "public")
            found = conn.execute(stmt.order_by(comments.c.position)).mappings().all()
            changes = select(history).where(history.c.request_id == row["id"])
            if public_only:
                changes = changes.where(history.c.field.in_(PUBLIC_HISTORY))
            steps = conn.execute(changes.order_by(history.c.position, history.c.seq)).mappings().all()
        return {
            **render(row, _moment(now)),
            "comments": [
                {
                    "id": c["id"],
                    "at": utc(c["at"]),
                    "author": c["author"],
                    "text": c["text"],
                    "visibility": c["visibility"],
                    "source": c["source"],
                }
                for c in found
            ],
            "history": [
                {"at": utc(h["at"]), "by": h["by"], "field": h["field"], "old": h["old"], "new": h["new"]}
                for h in steps
            ],
        }

    def search(
        self,
        request: PageRequest,
        now: datetime,
        partner_ids: list[str] | None = None,
        assignee: str | None = None,
        status: str | None = None,
        due_state: str | None = None,
        public_only: bool = False,
    ) -> dict[str, Any]:
        """Newest first; ``status`` and ``due_state`` accept comma-separated lists."""
        t = self._t("requests")
        now = _moment(now)
        stmt = select(t)
        if partner_ids is not None:
            stmt = stmt.where(t.c.partner_id.in_(partner_ids))
        if assignee:
            stmt = stmt.where(t.c.assignee == assignee)
        if status:
            statuses = _words(status, [s.value for s in RequestStatus], "status")
            stmt = stmt.where(t.c.status.in_(statuses))
        if due_state:
            states = _words(due_state, [s.value for s in DueState], "due_state")
            at = func.coalesce(t.c.closed_at, now)
            conditions = {
                "scheduled": t.c.due_at > at,
                "due": and_(t.c.due_at <= at, t.c.overdue_at > at),
                "overdue": t.c.overdue_at <= at,
            }
            stmt = stmt.where(or_(*(conditions[s] for s in states)))
        if public_only:
            stmt = stmt.where(t.c.confidentiality == "public")
        keys = Keyset(t.c.created_position.desc(), t.c.id)
        with self.catalog.engine.connect() as conn:
            rows = conn.execute(keys.select(stmt, request)).mappings().all()
        return keys.page(rows, request, lambda r: render(dict(r), now))

    def open_requests(self, partner_ids: list[str], now: datetime) -> list[dict[str, Any]]:
        """The partners' open and in-progress requests, oldest first (the profile's section)."""
        t = self._t("requests")
        stmt = select(t).where(t.c.partner_id.in_(partner_ids), t.c.active == true()).order_by(t.c.created_position)
        with self.catalog.engine.connect() as conn:
            rows = [render(dict(r), _moment(now)) for r in conn.execute(stmt).mappings()]
        keys = ("id", "number", "type", "subject", "status", "priority", "assignee", "due_state", "next_action_at")
        return [{k: r[k] for k in keys} for r in rows]

    # -- types and rules -------------------------------------------------------------------------

    def request_type(self, code: str) -> dict[str, Any]:
        t = self._t("types")
        with self.catalog.engine.connect() as conn:
            row = conn.execute(select(t).where(t.c.code == code.strip())).mappings().first()
        if row is None:
            raise not_found("request type", code)
        return render_type(dict(row))

    def request_types(self, request: PageRequest) -> dict[str, Any]:
        t = self._t("types")
        keys = Keyset(t.c.code)
        with self.catalog.engine.connect() as conn:
            rows = conn.execute(keys.select(select(t), request)).mappings().all()
        return keys.page(rows, request, lambda r: render_type(dict(r)))

    def routing_rules(self) -> list[dict[str, Any]]:
        """In the order they are tried."""
        t = self._t("rules")
        with self.catalog.engine.connect() as conn:
            rows = conn.execute(select(t).order_by(t.c.position)).mappings().all()
        return [{"id": r["id"], "type": r["type"], "keyword": r["keyword"], "assign_to": r["assign_to"]} for r in rows]

    # -- the process manager's polls ------------------------------------------------------------

    def to_check(self, at: datetime, day: date | None = None) -> list[UUID]:
        """Open requests with a service-level moment at or before ``at``, and, at a day start
        (``day``), the overdue ones whose alert of that day is still to be sent."""
        t = self._t("requests")
        at = _moment(at)
        moments = select(t.c.id).where(t.c.active == true(), t.c.next_action_at <= at).order_by(t.c.next_action_at)
        with self.catalog.engine.connect() as conn:
            ids = list(conn.execute(moments).scalars())
            if day is not None:
                alerts = (
                    select(t.c.id)
                    .where(
                        t.c.active == true(),
                        t.c.due_state == DueState.OVERDUE.value,
                        t.c.alert_when_overdue == true(),
                        or_(t.c.last_alert_on.is_(None), t.c.last_alert_on < day),
                    )
                    .order_by(t.c.created_position)
                )
                ids += conn.execute(alerts).scalars()
        return [UUID(i) for i in dict.fromkeys(ids)]

    def next_moment(self, after: datetime) -> datetime | None:
        """The earliest moment after ``after`` at which an open request's service level changes."""
        t = self._t("requests")
        stmt = select(func.min(t.c.next_action_at)).where(t.c.active == true(), t.c.next_action_at > _moment(after))
        with self.catalog.engine.connect() as conn:
            return utc(conn.execute(stmt).scalar())


def _words(value: str, allowed: list[str], name: str) -> list[str]:
    words = [w.strip() for w in value.split(",") if w.strip()]
    unknown = [w for w in words if w not in allowed]
    if unknown:
        raise Invalid(["query", name], f"unknown {name} {unknown[0]}; one of {', '.join(allowed)}")
    return words
