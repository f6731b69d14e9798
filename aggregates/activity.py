"""Activities: calls, meetings, e-mails, tasks and notes about a partner (and one of its contacts),
with an assignee, a time, a due date, a reminder for the assignee, and completion.

A call or a meeting is planned within the contact's availability hours unless the clerk forces it;
the hours are read in the business time zone, which the caller passes in with them. A reminder is
due ``remind_minutes_before`` the start; the activity records that it was sent (or why it could not
be), so a process that meets the same moment again sends nothing twice."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import Enum
from uuid import UUID

from aggregates.base import Aggregate, CreatedEvent, DomainEvent, Value, event
from aggregates.errors import Invalid, conflict
from aggregates.partner_contacts import Availability


class ActivityKind(Enum):
    CALL = "call"
    MEETING = "meeting"
    EMAIL = "email"
    TASK = "task"
    NOTE = "note"


class ActivityStatus(Enum):
    OPEN = "open"
    COMPLETED = "completed"


class ReminderStatus(Enum):
    PENDING = "pending"
    SENT = "sent"
    SKIPPED = "skipped"


# Kinds that take the contact's time, so the contact's availability hours apply.
WITH_CONTACT = (ActivityKind.CALL, ActivityKind.MEETING)
# Kinds that are about something to do at a time or by a date.
DATED = (ActivityKind.CALL, ActivityKind.MEETING, ActivityKind.TASK)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class Timing(Value):
    """When: datetimes in UTC, a due date, and how long before the start the assignee is reminded."""

    start_at: datetime | None = None
    end_at: datetime | None = None
    due_on: date | None = None
    remind_minutes_before: int | None = None


class Reminder(Value):
    at: datetime
    status: ReminderStatus = ReminderStatus.PENDING
    message: UUID | None = None
    reason: str | None = None


class ActivityRecorded(CreatedEvent):
    TOPIC = "counterparty.activity.ActivityRecorded.v1"
    kind: ActivityKind
    partner: UUID
    contact: UUID | None
    subject: str
    assignee: str | None
    timing: Timing
    reminder: Reminder | None
    # Planned outside the contact's availability hours because the clerk said so.
    forced: bool = False
    # What made it ("collection" for a collection level's task), and the cases it is for.
    origin: str | None = None
    cases: tuple[UUID, ...] = ()
    at: datetime


class ActivityRescheduled(DomainEvent):
    TOPIC = "counterparty.activity.ActivityRescheduled.v1"
    timing: Timing
    reminder: Reminder | None
    forced: bool = False


class ActivityReassigned(DomainEvent):
    TOPIC = "counterparty.activity.ActivityReassigned.v1"
    assignee: str | None


class ActivityCompleted(DomainEvent):
    TOPIC = "counterparty.activity.ActivityCompleted.v1"
    at: datetime
    outcome: str | None = None


class ReminderSent(DomainEvent):
    TOPIC = "counterparty.activity.ReminderSent.v1"
    reminder_at: datetime
    message: UUID
    at: datetime


class ReminderSkipped(DomainEvent):
    TOPIC = "counterparty.activity.ReminderSkipped.v1"
    reminder_at: datetime
    reason: str
    at: datetime


def check_timing(kind: ActivityKind, timing: Timing, assignee: str | None) -> None:
    if kind in DATED and timing.start_at is None and timing.due_on is None:
        raise Invalid(["body", "start_at"], f"a {kind.value} needs start_at or due_on")
    if timing.end_at is not None:
        if timing.start_at is None:
            raise Invalid(["body", "end_at"], "end_at needs start_at")
        if timing.end_at < timing.start_at:
            raise Invalid(["body", "end_at"], "end_at may not be before start_at")
    if timing.remind_minutes_before is not None:
        if kind is ActivityKind.NOTE:
            raise Invalid(["body", "remind_minutes_before"], "a note has no reminder")
        if timing.start_at is None:
            raise Invalid(["body", "remind_minutes_before"], "a reminder needs start_at")
        if assignee is None:
            raise Invalid(["body", "remind_minutes_before"], "a reminder goes to the assignee: name one")


def _windows(hours: tuple[Availability, ...], weekday: int) -> list[tuple[time, time]]:
    """The day's windows, touching or overlapping ones joined (09–12 and 12–15 are 09–15)."""
    spans = sorted((time.fromisoformat(a.start), time.fromisoformat(a.end)) for a in hours if a.weekday == weekday)
    joined: list[tuple[time, time]] = []
    for start, end in spans:
        if joined and start <= joined[-1][1]:
            joined[-1] = (joined[-1][0], max(joined[-1][1], end))
        else:
            joined.append((start, end))
    return joined


