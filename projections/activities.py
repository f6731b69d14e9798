"""Activities as rows: what the activity list and the agenda show, and the pending reminders the
reminder process and the clock look for."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time
from typing import Any

from sqlalchemy import BigInteger, Boolean, Column, Date, DateTime, Index, Integer, MetaData, String, Table, Text

from aggregates.activity import (
    ActivityCompleted,
    ActivityReassigned,
    ActivityRecorded,
    ActivityRescheduled,
    Reminder,
    ReminderSent,
    ReminderSkipped,
    Timing,
)
from aggregates.base import DomainEvent
from projections.catalog import Projection, Rows


def define(meta: MetaData, prefix: str) -> dict[str, Table]:
    activities = Table(
        f"{prefix}activities",
        meta,
        Column("id", String(36), primary_key=True),
        Column("kind", String(10), nullable=False),
        Column("partner_id", String(36), nullable=False),
        Column("contact_id", String(36)),
        Column("subject", Text, nullable=False),
        Column("assignee", String(80)),
        Column("start_at", DateTime(timezone=True)),
        Column("end_at", DateTime(timezone=True)),
        Column("due_on", Date),
        # The start, else the due date's midnight (UTC), else the recording: the lists' order.
        Column("sort_at", DateTime(timezone=True), nullable=False),
        Column("remind_minutes_before", Integer),
        Column("remind_at", DateTime(timezone=True)),
        Column("reminder_status", String(10)),
        Column("reminder_message", String(36)),
        Column("reminder_reason", String(80)),
        Column("forced", Boolean, nullable=False),
        Column("origin", String(20)),
        Column("cases", Text, nullable=False),
        Column("status", String(10), nullable=False),
        Column("completed_at", DateTime(timezone=True)),
        # The log position of the completion: the order of completions at one moment.
        Column("completed_position", BigInteger),
        Column("outcome", Text),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("created_on", Date),
        Column("version", Integer, nullable=False),
    )
    Index(f"{prefix}ix_assignee", activities.c.assignee, activities.c.sort_at)
    Index(f"{prefix}ix_partner", activities.c.partner_id, activities.c.sort_at)
    Index(f"{prefix}ix_reminder", activities.c.reminder_status, activities.c.remind_at)
    Index(f"{prefix}ix_due", activities.c.status, activities.c.due_on)
    Index(f"{prefix}ix_sort", activities.c.sort_at, activities.c.id)
    return {"activities": activities}


activities = Projection("activities", define)


def utc(value: datetime | None) -> datetime | None:
    """Stored in UTC: SQLite keeps the wall time without its zone, so the zone must be one."""
    if value is None:
        return None
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _timing(timing: Timing, reminder: Reminder | None, recorded: datetime) -> dict[str, Any]:
    due = datetime.combine(timing.due_on, time(0), UTC) if timing.due_on else None
    return {
        "start_at": utc(timing.start_at),
        "end_at": utc(timing.end_at),
        "due_on": timing.due_on,
        "sort_at": utc(timing.start_at) or due or utc(recorded),
        "remind_minutes_before": timing.remind_minutes_before,
        **_reminder(reminder),
    }


def _reminder(reminder: Reminder | None) -> dict[str, Any]:
    return {
        "remind_at": utc(reminder.at) if reminder else None,
        "reminder_status": reminder.status.value if reminder else None,
        "reminder_message": str(reminder.message) if reminder and reminder.message else None,
        "reminder_reason": reminder.reason if reminder else None,
    }


def _update(rows: Rows, e: DomainEvent, **values: Any) -> None:
    rows.update("activities", {"id": str(e.originator_id)}, version=e.originator_version, **values)


@activities.on(ActivityRecorded)
def recorded(e: ActivityRecorded, rows: Rows) -> None:
    at = utc(e.at)
    assert at is not None
    note = e.kind.value == "note"
    rows.insert(
        "activities",
        id=str(e.originator_id),
        kind=e.kind.value,
        partner_id=str(e.partner),
        contact_id=str(e.contact) if e.contact else None,
        subject=e.subject,
        assignee=e.assignee,
        forced=e.forced,
        origin=e.origin,
        cases=json.dumps([str(c) for c in e.cases]),
        status="completed" if note else "open",
        completed_at=at if note else None,
        completed_position=rows.position if note else None,
        outcome=None,
        created_at=at,
        created_on=e.meta.business_date if e.meta else None,
        version=e.originator_version,
        **_timing(e.timing, e.reminder, at),
    )


@activities.on(ActivityRescheduled)
def rescheduled(e: ActivityRescheduled, rows: Rows) -> None:
    row = rows.get("activities", id=str(e.originator_id))
    assert row is not None
    _update(rows, e, forced=e.forced, **_timing(e.timing, e.reminder, row["created_at"]))


@activities.on(ActivityReassigned)
def reassigned(e: ActivityReassigned, rows: Rows) -> None:
    _update(rows, e, assignee=e.assignee)


@activities.on(ActivityCompleted)
def completed(e: ActivityCompleted, rows: Rows) -> None:
    _update(rows, e, status="completed", completed_at=utc(e.at), completed_position=rows.position, outcome=e.outcome)


@activities.on(ReminderSent)
def reminder_sent(e: ReminderSent, rows: Rows) -> None:
    _update(rows, e, reminder_status="sent", reminder_message=str(e.message))


@activities.on(ReminderSkipped)
def reminder_skipped(e: ReminderSkipped, rows: Rows) -> None:
    _update(rows, e, reminder_status="skipped", reminder_reason=e.reason)
