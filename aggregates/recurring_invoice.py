"""Recurring invoices: a template that makes one invoice per schedule date.

Schedule dates are computed from the first date (the anchor), never from the previous date, so a
monthly schedule from January 31 runs Feb 28, Mar 31, Apr 30 without drifting."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import Decimal
from enum import Enum
from uuid import UUID

from aggregates.base import Aggregate, CreatedEvent, DomainEvent, Value, event, natural_id
from aggregates.errors import conflict


class Unit(Enum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


class RecurringStatus(Enum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    FINISHED = "finished"


class Frequency(Value):
    unit: Unit
    interval: int = 1


class TemplateLine(Value):
    product: str
    description: str = ""
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal = Decimal("0")
    tax_rate: Decimal = Decimal("0")
    unit_cost: Decimal = Decimal("0")


class Schedule(Value):
    partner: UUID
    lines: tuple[TemplateLine, ...]
    frequency: Frequency
    first_date: date
    end_date: date | None = None
    max_count: int | None = None
    auto_issue: bool = True
    send_email: bool = False
    payment_terms_days: int = 30
    days_ahead: int = 0
    currency: str = "EUR"


def add_months(anchor: date, months: int) -> date:
    month_index = anchor.month - 1 + months
    year, month = anchor.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(anchor.day, calendar.monthrange(year, month)[1]))


def occurrence(anchor: date, frequency: Frequency, n: int) -> date:
    """The n-th schedule date (0 is the anchor)."""
    step = frequency.interval * n
    if frequency.unit is Unit.DAY:
        return anchor + timedelta(days=step)
    if frequency.unit is Unit.WEEK:
        return anchor + timedelta(weeks=step)
    if frequency.unit is Unit.MONTH:
        return add_months(anchor, step)
    return add_months(anchor, 12 * step)


class RecurringInvoiceCreated(CreatedEvent):
    TOPIC = "counterparty.recurring.RecurringInvoiceCreated.v1"
    schedule: Schedule


class RecurringInvoiceGenerated(DomainEvent):
    TOPIC = "counterparty.recurring.RecurringInvoiceGenerated.v1"
    invoice: UUID
    schedule_date: date
    count: int
    next_index: int
    next_date: date


class RecurringInvoiceSuspended(DomainEvent):
    TOPIC = "counterparty.recurring.RecurringInvoiceSuspended.v1"
    on: date


class RecurringInvoiceResumed(DomainEvent):
    """Schedule dates that passed while suspended are skipped, not billed late."""

    TOPIC = "counterparty.recurring.RecurringInvoiceResumed.v1"
    on: date
    next_index: int
    next_date: date


class RecurringInvoiceFinished(DomainEvent):
    TOPIC = "counterparty.recurring.RecurringInvoiceFinished.v1"
    on: date


class RecurringInvoice(Aggregate):
    TOPIC = "counterparty.recurring.RecurringInvoice"
    SNAPSHOT_EVERY = 50

    schedule: Schedule
    count: int
    index: int
    status: RecurringStatus
    invoices: list[UUID]

    @classmethod
    def create(cls, id: UUID, schedule: Schedule) -> RecurringInvoice:
        if not schedule.lines:
            raise conflict("lines_required", "a recurring invoice needs at least one line")
        if schedule.end_date is not None and schedule.end_date < schedule.first_date:
            raise conflict("end_before_start", "the end date is before the first date")
        return cls._create(RecurringInvoiceCreated, id=id, schedule=schedule)

    @event(RecurringInvoiceCreated)
    def _created(self, schedule: Schedule) -> None:
        self.schedule = schedule
        self.count = 0
        self.index = 0
        self.status = RecurringStatus.ACTIVE
        self.invoices = []

    @property
    def next_date(self) -> date:
        return occurrence(self.schedule.first_date, self.schedule.frequency, self.index)

    def _exhausted(self) -> bool:
        s = self.schedule
        return (s.max_count is not None and self.count >= s.max_count) or (
            s.end_date is not None and self.next_date > s.end_date
        )

    def invoice_id(self, schedule_date: date) -> UUID:
        """The invoice of one schedule date: a repeated run finds it taken instead of making another."""
        return natural_id("recurring-invoice", self.id, schedule_date.isoformat())

    def due_dates(self, today: date) -> list[date]:
        """Schedule dates whose invoice is due by ``today`` (generation runs ``days_ahead`` early)."""
        if self.status is not RecurringStatus.ACTIVE:
            return []
        dates = []
        n, made = self.index, self.count
        while True:
            when = occurrence(self.schedule.first_date, self.schedule.frequency, n)
            if self.schedule.max_count is not None and made >= self.schedule.max_count:
                break
            if self.schedule.end_date is not None and when > self.schedule.end_date:
                break
            if when - timedelta(days=self.schedule.days_ahead) > today:
                break
            dates.append(when)
            n += 1
            made += 1
        return dates

    def record_generated(self, invoice: UUID, schedule_date: date, on: date) -> None:
        index = self.index + 1
        next_date = occurrence(self.schedule.first_date, self.schedule.frequency, index)
        self._generated(
            invoice=invoice, schedule_date=schedule_date, count=self.count + 1, next_index=index, next_date=next_date
        )
        if self._exhausted():
            self._finished(on=on)

    @event(RecurringInvoiceGenerated)
    def _generated(self, invoice: UUID, count: int, next_index: int) -> None:
        self.count = count
        self.index = next_index
        self.invoices.append(invoice)

    @event(RecurringInvoiceFinished)
    def _finished(self, on: date) -> None:
        self.status = RecurringStatus.FINISHED

    def suspend(self, on: date) -> None:
        if self.status is RecurringStatus.FINISHED:
            raise conflict("recurring_finished", "the schedule has finished")
        if self.status is RecurringStatus.ACTIVE:
            self._suspended(on=on)

    @event(RecurringInvoiceSuspended)
    def _suspended(self, on: date) -> None:
        self.status = RecurringStatus.SUSPENDED

    def resume(self, on: date) -> None:
        if self.status is RecurringStatus.FINISHED:
            raise conflict("recurring_finished", "the schedule has finished")
        if self.status is RecurringStatus.SUSPENDED:
            index = self.index
            while occurrence(self.schedule.first_date, self.schedule.frequency, index) < on:
                index += 1
            next_date = occurrence(self.schedule.first_date, self.schedule.frequency, index)
            self._resumed(on=on, next_index=index, next_date=next_date)
            if self._exhausted():
                self._finished(on=on)

    @event(RecurringInvoiceResumed)
    def _resumed(self, next_index: int) -> None:
        self.index = next_index
        self.status = RecurringStatus.ACTIVE
