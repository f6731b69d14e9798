"""The sales reps' calls, meetings, tasks and notes over the walk's last four weeks: calls and
meetings within the contact's hours and reminded before they start, most completed afterwards,
some tasks left open past their due date, and the last ones planned beyond the walk's end with
their reminders pending (data/activities.toml). Their own generator keeps the sales figures as
they are."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Any
from uuid import UUID

from sqlalchemy import select

from aggregates.activity import ActivityKind
from aggregates.partner_contacts import Availability
from commands.activities import CompleteActivity, RecordActivity, complete_activity, record_activity
from services.cli.demo.context import REPS, SEED
from services.cli.demo.market import Customer, LateChapter
from services.cli.demo.reference import load

ACTIVITIES_SEED = SEED + 1095
ACTIVITY_WINDOW = 28  # the reps plan their activities over the walk's last four weeks
ACTIVITY_PLANS = 48
ACTIVITY_KINDS = (("call", 45), ("meeting", 15), ("task", 30), ("note", 10))
ACTIVITIES = load("activities")
OFFICE_HOURS = tuple(Availability(weekday=d, start="09:00", end="17:00") for d in range(1, 6))


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


class Activities(LateChapter):
    def plan(self) -> None:
        """Puts each activity on the agenda for the day its rep records it."""
        rng = random.Random(ACTIVITIES_SEED)
        customers = [c for c in self.customers if not c.held]
        if not customers:
            return
        first = self.first_day(ACTIVITY_WINDOW)
        kinds, weights = [k for k, _ in ACTIVITY_KINDS], [w for _, w in ACTIVITY_KINDS]
        for n in range(ACTIVITY_PLANS):
            customer = rng.choice(customers)
            rep = customer.rep if customer.rep in REPS else REPS[n % len(REPS)]
            kind = rng.choices(kinds, weights)[0]
            day = first + timedelta(days=rng.randint(0, max(0, (self.end - first).days)))
            own = random.Random(rng.random())
            self.agenda.at(day, partial(self.record, own, ActivityKind(kind), customer, rep))

    def record(self, rng: random.Random, kind: ActivityKind, customer: Customer, rep: str, _day: date) -> None:
        partner = self.demo.get(customer.ref)
        contacts = [c for c in partner.contacts.values() if c.active]
        contact = rng.choice(contacts) if contacts else None
        command: dict[str, Any] = {
            "kind": kind.value,
            "partner": customer.ref,
            "contact": contact.id if contact else None,
            "subject": rng.choice(ACTIVITIES["subjects"][kind.value]),
            "assignee": rep,
        }
        if kind is ActivityKind.TASK:
            due = self.demo.today() + timedelta(days=rng.randint(1, 6))
            result = self.demo.run(record_activity, RecordActivity.model_validate({**command, "due_on": due}), rep)
            if rng.random() < 0.6:  # the rest stay open: overdue once their date has passed
                self.agenda.at(due - timedelta(days=rng.randint(0, 1)), partial(self.complete, result.id, None, rep))
            return
        if kind is ActivityKind.NOTE:
            self.demo.run(record_activity, RecordActivity.model_validate({**command, "assignee": None}), rep)
            return
        minutes = 60 if kind is ActivityKind.MEETING else 30
        slot = self.slot(rng, contact.availability if contact and contact.availability else OFFICE_HOURS, minutes)
        if slot is None:
            return
        start, end = slot
        timing = {"start_at": start, "end_at": end, "remind_minutes_before": rng.choice((15, 30, 60))}
        result = self.demo.run(record_activity, RecordActivity.model_validate({**command, **timing}), rep)
        if rng.random() < 0.75:
            done = partial(self.complete, result.id, rng.choice(ACTIVITIES["outcomes"]), rep)
            self.agenda.at(start.date() + timedelta(days=1), done)

    def slot(
        self, rng: random.Random, hours: tuple[Availability, ...], minutes: int
    ) -> tuple[datetime, datetime] | None:
        """A start on the half hour within the hours, one to six days from today, and its end."""
        zone = self.demo.container.clock.zone
        for ahead in rng.sample(range(1, 7), 6):
            day = self.demo.today() + timedelta(days=ahead)
            starts = [
                datetime.combine(day, time(0), zone) + timedelta(minutes=m)
                for a in hours
                if a.weekday == day.isoweekday()
                for m in range(_minutes(a.start), _minutes(a.end) - minutes + 1, 30)
            ]
            if starts:
                start = rng.choice(starts)
                return start, start + timedelta(minutes=minutes)
        return None

    def complete(self, activity: UUID | None, outcome: str | None, rep: str, _day: date) -> None:
        assert activity is not None
        self.demo.run(complete_activity, CompleteActivity(activity=activity, outcome=outcome), rep)

    def summary(self) -> str:
        table = self.demo.container.catalog.table("activities", "activities")
        with self.demo.container.engine.connect() as conn:
            rows = conn.execute(select(table.c.kind, table.c.status, table.c.due_on, table.c.reminder_status)).all()
        kinds = ", ".join(f"{sum(1 for r in rows if r.kind == k)} {k}s" for k, _ in ACTIVITY_KINDS)
        done = sum(1 for r in rows if r.status == "completed")
        overdue = sum(1 for r in rows if r.status == "open" and r.due_on is not None and r.due_on < self.demo.today())
        reminded = sum(1 for r in rows if r.reminder_status == "sent")
        pending = sum(1 for r in rows if r.reminder_status == "pending")
        return (
            f"activities: {len(rows)} ({kinds}; {done} completed, {overdue} overdue; "
            f"{reminded} reminders sent, {pending} pending)"
        )
