"""Interest notes on the in-memory store: interest for lateness in a period, on invoices paid late
and on those still overdue at its end, never charging an invoice's day twice."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from aggregates.account import ItemKind, ReceivableBooked
from aggregates.collection_case import ActionExecuted, ActionSkipped
from aggregates.errors import Conflict, Invalid
from aggregates.interest_note import InterestNoteIssued, LatePart, Span
from commands.documents import IssueDocument, draft_document, issue_document
from commands.interest_notes import IssueInterestNote, issue_interest_note
from tests.commands.collection_helpers import charges, collection, credit_note, invoice, pay, register
from tests.gwt_commands import Flow

D = Decimal
JAN_31 = date(2026, 1, 31)


def note(partner: str, start: date, end: date, rate: str = "10.00") -> IssueInterestNote:
    return IssueInterestNote.model_validate({"partner": partner, "from": start, "to": end, "annual_rate": rate})


def flow_with_invoice(code: str, amount: str = "1000.00") -> tuple[Flow, Any]:
    flow = Flow(today=date(2026, 1, 10))
    register(flow, code)
    doc = invoice(flow, code, amount, due=JAN_31)
    return flow, doc


def issued(flow: Flow) -> InterestNoteIssued:
    (event,) = [e for e in flow.new if isinstance(e, InterestNoteIssued)]
    return event


def test_an_invoice_paid_thirty_days_late_is_charged_for_those_days() -> None:
    flow, doc = flow_with_invoice("LATE")
    flow.on(date(2026, 3, 2))
    pay(flow, "LATE", "1000.00", [(doc, "1000.00")])
    flow.on(date(2026, 3, 31)).when(issue_interest_note, note("LATE", date(2026, 1, 1), date(2026, 3, 31)))
    event = issued(flow)
    (line,) = event.lines
    # 1,000.00 × 30 days × 10 % / 365 = 8.219… → 8.22
    assert (event.number, event.total, event.period_from, event.period_to) == (
        "IT2603-0001",
        D("8.22"),
        date(2026, 1, 1),
        date(2026, 3, 31),
    )
    assert (line.invoice, line.due_date, line.days, line.amount, line.interest) == (
        doc,
        JAN_31,
        30,
        D("1000.00"),
        D("8.22"),
    )
    assert line.parts == (LatePart(amount=D("1000.00"), paid_on=date(2026, 3, 2), days=30),)
    assert line.charged == (Span(first=date(2026, 2, 1), last=date(2026, 3, 2)),)
    (booked,) = [e.item for e in flow.new if isinstance(e, ReceivableBooked)]
    assert (booked.item_id, booked.kind, booked.amount, booked.due_date, booked.number) == (
        event.note,
        ItemKind.INTEREST,
        D("8.22"),
        date(2026, 3, 31),
        "IT2603-0001",
    )


def test_a_second_note_over_the_same_period_has_nothing_to_charge() -> None:
    flow, doc = flow_with_invoice("TWICE")
    flow.on(date(2026, 3, 2))
    pay(flow, "TWICE", "1000.00", [(doc, "1000.00")])
    flow.on(date(2026, 3, 31)).given_command(issue_interest_note, note("TWICE", date(2026, 1, 1), date(2026, 3, 31)))
    flow.when(issue_interest_note, note("TWICE", date(2026, 2, 15), date(2026, 3, 31)))
    flow.then_raises(Conflict, "nothing_to_charge")


def test_an_invoice_open_at_the_end_is_charged_up_to_it_and_later_notes_charge_only_new_days() -> None:
    flow, _ = flow_with_invoice("OPEN", "500.00")
    flow.on(date(2026, 3, 31)).when(issue_interest_note, note("OPEN", date(2026, 2, 1), date(2026, 2, 28), "12.00"))
    (line,) = issued(flow).lines
    # 500.00 × 28 days × 12 % / 365 = 4.602… → 4.60
    assert (line.days, line.interest, line.parts) == (
        28,
        D("4.60"),
        (LatePart(amount=D("500.00"), paid_on=None, days=28),),
    )
    flow.when(issue_interest_note, note("OPEN", date(2026, 2, 15), date(2026, 3, 15), "12.00"))
    (line,) = issued(flow).lines
    # only 1–15 March are new: 500.00 × 15 × 12 % / 365 = 2.465… → 2.47
    assert (line.days, line.interest, line.charged) == (
        15,
        D("2.47"),
        (Span(first=date(2026, 3, 1), last=date(2026, 3, 15)),),
    )
    assert issued(flow).number == "IT2603-0002"


def test_an_invoice_paid_partly_late_is_charged_per_part() -> None:
    flow, doc = flow_with_invoice("PART")
    flow.on(date(2026, 2, 10))
    pay(flow, "PART", "400.00", [(doc, "400.00")])
    flow.on(date(2026, 3, 31)).when(issue_interest_note, note("PART", date(2026, 1, 1), date(2026, 3, 31)))
    (line,) = issued(flow).lines
    # (400.00 × 10 days + 600.00 × 59 days) × 10 % / 365 = 10.794… → 10.79
    assert (line.days, line.amount, line.interest) == (59, D("1000.00"), D("10.79"))
    assert line.parts == (
        LatePart(amount=D("400.00"), paid_on=date(2026, 2, 10), days=10),
        LatePart(amount=D("600.00"), paid_on=None, days=59),
    )


def test_money_credited_is_never_charged() -> None:
    flow, doc = flow_with_invoice("CRED")
    flow.on(date(2026, 2, 10))
    credit = flow.given_command(draft_document, credit_note("CRED", doc, "200.00"))
    flow.given_command(issue_document, IssueDocument(document=str(credit.id)))
    flow.on(date(2026, 3, 31)).when(issue_interest_note, note("CRED", date(2026, 1, 1), date(2026, 3, 31)))
    (line,) = issued(flow).lines
    # 800.00 × 59 days × 10 % / 365 = 12.931… → 12.93
    assert (line.days, line.amount, line.interest) == (59, D("800.00"), D("12.93"))


def test_an_invoice_paid_on_time_or_before_the_period_is_not_charged() -> None:
    flow, doc = flow_with_invoice("ONTIME")
    flow.on(JAN_31)
    pay(flow, "ONTIME", "1000.00", [(doc, "1000.00")])
    flow.on(date(2026, 3, 31)).when(issue_interest_note, note("ONTIME", date(2026, 1, 1), date(2026, 3, 31)))
    flow.then_raises(Conflict, "nothing_to_charge")


def test_days_charged_by_collection_interest_are_skipped() -> None:
    level = {"seq": 1, "name": "L1", "days_after_due": 7, "actions": [{"type": "interest", "annual_rate": "10.00"}]}
    flow = collection(levels=[level])
    pid = register(flow, "COLL")
    doc = invoice(flow, "COLL", "1000.00")  # due 15 January
    flow.day(date(2026, 1, 22))
    # collection charged 16–22 January: 1,000.00 × 7 × 10 % / 365 = 1.92
    assert charges(flow, pid, ItemKind.INTEREST) == [(D("1.92"), date(2026, 1, 22), "EUR")]
    flow.day(date(2026, 2, 5))
    pay(flow, "COLL", "1000.00", [(doc, "1000.00")])
    flow.on(date(2026, 2, 5)).when(issue_interest_note, note("COLL", date(2026, 1, 1), date(2026, 2, 5)))
    (line,) = issued(flow).lines
    # 23 January to 5 February: 1,000.00 × 14 × 10 % / 365 = 3.835… → 3.84
    assert (line.days, line.interest, line.charged) == (
        14,
        D("3.84"),
        (Span(first=date(2026, 1, 23), last=date(2026, 2, 5)),),
    )


def test_collection_interest_skips_the_days_a_note_charged() -> None:
    level = {"seq": 1, "name": "L1", "days_after_due": 21, "actions": [{"type": "interest", "annual_rate": "10.00"}]}
    flow = collection(levels=[level])
    pid = register(flow, "NOTED")
    invoice(flow, "NOTED", "1000.00")  # due 15 January
    flow.day(date(2026, 2, 1))
    flow.when(issue_interest_note, note("NOTED", date(2026, 1, 1), date(2026, 1, 31)))
    # the note charged 16–31 January: 1,000.00 × 16 × 10 % / 365 = 4.383… → 4.38
    assert issued(flow).total == D("4.38")
    flow.day(date(2026, 2, 5))
    # 21 days overdue, of which collection charges only 1–5 February: 1,000.00 × 5 × 10 % / 365 = 1.369… → 1.37
    assert charges(flow, pid, ItemKind.INTEREST) == [
        (D("4.38"), date(2026, 2, 1), "EUR"),
        (D("1.37"), date(2026, 2, 5), "EUR"),
    ]


def test_collection_interest_on_days_all_charged_by_a_note_is_skipped() -> None:
    level = {"seq": 1, "name": "L1", "days_after_due": 7, "actions": [{"type": "interest", "annual_rate": "10.00"}]}
    flow = collection(levels=[level])
    pid = register(flow, "COVERED")
    invoice(flow, "COVERED", "1000.00")  # due 15 January
    flow.day(date(2026, 1, 21))
    # a note up to the run date: 16–22 January, 1,000.00 × 7 × 10 % / 365 = 1.92
    flow.on(date(2026, 1, 22)).when(issue_interest_note, note("COVERED", date(2026, 1, 1), date(2026, 1, 22)))
    assert issued(flow).total == D("1.92")
    flow.day(date(2026, 1, 22))
    assert charges(flow, pid, ItemKind.INTEREST) == [(D("1.92"), date(2026, 1, 22), "EUR")]
    (skip,) = [e for e in flow.events(ActionSkipped) if e.action.value == "interest"]
    assert (skip.reason, skip.on) == ("zero_interest", date(2026, 1, 22))


def test_a_collection_level_issues_a_note_for_the_days_up_to_its_run_date() -> None:
    action = {"type": "interest_note", "annual_rate": "10.00"}
    flow = collection(levels=[{"seq": 1, "name": "L1", "days_after_due": 7, "actions": [action]}])
    pid = register(flow, "LVL")
    doc = invoice(flow, "LVL", "1000.00")  # due 15 January
    flow.day(date(2026, 1, 22))
    (event,) = flow.events(InterestNoteIssued)
    # 16–22 January: 1,000.00 × 7 × 10 % / 365 = 1.92
    assert (event.level, event.total, event.period_to, event.lines[0].invoice) == (1, D("1.92"), date(2026, 1, 22), doc)
    assert charges(flow, pid, ItemKind.INTEREST) == [(D("1.92"), date(2026, 1, 22), "EUR")]
    executed = [e for e in flow.events(ActionExecuted) if e.action.value == "interest_note"]
    assert [(e.amount, e.item) for e in executed] == [(D("1.92"), event.note)]
    assert flow.events(ActionSkipped) == []


@pytest.mark.parametrize(
    ("fields", "loc"),
    [
        ({"to": date(2026, 4, 1)}, ["body", "to"]),
        ({"from": date(2026, 3, 2), "to": date(2026, 3, 1)}, ["body", "to"]),
        ({"partner": "NOBODY"}, ["body", "partner"]),
    ],
)
def test_a_bad_period_or_partner_is_refused_at_the_field(fields: dict[str, Any], loc: list[str]) -> None:
    flow, _ = flow_with_invoice("BAD")
    body = {"partner": "BAD", "from": date(2026, 1, 1), "to": date(2026, 3, 31), "annual_rate": "10.00", **fields}
    flow.on(date(2026, 3, 31)).when(issue_interest_note, IssueInterestNote.model_validate(body))
    assert [e["loc"] for e in flow.then_raises(Invalid).errors] == [loc]


@pytest.mark.parametrize("rate", ["0", "-1", "100.01"])
def test_a_rate_outside_zero_to_a_hundred_is_refused(rate: str) -> None:
    with pytest.raises(ValidationError) as refused:
        note("BAD", date(2026, 1, 1), date(2026, 3, 31), rate)
    assert [e["loc"] for e in refused.value.errors()] == [("annual_rate",)]
