"""Activities: what an activity needs, the contact's availability hours at their exact edges (in
the business time zone), reminders (when they are due, once, and again after a reschedule),
reassigning and completing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from aggregates.activity import (
    Activity,
    ActivityCompleted,
    ActivityKind,
    ActivityReassigned,
    ActivityRecorded,
    ActivityRescheduled,
    ActivityStatus,
    Reminder,
    ReminderSent,
    ReminderSkipped,
    ReminderStatus,
    Timing,
    outside_hours,
)
from aggregates.base import DomainEvent
from aggregates.errors import Conflict, Invalid
from aggregates.partner_contacts import Availability
from tests.gwt import given, like

AID = UUID("00000000-0000-4000-8000-0000000000d1")
PARTNER = UUID("00000000-0000-4000-8000-0000000000b1")
CONTACT = UUID("00000000-0000-4000-8000-0000000000c1")
MESSAGE = UUID("00000000-0000-4000-8000-0000000000e1")
VIENNA = ZoneInfo("Europe/Vienna")
# Tuesday 2026-01-20: mornings 09:00-12:00 and afternoons 13:00-17:00, Vienna time (UTC+1).
HOURS = (
    Availability(weekday=2, start="09:00", end="12:00"),
    Availability(weekday=2, start="13:00", end="17:00"),
)
NOW = datetime(2026, 1, 19, 12, 0, tzinfo=UTC)


def at(text: str, zone: Any = VIENNA) -> datetime:
    """A moment on Tuesday 2026-01-20 given as HH:MM in ``zone``, in UTC."""
    return datetime.fromisoformat(f"2026-01-20T{text}").replace(tzinfo=zone).astimezone(UTC)


def plan(
    kind: ActivityKind = ActivityKind.CALL,
    timing: Timing | None = None,
    hours: tuple[Availability, ...] = HOURS,
    force: bool = False,
    assignee: str | None = "anna",
    now: datetime = NOW,
) -> Activity:
    return Activity.record(
        AID,
        kind,
        PARTNER,
        "Discuss the renewal",
        timing or Timing(start_at=at("10:00")),
        now,
        contact=CONTACT,
        assignee=assignee,
        hours=hours,
        zone=VIENNA,
        force=force,
    )


def recorded(timing: Timing, reminder: Reminder | None = None, **fields: Any) -> ActivityRecorded:
    values: dict[str, Any] = {
        "kind": ActivityKind.CALL,
        "partner": PARTNER,
        "contact": CONTACT,
        "subject": "Discuss the renewal",
        "assignee": "anna",
        "timing": timing,
        "reminder": reminder,
        "at": NOW,
        **fields,
    }
    return ActivityRecorded(originator_id=AID, originator_version=1, originator_topic=Activity.TOPIC, **values)


def then(cls: type[DomainEvent], version: int, **fields: Any) -> DomainEvent:
    return cls(originator_id=AID, originator_version=version, **fields)


# -- what an activity needs ------------------------------------------------------------------------


def test_a_call_is_recorded_with_its_timing_and_a_pending_reminder() -> None:
    timing = Timing(start_at=at("10:00"), end_at=at("10:30"), remind_minutes_before=15)
    activity = (
        given()
        .when(lambda _: plan(timing=timing))
        .then(like(ActivityRecorded, timing=timing, reminder=Reminder(at=at("09:45")), forced=False))
    )
    assert activity.status is ActivityStatus.OPEN
    assert activity.reminder == Reminder(at=at("09:45"), status=ReminderStatus.PENDING)


@pytest.mark.parametrize("kind", [ActivityKind.CALL, ActivityKind.MEETING, ActivityKind.TASK])
def test_a_dated_kind_needs_a_start_or_a_due_date(kind: ActivityKind) -> None:
    error = given().when(lambda _: plan(kind, Timing())).then_raises(Invalid)
    assert error.errors[0]["loc"] == ["body", "start_at"]
    given().when(lambda _: plan(kind, Timing(due_on=date(2026, 1, 22)))).then(ActivityRecorded)


def test_an_email_or_a_note_needs_no_time_and_a_note_is_done_when_recorded() -> None:
    given().when(lambda _: plan(ActivityKind.EMAIL, Timing())).then(ActivityRecorded)
    note = given().when(lambda _: plan(ActivityKind.NOTE, Timing())).then(ActivityRecorded)
    assert (note.status, note.completed_at) == (ActivityStatus.COMPLETED, NOW)


@pytest.mark.parametrize(
    ("timing", "field"),
    [
        (Timing(start_at=at("10:00"), end_at=at("09:59")), "end_at"),
        (Timing(due_on=date(2026, 1, 20), end_at=at("10:00")), "end_at"),
        (Timing(due_on=date(2026, 1, 20), remind_minutes_before=10), "remind_minutes_before"),
    ],
)
def test_inconsistent_timings_are_refused(timing: Timing, field: str) -> None:
    error = given().when(lambda _: plan(ActivityKind.TASK, timing)).then_raises(Invalid)
    assert error.errors[0]["loc"] == ["body", field]


def test_an_end_equal_to_the_start_is_a_moment() -> None:
    given().when(lambda _: plan(timing=Timing(start_at=at("10:00"), end_at=at("10:00")))).then(ActivityRecorded)


def test_a_reminder_needs_an_assignee_and_a_note_has_none() -> None:
    timing = Timing(start_at=at("10:00"), remind_minutes_before=10)
    error = given().when(lambda _: plan(timing=timing, assignee=None)).then_raises(Invalid)
    assert error.errors[0]["loc"] == ["body", "remind_minutes_before"]
    error = given().when(lambda _: plan(ActivityKind.NOTE, timing)).then_raises(Invalid)
    assert error.errors[0]["loc"] == ["body", "remind_minutes_before"]


def test_an_activity_that_has_begun_gets_no_reminder() -> None:
    timing = Timing(start_at=at("10:00"), remind_minutes_before=30)
    begun = given().when(lambda _: plan(timing=timing, now=at("10:00"))).then(like(ActivityRecorded, reminder=None))
    assert begun.reminder is None
    # Its moment has passed but the call has not begun: the reminder is due at once.
    late = given().when(lambda _: plan(timing=timing, now=at("09:50"))).then(ActivityRecorded)
    assert late.reminder_due(at("09:30"), at("09:50"))


# -- availability hours ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("09:00", None),  # the window opens
        ("11:59", None),
        ("09:00", "12:00"),  # the whole window
        ("11:30", "12:00"),  # ends as it closes
        ("13:00", "17:00"),
        ("16:59", "17:00"),
    ],
)
def test_a_call_within_the_contacts_hours_is_planned(start: str, end: str | None) -> None:
    timing = Timing(start_at=at(start), end_at=at(end) if end else None)
    given().when(lambda _: plan(timing=timing)).then(like(ActivityRecorded, forced=False))


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("08:59", None),  # a minute before the window
        ("08:59", "09:30"),
        ("12:00", None),  # the moment the window closes
        ("11:30", "12:01"),  # a minute too long
        ("11:30", "13:30"),  # over the lunch break
        ("17:00", None),
        ("20:00", "20:30"),
    ],
)
def test_a_call_outside_the_contacts_hours_is_refused_unless_forced(start: str, end: str | None) -> None:
    timing = Timing(start_at=at(start), end_at=at(end) if end else None)
    error = given().when(lambda _: plan(timing=timing)).then_raises(Conflict, "contact_unavailable")
    assert "Tuesday" in error.detail and "09:00-12:00, 13:00-17:00" in error.detail
    given().when(lambda _: plan(timing=timing, force=True)).then(like(ActivityRecorded, forced=True))


def test_hours_are_read_in_the_business_time_zone() -> None:
    # 08:30 UTC is 09:30 in Vienna: inside; 11:30 UTC is 12:30 in Vienna: the lunch break.
    given().when(lambda _: plan(timing=Timing(start_at=at("08:30", UTC)))).then(ActivityRecorded)
    given().when(lambda _: plan(timing=Timing(start_at=at("11:30", UTC)))).then_raises(Conflict, "contact_unavailable")


def test_touching_windows_make_one_and_other_days_have_none() -> None:
    joined = (Availability(weekday=2, start="09:00", end="12:00"), Availability(weekday=2, start="12:00", end="15:00"))
    assert outside_hours(joined, Timing(start_at=at("11:00"), end_at=at("14:00")), VIENNA) is None
    wednesday = Timing(start_at=at("10:00") + timedelta(days=1))
    why = outside_hours(HOURS, wednesday, VIENNA)
    assert why is not None and "Wednesday" in why and "none" in why
    overnight = Timing(start_at=at("16:00"), end_at=at("16:00") + timedelta(days=1))
    assert outside_hours(HOURS, overnight, VIENNA) is not None


def test_hours_apply_to_calls_and_meetings_only_and_no_hours_mean_any_time() -> None:
    early = Timing(start_at=at("06:00"))
    given().when(lambda _: plan(ActivityKind.TASK, early)).then(like(ActivityRecorded, forced=False))
    given().when(lambda _: plan(ActivityKind.MEETING, early)).then_raises(Conflict, "contact_unavailable")
    given().when(lambda _: plan(ActivityKind.MEETING, early, hours=())).then(like(ActivityRecorded, forced=False))


# -- rescheduling, reassigning, completing ---------------------------------------------------------


def test_rescheduling_checks_the_hours_and_moves_the_reminder() -> None:
    history = [recorded(Timing(start_at=at("10:00"), remind_minutes_before=15), Reminder(at=at("09:45")))]
    later = Timing(start_at=at("14:00"), remind_minutes_before=15)
    moved = (
        given(*history)
        .when(lambda a: a.reschedule(later, NOW, HOURS, VIENNA))
        .then(like(ActivityRescheduled, timing=later, reminder=Reminder(at=at("13:45")), forced=False))
    )
    assert moved.reminder_due(at("13:45"), at("13:45")) and not moved.reminder_due(at("09:45"), at("13:45"))
    lunch = Timing(start_at=at("12:30"))
    given(*history).when(lambda a: a.reschedule(lunch, NOW, HOURS, VIENNA)).then_raises(Conflict, "contact_unavailable")
    given(*history).when(lambda a: a.reschedule(history[0].timing, NOW, HOURS, VIENNA)).then()


def test_a_new_due_date_keeps_a_sent_reminder() -> None:
    timing = Timing(start_at=at("10:00"), remind_minutes_before=15)
    history = [
        recorded(timing, Reminder(at=at("09:45"))),
        then(ReminderSent, 2, reminder_at=at("09:45"), message=MESSAGE, at=at("09:45")),
    ]
    with_due = timing.model_copy(update={"due_on": date(2026, 1, 21)})
    sent = Reminder(at=at("09:45"), status=ReminderStatus.SENT, message=MESSAGE)
    given(*history).when(lambda a: a.reschedule(with_due, NOW, HOURS, VIENNA)).then(
        like(ActivityRescheduled, reminder=sent)
    )


def test_a_reminder_is_sent_once_and_only_when_due() -> None:
    history = [recorded(Timing(start_at=at("10:00"), remind_minutes_before=15), Reminder(at=at("09:45")))]
    given(*history).when(lambda a: a.note_reminder_sent(at("09:45"), MESSAGE, at("09:44"))).then()
    activity = (
        given(*history)
        .when(lambda a: a.note_reminder_sent(at("09:45"), MESSAGE, at("09:45")))
        .then(like(ReminderSent, reminder_at=at("09:45"), message=MESSAGE))
    )
    assert not activity.reminder_due(at("09:45"), at("09:50"))
    sent = [*history, then(ReminderSent, 2, reminder_at=at("09:45"), message=MESSAGE, at=at("09:45"))]
    given(*sent).when(lambda a: a.note_reminder_sent(at("09:45"), MESSAGE, at("09:46"))).then()
    given(*sent).when(lambda a: a.skip_reminder(at("09:45"), "no_email", at("09:46"))).then()


def test_a_reminder_that_cannot_go_out_is_skipped_with_its_reason() -> None:
    history = [recorded(Timing(start_at=at("10:00"), remind_minutes_before=15), Reminder(at=at("09:45")))]
    skipped = (
        given(*history)
        .when(lambda a: a.skip_reminder(at("09:45"), "no_email", at("09:45")))
        .then(like(ReminderSkipped, reason="no_email"))
    )
    assert skipped.reminder == Reminder(at=at("09:45"), status=ReminderStatus.SKIPPED, reason="no_email")


def test_a_completed_activity_is_not_reminded_rescheduled_or_reassigned() -> None:
    history = [
        recorded(Timing(start_at=at("10:00"), remind_minutes_before=15), Reminder(at=at("09:45"))),
        then(ActivityCompleted, 2, at=at("09:00"), outcome="Agreed"),
    ]
    given(*history).when(lambda a: a.note_reminder_sent(at("09:45"), MESSAGE, at("09:45"))).then()
    given(*history).when(lambda a: a.reschedule(Timing(start_at=at("14:00")), NOW)).then_raises(
        Conflict, "activity_completed"
    )
    given(*history).when(lambda a: a.reassign("luca")).then_raises(Conflict, "activity_completed")
    # Completing again changes nothing.
    given(*history).when(lambda a: a.complete(at("11:00"))).then()


def test_completing_records_when_and_the_outcome() -> None:
    done = (
        given(recorded(Timing(start_at=at("10:00"))))
        .when(lambda a: a.complete(at("10:40"), "Renewal agreed"))
        .then(like(ActivityCompleted, at=at("10:40"), outcome="Renewal agreed"))
    )
    assert (done.status, done.completed_at, done.outcome) == (ActivityStatus.COMPLETED, at("10:40"), "Renewal agreed")


def test_reassigning_needs_someone_while_a_reminder_is_asked_for() -> None:
    history = [recorded(Timing(start_at=at("10:00"), remind_minutes_before=15), Reminder(at=at("09:45")))]
    given(*history).when(lambda a: a.reassign("luca")).then(like(ActivityReassigned, assignee="luca"))
    given(*history).when(lambda a: a.reassign("anna")).then()
    given(*history).when(lambda a: a.reassign(None)).then_raises(Invalid)
    plain = [recorded(Timing(due_on=date(2026, 1, 22)), kind=ActivityKind.TASK)]
    given(*plain).when(lambda a: a.reassign(None)).then(like(ActivityReassigned, assignee=None))
