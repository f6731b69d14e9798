"""Activity commands: record a call, meeting, e-mail, task or note; reschedule or reassign it;
complete it; send its reminder to the assignee; and the task a collection level asks for."""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from typing import Annotated, Any
from uuid import UUID, uuid4

from pydantic import Field, StringConstraints

from aggregates.activity import Activity, ActivityKind, Timing
from aggregates.base import natural_id
from aggregates.errors import DomainError, Invalid, not_found
from aggregates.partner import Partner
from aggregates.partner_contacts import Availability
from aggregates.template import Channel, Purpose, Template
from aggregates.user import User
from commands.context import CommandContext, Result
from commands.messages import MessageText, QueueMessage, compose_message
from commands.partners import load_partner
from commands.references import named_by, require_user
from commands.types import Ref, Strict, Username

Subject = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Minutes = Annotated[int, Field(ge=0, le=60 * 24 * 30)]
SALES_REP = "sales_rep"
# A template with this code words the reminders; without one they say REMINDER_TEXT.
REMINDER_TEMPLATE = "activity_reminder"
REMINDER_TEXT = MessageText(
    subject="Reminder: {{ activity.kind }} {{ activity.subject }} at {{ activity.start }}",
    body=(
        "Hello {{ assignee.name }},\n\n"
        "your {{ activity.kind }} with {{ partner.name }}"
        "{% if activity.contact %} ({{ activity.contact }}){% endif %} starts at {{ activity.start }}"
        "{% if activity.end %} and ends at {{ activity.end }}{% endif %}:\n\n"
        "{{ activity.subject }}\n"
    ),
)
TIMING_FIELDS = ("start_at", "end_at", "due_on", "remind_minutes_before")


class ScheduleFields(Strict):
    """When and for whom; a datetime without a zone is read in the business time zone."""

    start_at: datetime | None = None
    end_at: datetime | None = None
    due_on: date | None = None
    remind_minutes_before: Minutes | None = None
    assignee: Username | None = None
    # Plan a call or meeting outside the contact's availability hours all the same.
    force: bool = False


class RecordActivity(ScheduleFields):
    kind: ActivityKind
    partner: Ref
    contact: UUID | None = None
    subject: Subject


class ChangeActivity(ScheduleFields):
    activity: UUID = Field(exclude=True)


class CompleteActivity(Strict):
    activity: UUID
    outcome: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None


def _utc(value: datetime | None, zone: tzinfo) -> datetime | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=zone)).astimezone(UTC)


def _hours(partner: Partner, contact: UUID | None) -> tuple[Availability, ...]:
    """The contact's availability hours; the contact must be the partner's."""
    if contact is None:
        return ()
    found = partner.contacts.get(contact)
    if found is None:
        raise Invalid(["body", "contact"], "the contact is not one of the partner's")
    return found.availability


def _check_assignee(ctx: CommandContext, username: str | None) -> None:
    if username is not None:
        require_user(ctx, username, ["body", "assignee"])


def load_activity(ctx: CommandContext, activity_id: UUID) -> Activity:
    activity = ctx.find(Activity, activity_id)
    if activity is None:
        raise not_found("activity", activity_id)
    return activity


def record_activity(cmd: RecordActivity, ctx: CommandContext) -> Result:
    with named_by("body", "partner"):
        partner = load_partner(ctx, cmd.partner)
    hours = _hours(partner, cmd.contact)
    _check_assignee(ctx, cmd.assignee)
    timing = Timing(
        start_at=_utc(cmd.start_at, ctx.zone),
        end_at=_utc(cmd.end_at, ctx.zone),
        due_on=cmd.due_on,
        remind_minutes_before=cmd.remind_minutes_before,
    )
    activity = Activity.record(
        uuid4(),
        cmd.kind,
        partner.id,
        cmd.subject,
        timing,
        ctx.now,
        contact=cmd.contact,
        assignee=cmd.assignee,
        hours=hours,
        zone=ctx.zone,
        force=cmd.force,
    )
    return Result(ctx.save(activity), activity.id)


