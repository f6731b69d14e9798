"""Recurring invoices: schedule math from the anchor, what is due, catch-up, suspend and resume."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from aggregates.base import DomainEvent, natural_id
from aggregates.errors import Conflict
from aggregates.recurring_invoice import (
    Frequency,
    RecurringInvoice,
    RecurringInvoiceCreated,
    RecurringInvoiceFinished,
    RecurringInvoiceGenerated,
    RecurringInvoiceResumed,
    RecurringInvoiceSuspended,
    RecurringStatus,
    Schedule,
    TemplateLine,
    Unit,
    add_months,
    occurrence,
)
from tests.gwt import given, like, replay

TEMPLATE = UUID("00000000-0000-4000-8000-0000000000c1")
PARTNER = UUID("00000000-0000-4000-8000-0000000000b1")
LINE = TemplateLine(product="Hosting", quantity=Decimal("1"), unit_price=Decimal("49.90"), tax_rate=Decimal("20"))
MONTHLY = Frequency(unit=Unit.MONTH)


def d(text: str) -> date:
    return date.fromisoformat(text)


def schedule(first: str = "2026-01-31", frequency: Frequency = MONTHLY, **extra: Any) -> Schedule:
    return Schedule(partner=PARTNER, lines=(LINE,), frequency=frequency, first_date=d(first), **extra)


def created(**kwargs: Any) -> DomainEvent:
    return RecurringInvoiceCreated(
        originator_id=TEMPLATE,
        originator_version=1,
        originator_topic=RecurringInvoice.TOPIC,
        schedule=schedule(**kwargs),
    )


def template(*events: DomainEvent) -> RecurringInvoice:
    built = replay(events)
    assert isinstance(built, RecurringInvoice)
    return built


def dates(anchor: str, frequency: Frequency, n: int) -> list[str]:
    return [occurrence(d(anchor), frequency, i).isoformat() for i in range(n)]


def generate_due(t: RecurringInvoice, today: date) -> list[date]:
    """What the day-start job does: one invoice per due schedule date."""
    made = t.due_dates(today)
    for when in made:
        t.record_generated(t.invoice_id(when), when, today)
    return made


# -- schedule math ---------------------------------------------------------------------------------


def test_monthly_from_january_31_never_drifts() -> None:
    assert dates("2026-01-31", MONTHLY, 6) == [
        "2026-01-31",
        "2026-02-28",
        "2026-03-31",
        "2026-04-30",
        "2026-05-31",
        "2026-06-30",
    ]


def test_monthly_from_january_31_in_a_leap_year() -> None:
    assert dates("2028-01-31", MONTHLY, 3) == ["2028-01-31", "2028-02-29", "2028-03-31"]


def test_monthly_across_the_year_end() -> None:
    assert dates("2026-11-30", MONTHLY, 4) == ["2026-11-30", "2026-12-30", "2027-01-30", "2027-02-28"]
    assert dates("2026-10-31", Frequency(unit=Unit.MONTH, interval=3), 4) == [
        "2026-10-31",
        "2027-01-31",
        "2027-04-30",
        "2027-07-31",
    ]
    assert dates("2026-12-15", Frequency(unit=Unit.MONTH, interval=14), 2) == ["2026-12-15", "2028-02-15"]


def test_yearly_from_february_29() -> None:
    assert dates("2028-02-29", Frequency(unit=Unit.YEAR), 5) == [
        "2028-02-29",
        "2029-02-28",
        "2030-02-28",
        "2031-02-28",
        "2032-02-29",
    ]
    assert dates("2028-02-29", Frequency(unit=Unit.YEAR, interval=2), 3) == ["2028-02-29", "2030-02-28", "2032-02-29"]


def test_weekly_and_daily_intervals() -> None:
    assert dates("2026-01-05", Frequency(unit=Unit.WEEK), 3) == ["2026-01-05", "2026-01-12", "2026-01-19"]
    assert dates("2026-12-21", Frequency(unit=Unit.WEEK, interval=2), 3) == ["2026-12-21", "2027-01-04", "2027-01-18"]
    assert dates("2026-02-27", Frequency(unit=Unit.DAY), 3) == ["2026-02-27", "2026-02-28", "2026-03-01"]
    assert dates("2028-02-27", Frequency(unit=Unit.DAY, interval=3), 3) == ["2028-02-27", "2028-03-01", "2028-03-04"]


@pytest.mark.parametrize(
    ("anchor", "months", "expected"),
    [
        ("2026-01-31", 1, "2026-02-28"),
        ("2026-01-31", 13, "2027-02-28"),
        ("2026-03-31", -1, "2026-02-28"),
        ("2026-01-15", 0, "2026-01-15"),
        ("2026-12-31", 2, "2027-02-28"),
        ("2027-12-31", 2, "2028-02-29"),
    ],
)
def test_add_months(anchor: str, months: int, expected: str) -> None:
    assert add_months(d(anchor), months) == d(expected)


# -- creating --------------------------------------------------------------------------------------


def test_create_a_template() -> None:
    s = schedule(max_count=12, days_ahead=3)
    t = (
        given()
        .when(lambda _: RecurringInvoice.create(TEMPLATE, s))
        .then(like(RecurringInvoiceCreated, originator_id=TEMPLATE, schedule=s))
    )
    assert (t.status, t.count, t.index, t.invoices, t.next_date) == (RecurringStatus.ACTIVE, 0, 0, [], d("2026-01-31"))


def test_create_refusals() -> None:
    given().when(lambda _: RecurringInvoice.create(TEMPLATE, schedule().model_copy(update={"lines": ()}))).then_raises(
        Conflict, code="lines_required"
    )
    given().when(lambda _: RecurringInvoice.create(TEMPLATE, schedule(end_date=d("2026-01-30")))).then_raises(
        Conflict, code="end_before_start"
    )
    # Ending on the first date is one invoice.
    given().when(lambda _: RecurringInvoice.create(TEMPLATE, schedule(end_date=d("2026-01-31")))).then(
        RecurringInvoiceCreated
    )


# -- what is due -----------------------------------------------------------------------------------


def test_nothing_is_due_before_the_first_date() -> None:
    assert template(created()).due_dates(d("2026-01-30")) == []
    assert template(created()).due_dates(d("2026-01-31")) == [d("2026-01-31")]


def test_days_ahead_generates_early() -> None:
    t = template(created(first="2026-02-01", days_ahead=5))
    assert t.due_dates(d("2026-01-26")) == []
    assert t.due_dates(d("2026-01-27")) == [d("2026-02-01")]
    assert t.due_dates(d("2026-02-26")) == [d("2026-02-01"), d("2026-03-01")]


def test_end_date_bounds_the_due_dates() -> None:
    t = template(created(end_date=d("2026-04-29")))
    assert t.due_dates(d("2026-12-31")) == [d("2026-01-31"), d("2026-02-28"), d("2026-03-31")]
    t = template(created(end_date=d("2026-04-30")))
    assert t.due_dates(d("2026-12-31"))[-1] == d("2026-04-30")


def test_max_count_bounds_the_due_dates_including_those_made() -> None:
    t = template(created(max_count=2))
    assert t.due_dates(d("2026-12-31")) == [d("2026-01-31"), d("2026-02-28")]
    t = template(
        created(max_count=2),
        RecurringInvoiceGenerated(
            originator_id=TEMPLATE,
            originator_version=2,
            invoice=UUID(int=1),
            schedule_date=d("2026-01-31"),
            count=1,
            next_index=1,
            next_date=d("2026-02-28"),
        ),
    )
    assert t.due_dates(d("2026-12-31")) == [d("2026-02-28")]


def test_catch_up_after_an_outage_makes_one_per_missed_date_never_twice() -> None:
    t = template(created())
    assert generate_due(t, d("2026-04-01")) == [d("2026-01-31"), d("2026-02-28"), d("2026-03-31")]
    events = t.collect_events()
    assert [(type(e), e.schedule_date, e.count, e.next_date) for e in events] == [  # type: ignore[attr-defined]
        (RecurringInvoiceGenerated, d("2026-01-31"), 1, d("2026-02-28")),
        (RecurringInvoiceGenerated, d("2026-02-28"), 2, d("2026-03-31")),
        (RecurringInvoiceGenerated, d("2026-03-31"), 3, d("2026-04-30")),
    ]
    assert t.invoices == [
        natural_id("recurring-invoice", TEMPLATE, x) for x in ("2026-01-31", "2026-02-28", "2026-03-31")
    ]
    # Running the same day again, or the next days, finds nothing new.
    assert t.due_dates(d("2026-04-01")) == []
    assert t.due_dates(d("2026-04-29")) == []
    assert t.due_dates(d("2026-04-30")) == [d("2026-04-30")]
    assert (t.count, t.next_date) == (3, d("2026-04-30"))


def test_a_partial_catch_up_goes_on_from_where_it_stopped() -> None:
    t = template(created())
    made = t.due_dates(d("2026-04-01"))
    t.record_generated(t.invoice_id(made[0]), made[0], d("2026-04-01"))
    assert t.due_dates(d("2026-04-01")) == [d("2026-02-28"), d("2026-03-31")]


def test_the_invoice_id_of_a_schedule_date_is_stable() -> None:
    t = template(created())
    assert t.invoice_id(d("2026-02-28")) == template(created()).invoice_id(d("2026-02-28"))
    assert t.invoice_id(d("2026-02-28")) != t.invoice_id(d("2026-03-31"))


def test_record_generated() -> None:
    t = (
        given(created())
        .when(lambda t: t.record_generated(UUID(int=1), d("2026-01-31"), d("2026-01-31")))
        .then(
            like(
                RecurringInvoiceGenerated,
                originator_version=2,
                invoice=UUID(int=1),
                schedule_date=d("2026-01-31"),
                count=1,
                next_index=1,
                next_date=d("2026-02-28"),
            )
        )
    )
    assert (t.count, t.index, t.invoices, t.status) == (1, 1, [UUID(int=1)], RecurringStatus.ACTIVE)


# -- finishing -------------------------------------------------------------------------------------


def test_finished_after_max_count() -> None:
    history = [
        created(max_count=2),
        RecurringInvoiceGenerated(
            originator_id=TEMPLATE,
            originator_version=2,
            invoice=UUID(int=1),
            schedule_date=d("2026-01-31"),
            count=1,
            next_index=1,
            next_date=d("2026-02-28"),
        ),
    ]
    t = (
        given(*history)
        .when(lambda t: t.record_generated(UUID(int=2), d("2026-02-28"), d("2026-03-01")))
        .then(like(RecurringInvoiceGenerated, count=2), like(RecurringInvoiceFinished, on=d("2026-03-01")))
    )
    assert t.status is RecurringStatus.FINISHED
    assert t.due_dates(d("2027-01-01")) == []


def test_finished_when_the_next_date_passes_the_end_date() -> None:
    t = template(created(end_date=d("2026-03-15")))
    assert generate_due(t, d("2026-12-31")) == [d("2026-01-31"), d("2026-02-28")]
    assert [type(e) for e in t.collect_events()] == [
        RecurringInvoiceGenerated,
        RecurringInvoiceGenerated,
        RecurringInvoiceFinished,
    ]
    assert t.status is RecurringStatus.FINISHED


def test_a_finished_template_is_neither_suspended_nor_resumed() -> None:
    t = template(created(max_count=1))
    generate_due(t, d("2026-02-01"))
    history = [created(max_count=1), *t.collect_events()]
    assert template(*history).status is RecurringStatus.FINISHED
    given(*history).when(lambda t: t.suspend(d("2026-02-01"))).then_raises(Conflict, code="recurring_finished")
    given(*history).when(lambda t: t.resume(d("2026-02-01"))).then_raises(Conflict, code="recurring_finished")


# -- suspending and resuming -----------------------------------------------------------------------


def _generated_january() -> DomainEvent:
    return RecurringInvoiceGenerated(
        originator_id=TEMPLATE,
        originator_version=2,
        invoice=UUID(int=1),
        schedule_date=d("2026-01-31"),
        count=1,
        next_index=1,
        next_date=d("2026-02-28"),
    )


def _suspended(version: int = 3, on: str = "2026-02-10") -> DomainEvent:
    return RecurringInvoiceSuspended(originator_id=TEMPLATE, originator_version=version, on=d(on))


def test_suspend_stops_generation() -> None:
    t = (
        given(created(), _generated_january())
        .when(lambda t: t.suspend(d("2026-02-10")))
        .then(like(RecurringInvoiceSuspended, on=d("2026-02-10")))
    )
    assert t.status is RecurringStatus.SUSPENDED
    assert t.due_dates(d("2026-06-01")) == []
    given(created(), _generated_january(), _suspended()).when(lambda t: t.suspend(d("2026-02-11"))).then()


def test_resume_skips_the_dates_passed_while_suspended() -> None:
    t = (
        given(created(), _generated_january(), _suspended())
        .when(lambda t: t.resume(d("2026-04-15")))
        .then(like(RecurringInvoiceResumed, on=d("2026-04-15"), next_index=3, next_date=d("2026-04-30")))
    )
    assert t.status is RecurringStatus.ACTIVE
    assert t.next_date == d("2026-04-30")
    assert t.count == 1
    assert t.due_dates(d("2026-04-29")) == []
    assert generate_due(t, d("2026-05-31")) == [d("2026-04-30"), d("2026-05-31")]


def test_resume_on_a_schedule_date_keeps_that_date() -> None:
    t = (
        given(created(), _generated_january(), _suspended())
        .when(lambda t: t.resume(d("2026-03-31")))
        .then(like(RecurringInvoiceResumed, next_index=2, next_date=d("2026-03-31")))
    )
    assert t.due_dates(d("2026-03-31")) == [d("2026-03-31")]


def test_resume_before_the_next_date_skips_nothing() -> None:
    given(created(), _generated_january(), _suspended()).when(lambda t: t.resume(d("2026-02-20"))).then(
        like(RecurringInvoiceResumed, next_index=1, next_date=d("2026-02-28"))
    )


def test_resuming_past_the_end_date_finishes() -> None:
    history = [created(end_date=d("2026-03-15")), _generated_january(), _suspended()]
    t = (
        given(*history)
        .when(lambda t: t.resume(d("2026-03-20")))
        .then(
            like(RecurringInvoiceResumed, next_index=2, next_date=d("2026-03-31")),
            like(RecurringInvoiceFinished, on=d("2026-03-20")),
        )
    )
    assert t.status is RecurringStatus.FINISHED


def test_resuming_an_active_template_records_nothing() -> None:
    given(created(), _generated_january()).when(lambda t: t.resume(d("2026-04-15"))).then()