def outside_hours(hours: tuple[Availability, ...], timing: Timing, zone: tzinfo) -> str | None:
    """Why the slot is outside the contact's hours (None when it is inside, or no hours are known).

    The slot [start, end] must lie within one window of the start's weekday, read in ``zone``;
    without an end it is the start instant, which must come before the window closes."""
    if not hours or timing.start_at is None:
        return None
    start = timing.start_at.astimezone(zone)
    end = (timing.end_at or timing.start_at).astimezone(zone)
    windows = _windows(hours, start.isoweekday())
    if end.date() == start.date():
        for opens, closes in windows:
            if opens <= start.time() and end.time() <= closes and start.time() < closes:
                return None
    day = WEEKDAYS[start.isoweekday() - 1]
    spans = ", ".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in windows) or "none"
    when = f"{start:%Y-%m-%d %H:%M}" + (f"-{end:%H:%M}" if timing.end_at else "")
    return f"the contact is not available {when} ({day}); their hours that day: {spans}"


def reminder_for(timing: Timing, now: datetime) -> Reminder | None:
    """The reminder of a timing; none for an activity that has begun already."""
    if timing.remind_minutes_before is None or timing.start_at is None or timing.start_at <= now:
        return None
    return Reminder(at=timing.start_at - timedelta(minutes=timing.remind_minutes_before))


