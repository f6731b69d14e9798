"""Activity queries: one activity, the filtered list, the agenda of a period (with the reminders
due and the overdue tasks), a partner's last and next activities, and the pending reminders."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any
from uuid import UUID

from sqlalchemy import Select, and_, or_, select

from aggregates.errors import Invalid, not_found
from projections.activities import utc as stored
from projections.catalog import Catalog
from queries.formats import utc
from queries.pages import Keyset, PageRequest

# The most items one agenda section answers: narrow the period or name an assignee for more.
AGENDA_LIMIT = 500
AGENDA_MAX_DAYS = 366
PROFILE_ITEMS = 5


def render(row: dict[str, Any], today: date) -> dict[str, Any]:
    return {
        "id": row["id"],
        "kind": row["kind"],
        "partner": row["partner_id"],
        "contact": row["contact_id"],
        "subject": row["subject"],
        "assignee": row["assignee"],
        "start_at": utc(row["start_at"]),
        "end_at": utc(row["end_at"]),
        "due_on": row["due_on"],
        "remind_minutes_before": row["remind_minutes_before"],
        "remind_at": utc(row["remind_at"]),
        "reminder_status": row["reminder_status"],
        "reminder_message": row["reminder_message"],
        "status": row["status"],
        "overdue": row["status"] == "open" and row["due_on"] is not None and row["due_on"] < today,
        "completed_at": utc(row["completed_at"]),
        "outcome": row["outcome"],
        "forced": row["forced"],
        "origin": row["origin"],
        "cases": json.loads(row["cases"]),
        "created_at": utc(row["created_at"]),
        "created_on": row["created_on"],
        "version": row["version"],
    }


class ActivityQueries:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    @property
    def table(self) -> Any:
        return self.catalog.table("activities", "activities")

    def _rows(self, stmt: Select[Any], today: date) -> list[dict[str, Any]]:
        with self.catalog.engine.connect() as conn:
            return [render(dict(r), today) for r in conn.execute(stmt).mappings()]

    def get(self, activity_id: str, today: date) -> dict[str, Any]:
        t = self.table
        try:
            key = str(UUID(activity_id))
        except ValueError:
            raise not_found("activity", activity_id) from None
        found = self._rows(select(t).where(t.c.id == key), today)
        if not found:
            raise not_found("activity", activity_id)
        return found[0]

    def search(
        self,
        request: PageRequest,
        today: date,
        partners: list[str] | None = None,
        assignee: str | None = None,
        kind: str | None = None,
        status: str | None = None,
        overdue: bool | None = None,
    ) -> dict[str, Any]:
        t = self.table
        stmt = select(t)
        if partners is not None:
            stmt = stmt.where(t.c.partner_id.in_(partners))
        if assignee:
            stmt = stmt.where(t.c.assignee == assignee)
        if kind:
            stmt = stmt.where(t.c.kind == kind)
        if status:
            stmt = stmt.where(t.c.status == status)
        if overdue is not None:
            late = and_(t.c.status == "open", t.c.due_on < today)
            stmt = stmt.where(late if overdue else ~late | t.c.due_on.is_(None))
        keys = Keyset(t.c.sort_at, t.c.id)
        with self.catalog.engine.connect() as conn:
            rows = conn.execute(keys.select(stmt, request)).mappings().all()
        return keys.page(rows, request, lambda r: render(dict(r), today))

    def agenda(
        self, assignee: str | None, start: date, end: date, now: datetime, today: date, zone: tzinfo
    ) -> dict[str, Any]:
        """The period's activities (by their start in the business time zone, else their due
        date), the reminders whose moment has come for activities that have not begun yet, and
        every open activity past its due date."""
        if end < start:
            raise Invalid(["query", "to"], "to may not be before from")
        if (end - start).days >= AGENDA_MAX_DAYS:
            raise Invalid(["query", "to"], f"an agenda spans at most {AGENDA_MAX_DAYS} days")
        t = self.table
        mine = [t.c.assignee == assignee] if assignee else []
        low = stored(datetime.combine(start, time(0), zone))
        high = stored(datetime.combine(end + timedelta(days=1), time(0), zone))
        in_period = or_(
            and_(t.c.start_at >= low, t.c.start_at < high),
            and_(t.c.start_at.is_(None), t.c.due_on >= start, t.c.due_on <= end),
        )
        moment = stored(now)
        reminders = self._rows(
            select(t)
            .where(
                *mine,
                t.c.status == "open",
                t.c.reminder_status.is_not(None),
                t.c.remind_at <= moment,
                t.c.start_at > moment,
            )
            .order_by(t.c.remind_at, t.c.id)
            .limit(AGENDA_LIMIT),
            today,
        )
        return {
            "assignee": assignee,
            "from": start,
            "to": end,
            "now": now,
            "today": today,
            "activities": self._rows(
                select(t).where(*mine, in_period).order_by(t.c.sort_at, t.c.id).limit(AGENDA_LIMIT), today
            ),
            "reminders": [
                {
                    "activity": r["id"],
                    "kind": r["kind"],
                    "subject": r["subject"],
                    "partner": r["partner"],
                    "assignee": r["assignee"],
                    "start_at": r["start_at"],
                    "remind_at": r["remind_at"],
                    "status": r["reminder_status"],
                    "message": r["reminder_message"],
                }
                for r in reminders
            ],
            "overdue_tasks": self._rows(
                select(t)
                .where(*mine, t.c.status == "open", t.c.due_on < today)
                .order_by(t.c.due_on, t.c.sort_at, t.c.id)
                .limit(AGENDA_LIMIT),
                today,
            ),
        }

    def of_partners(self, partners: list[str], today: date) -> dict[str, list[dict[str, Any]]]:
        """For the partner profile: the next open activities (the overdue first) and the last
        completed ones."""
        t = self.table
        upcoming = (
            select(t)
            .where(t.c.partner_id.in_(partners), t.c.status == "open")
            .order_by(t.c.sort_at, t.c.id)
            .limit(PROFILE_ITEMS)
        )
        done = (
            select(t)
            .where(t.c.partner_id.in_(partners), t.c.status == "completed")
            .order_by(t.c.completed_at.desc(), t.c.completed_position.desc())
            .limit(PROFILE_ITEMS)
        )
        return {"next": self._rows(upcoming, today), "last": self._rows(done, today)}

    # -- reminders (the reminder process and the clock) ----------------------------------------

    def _pending(self) -> Any:
        t = self.table
        return and_(t.c.status == "open", t.c.reminder_status == "pending")

    def reminders_due(self, until: datetime) -> list[tuple[UUID, datetime]]:
        """Open activities whose reminder is pending and due by ``until``, with its moment."""
        t = self.table
        stmt = select(t.c.id, t.c.remind_at).where(self._pending(), t.c.remind_at <= stored(until))
        with self.catalog.engine.connect() as conn:
            rows = conn.execute(stmt.order_by(t.c.remind_at, t.c.id)).all()
        return [(UUID(i), at) for i, at in ((i, utc(at)) for i, at in rows) if at is not None]

    def next_reminder(self, after: datetime) -> datetime | None:
        """The earliest pending reminder moment after ``after``."""
        t = self.table
        stmt = (
            select(t.c.remind_at).where(self._pending(), t.c.remind_at > stored(after)).order_by(t.c.remind_at).limit(1)
        )
        with self.catalog.engine.connect() as conn:
            return utc(conn.execute(stmt).scalar())