def change_activity(cmd: ChangeActivity, ctx: CommandContext) -> Result:
    """Reschedules (the timing fields sent replace the old ones) and reassigns."""
    activity = ctx.load_for_update(Activity, load_activity(ctx, cmd.activity).id)
    sent = cmd.model_fields_set

    def reassign() -> None:
        if "assignee" in sent:
            _check_assignee(ctx, cmd.assignee)
            activity.reassign(cmd.assignee)

    def reschedule() -> None:
        if not sent & set(TIMING_FIELDS):
            return
        changes = {k: getattr(cmd, k) for k in TIMING_FIELDS if k in sent}
        for k in ("start_at", "end_at"):
            if k in changes:
                changes[k] = _utc(changes[k], ctx.zone)
        timing = activity.timing.model_copy(update=changes)
        partner = load_partner(ctx, str(activity.partner))
        # A contact removed from the partner since has no hours left to keep to.
        hours = _hours(partner, activity.contact) if activity.contact in partner.contacts else ()
        activity.reschedule(timing, ctx.now, hours, ctx.zone, cmd.force)

    # A new assignee first, so that a reminder asked for in the same request has someone to go to.
    for step in (reassign, reschedule) if cmd.assignee is not None else (reschedule, reassign):
        step()
    return Result(ctx.save(activity), activity.id)


def complete_activity(cmd: CompleteActivity, ctx: CommandContext) -> Result:
    activity = ctx.load_for_update(Activity, load_activity(ctx, cmd.activity).id)
    activity.complete(ctx.now, cmd.outcome)
    return Result(ctx.save(activity), activity.id)


# -- the reminder ----------------------------------------------------------------------------------


class SendActivityReminder(Strict):
    activity: UUID
    # The reminder's moment: a reminder moved to another moment since is not sent for this one.
    at: datetime


def _reminder_variables(activity: Activity, partner: Partner, user: User, zone: tzinfo) -> dict[str, Any]:
    def local(value: datetime | None) -> str | None:
        return f"{value.astimezone(zone):%Y-%m-%d %H:%M %Z}" if value else None

    contact = partner.contacts.get(activity.contact) if activity.contact else None
    timing = activity.timing
    return {
        "activity": {
            "id": str(activity.id),
            "kind": activity.kind.value,
            "subject": activity.subject,
            "start": local(timing.start_at),
            "end": local(timing.end_at),
            "due_on": timing.due_on.isoformat() if timing.due_on else None,
            "minutes_before": timing.remind_minutes_before,
            "contact": contact.name if contact else None,
        },
        "assignee": {"username": user.username, "name": user.profile.name},
    }


def send_activity_reminder(cmd: SendActivityReminder, ctx: CommandContext) -> Result:
    """Queues the reminder e-mail to the assignee once (its id is derived from the activity and
    the moment) and records it on the activity; a reminder that cannot go out is recorded as
    skipped with the reason, so nobody tries again."""
    activity = load_activity(ctx, cmd.activity)
    if not activity.reminder_due(cmd.at, ctx.now):
        return Result(0, activity.id)
    user = ctx.find(User, User.id_for(activity.assignee)) if activity.assignee else None
    if user is None or not user.profile.email:
        activity.skip_reminder(cmd.at, "no_email" if user else "unknown_user", ctx.now)
        return Result(ctx.save(activity), activity.id)
    partner = load_partner(ctx, str(activity.partner))
    named = ctx.find(Template, Template.id_for(REMINDER_TEMPLATE)) is not None
    try:
        message = compose_message(
            QueueMessage(
                id=natural_id("activity-reminder", activity.id, cmd.at.isoformat()),
                channel=Channel.EMAIL,
                purpose=Purpose.GENERAL,
                partner=partner.id,
                to=user.profile.email,
                template=REMINDER_TEMPLATE if named else None,
                text=None if named else REMINDER_TEXT,
                variables=_reminder_variables(activity, partner, user, ctx.zone),
            ),
            ctx,
        )
    except DomainError as refusal:
        activity.skip_reminder(cmd.at, refusal.code, ctx.now)
        return Result(ctx.save(activity), activity.id)
    activity.note_reminder_sent(cmd.at, message.id, ctx.now)
    return Result(ctx.save(activity, message), activity.id)


# -- collection ------------------------------------------------------------------------------------


def collection_task(
    ctx: CommandContext,
    task_id: UUID,
    partner: Partner,
    title: str,
    assignee: str | None,
    due_on: date,
    cases: list[UUID],
) -> Activity:
    """The task a collection level asks for, for the partner's first sales rep (``sales_rep``, the
    default) or the named user; the same id found again is the same task, never a second one."""
    existing = ctx.find(Activity, task_id)
    if existing is not None:
        return existing
    if assignee in (None, SALES_REP):
        assignee = partner.details.sales_reps[0] if partner.details.sales_reps else None
    contact = partner.billing_contact()
    task = Activity.record(
        task_id,
        ActivityKind.TASK,
        partner.id,
        title,
        Timing(due_on=due_on),
        ctx.now,
        contact=contact.id if contact else None,
        assignee=assignee,
        origin="collection",
        cases=tuple(cases),
    )
    return ctx.track(task)
