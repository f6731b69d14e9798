"""Activity reminders: when the clock passes an activity's reminder moment (start minus
``remind_minutes_before``), the assignee gets one e-mail.

The clock moves to each pending reminder moment (see ``next_reminder``), so a ``ClockMoved`` (or a
``DayStarted``) at or after it finds the reminder due; an activity planned or rescheduled with its
moment already past (but its start still ahead) is reminded at once. The message id is derived
from the activity and the moment, and the activity records the reminder, so it goes out once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aggregates.activity import ActivityRecorded, ActivityRescheduled
from aggregates.business_clock import ClockMoved, DayStarted
from commands.activities import SendActivityReminder, send_activity_reminder
from processes.base import Acts, Reactions

activity_reminders = Reactions("activity_reminders")


def _send_due(acts: Acts, now: datetime) -> None:
    for activity, at in acts.reads.activities.reminders_due(now):
        acts.run(send_activity_reminder, SendActivityReminder(activity=activity, at=at))


@activity_reminders.on(ClockMoved)
def clock_moved(e: ClockMoved, acts: Acts) -> None:
    _send_due(acts, e.now)


@activity_reminders.on(DayStarted)
def day_started(e: DayStarted, acts: Acts) -> None:
    _send_due(acts, e.at)


@activity_reminders.on(ActivityRecorded, ActivityRescheduled)
def planned(e: ActivityRecorded | ActivityRescheduled, acts: Acts) -> None:
    if e.reminder is not None and e.meta is not None and e.meta.business_time is not None:
        _send_due(acts, e.meta.business_time)


@activity_reminders.moment
def next_reminder(reads: Any, after: datetime) -> datetime | None:
    return reads.activities.next_reminder(after)  # type: ignore[no-any-return]