class Activity(Aggregate):
    TOPIC = "counterparty.activity.Activity"

    kind: ActivityKind
    partner: UUID
    contact: UUID | None
    subject: str
    assignee: str | None
    timing: Timing
    reminder: Reminder | None
    forced: bool
    origin: str | None
    cases: tuple[UUID, ...]
    status: ActivityStatus
    completed_at: datetime | None
    outcome: str | None

    @classmethod
    def record(
        cls,
        id: UUID,
        kind: ActivityKind,
        partner: UUID,
        subject: str,
        timing: Timing,
        now: datetime,
        contact: UUID | None = None,
        assignee: str | None = None,
        hours: tuple[Availability, ...] = (),
        zone: tzinfo = UTC,
        force: bool = False,
        origin: str | None = None,
        cases: tuple[UUID, ...] = (),
    ) -> Activity:
        """``hours`` are the contact's availability hours (empty: none known, or no contact)."""
        if not subject.strip():
            raise Invalid(["body", "subject"], "an activity needs a subject")
        check_timing(kind, timing, assignee)
        forced = _check_hours(kind, hours, timing, zone, force)
        return cls._create(
            ActivityRecorded,
            id=id,
            kind=kind,
            partner=partner,
            contact=contact,
            subject=subject,
            assignee=assignee,
            timing=timing,
            reminder=reminder_for(timing, now),
            forced=forced,
            origin=origin,
            cases=cases,
            at=now,
        )

    @event(ActivityRecorded)
    def _recorded(
        self,
        kind: ActivityKind,
        partner: UUID,
        contact: UUID | None,
        subject: str,
        assignee: str | None,
        timing: Timing,
        reminder: Reminder | None,
        forced: bool,
        origin: str | None,
        cases: tuple[UUID, ...],
        at: datetime,
    ) -> None:
        self.kind = kind
        self.partner = partner
        self.contact = contact
        self.subject = subject
        self.assignee = assignee
        self.timing = timing
        self.reminder = reminder
        self.forced = forced
        self.origin = origin
        self.cases = cases
        self.outcome = None
        # A note records what happened: there is nothing left to do.
        done = kind is ActivityKind.NOTE
        self.status = ActivityStatus.COMPLETED if done else ActivityStatus.OPEN
        self.completed_at = at if done else None

    def _require_open(self) -> None:
        if self.status is ActivityStatus.COMPLETED:
            raise conflict("activity_completed", f"the {self.kind.value} is completed")

    def reschedule(
        self,
        timing: Timing,
        now: datetime,
        hours: tuple[Availability, ...] = (),
        zone: tzinfo = UTC,
        force: bool = False,
    ) -> None:
        self._require_open()
        check_timing(self.kind, timing, self.assignee)
        forced = _check_hours(self.kind, hours, timing, zone, force)
        if timing == self.timing:
            return
        moved = (timing.start_at, timing.remind_minutes_before) != (
            self.timing.start_at,
            self.timing.remind_minutes_before,
        )
        reminder = reminder_for(timing, now) if moved else self.reminder
        self._rescheduled(timing=timing, reminder=reminder, forced=forced)

    @event(ActivityRescheduled)
    def _rescheduled(self, timing: Timing, reminder: Reminder | None, forced: bool) -> None:
        self.timing = timing
        self.reminder = reminder
        self.forced = forced

    def reassign(self, assignee: str | None) -> None:
        self._require_open()
        if assignee == self.assignee:
            return
        check_timing(self.kind, self.timing, assignee)
        self._reassigned(assignee=assignee)

    @event(ActivityReassigned)
    def _reassigned(self, assignee: str | None) -> None:
        self.assignee = assignee

    def complete(self, at: datetime, outcome: str | None = None) -> None:
        """Marks the activity done; completing it again changes nothing."""
        if self.status is ActivityStatus.COMPLETED:
            return
        self._completed(at=at, outcome=outcome)

    @event(ActivityCompleted)
    def _completed(self, at: datetime, outcome: str | None) -> None:
        self.status = ActivityStatus.COMPLETED
        self.completed_at = at
        self.outcome = outcome

    # -- the reminder --------------------------------------------------------------------------

    def reminder_due(self, reminder_at: datetime, now: datetime) -> bool:
        """Whether the reminder of this moment is still to be sent at ``now`` (not sent, not
        moved to another moment, the activity still open)."""
        r = self.reminder
        return (
            self.status is ActivityStatus.OPEN
            and r is not None
            and r.status is ReminderStatus.PENDING
            and r.at == reminder_at
            and r.at <= now
        )

    def note_reminder_sent(self, reminder_at: datetime, message: UUID, now: datetime) -> None:
        if self.reminder_due(reminder_at, now):
            self._reminder_sent(reminder_at=reminder_at, message=message, at=now)

    @event(ReminderSent)
    def _reminder_sent(self, reminder_at: datetime, message: UUID) -> None:
        self.reminder = Reminder(at=reminder_at, status=ReminderStatus.SENT, message=message)

    def skip_reminder(self, reminder_at: datetime, reason: str, now: datetime) -> None:
        if self.reminder_due(reminder_at, now):
            self._reminder_skipped(reminder_at=reminder_at, reason=reason, at=now)

    @event(ReminderSkipped)
    def _reminder_skipped(self, reminder_at: datetime, reason: str) -> None:
        self.reminder = Reminder(at=reminder_at, status=ReminderStatus.SKIPPED, reason=reason)


def _check_hours(
    kind: ActivityKind, hours: tuple[Availability, ...], timing: Timing, zone: tzinfo, force: bool
) -> bool:
    """Refuses a call or meeting outside the contact's hours unless forced; answers whether it was."""
    if kind not in WITH_CONTACT:
        return False
    why = outside_hours(hours, timing, zone)
    if why is None:
        return False
    if not force:
        raise conflict("contact_unavailable", why)
    return True
