"""Collection (dunning) through the command layer on both stores, with the manual clock's day starts
running the daily collection: an invoice walked day by day through its levels, fees and interest,
blocks and settlement; grouping; every gate over time; and the semantics of a run date."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from aggregates.account import ItemKind, ReceivableBooked
from aggregates.base import natural_id
from aggregates.collection_case import ActionRecorded, CollectionCase, LevelReached
from aggregates.collection_scheme import ActionType
from aggregates.errors import Conflict, DomainError
from aggregates.message import MessageQueued
from aggregates.partner import SalesBlocked, SalesUnblocked
from aggregates.sales_document import ReminderSent, SalesDocument
from commands.collection import CollectPartner, DefineScheme, collect_partner, define_scheme
from commands.documents import (
    CancelDocument,
    DisputeInvoice,
    DraftDocument,
    GrantGrace,
    IssueDocument,
    LineIn,
    PromisePayment,
    ResolveDispute,
    cancel_document,
    dispute_invoice,
    draft_document,
    grant_grace,
    issue_document,
    promise_payment,
    resolve_dispute,
)
from commands.messages import CreateTemplate, create_template
from commands.partner_groups import CreatePartnerGroup, create_partner_group
from commands.partners import AddContact, ChangePartner, RegisterPartner, add_contact, change_partner, register_partner
from commands.payments import AllocationIn, ReceivePayment, receive_payment
from processes.collection import run_collection
from queries.collection import CollectionQueries
from queries.pages import PageRequest
from queries.partners import PartnerQueries
from services.bootstrap.container import Container, ProcessReads

D = Decimal
DUE = date(2026, 1, 15)

EMAIL = {"type": "email", "template": "R1"}
L1 = {"seq": 1, "name": "L1", "days_after_due": 7, "actions": [EMAIL]}
L2 = {
    "seq": 2,
    "name": "L2",
    "days_after_due": 21,
    "actions": [{"type": "fee", "amount": "40.00"}, {"type": "sms", "template": "S2"}],
}
L3 = {
    "seq": 3,
    "name": "L3",
    "days_after_due": 45,
    "actions": [
        {"type": "interest", "annual_rate": "10.00"},
        {"type": "block_sales"},
        {"type": "task", "title": "Call customer", "assignee": "sales_rep", "due_in_days": 2},
    ],
}


# One level that charges and blocks at once, for tests whose subject is not the escalation.
STRICT = [{**L1, "actions": [EMAIL, {"type": "fee", "amount": "40.00"}, {"type": "block_sales"}]}]


def scheme(code: str = "STD", **overrides: Any) -> dict[str, Any]:
    return {
        "code": code,
        "name": f"{code} scheme",
        "is_default": True,
        "tolerance": "5.00",
        "min_days_between_actions": 7,
        "sequential": True,
        "auto_unblock": True,
        "promise_grace_days": 2,
        "levels": [L1, L2, L3],
        **overrides,
    }


TEMPLATES = {"R1": "email", "S2": "sms"}


def define(c: Container, code: str = "STD", **overrides: Any) -> None:
    """Defines the scheme (and, before the first one, the templates its messages use)."""
    for template, channel in TEMPLATES.items():
        try:
            body = "{{ partner.name }}: {{ total_open }} {{ currency }} is overdue."
            command = CreateTemplate(code=template, channel=channel, purpose="collection", subject="Overdue", body=body)
            c.execute(create_template, command)
        except Conflict as exists:
            assert exists.code == "template_exists"
    c.execute(define_scheme, DefineScheme.model_validate(scheme(code, **overrides)))


def register(c: Container, code: str, **fields: Any) -> UUID:
    """A partner whose billing contact has an e-mail address and a mobile number."""
    result = c.execute(register_partner, RegisterPartner(name=f"{code} Ltd", code=code, **fields))
    assert result.id is not None
    contact = AddContact(
        partner=code,
        name="Accounts",
        email=f"ap@{code.lower()}.example",
        mobile="+3531234567",
        responsibilities=["billing"],
    )
    c.execute(add_contact, contact)
    return result.id


def invoice(c: Container, partner: str, amount: str, due: date = DUE, **fields: Any) -> UUID:
    lines = [LineIn(product="SVC", quantity=D("1"), unit_price=D(amount))]
    result = c.execute(
        draft_document, DraftDocument(type="invoice", partner=partner, due_date=due, lines=lines, **fields)
    )
    assert result.id is not None
    c.execute(issue_document, IssueDocument(document=str(result.id)))
    return result.id


def credit_note(c: Container, partner: str, applies_to: UUID, amount: str) -> UUID:
    lines = [LineIn(product="SVC", quantity=D("1"), unit_price=D(amount))]
    result = c.execute(
        draft_document,
        DraftDocument(type="credit_note", partner=partner, applies_to=str(applies_to), lines=lines),
    )
    assert result.id is not None
    c.execute(issue_document, IssueDocument(document=str(result.id)))
    return result.id


def pay(c: Container, partner: str, amount: str, allocations: list[tuple[str, str]] | None = None) -> None:
    chosen = [AllocationIn(document=ref, amount=D(a)) for ref, a in allocations] if allocations is not None else None
    c.execute(receive_payment, ReceivePayment(partner=partner, amount=D(amount), allocations=chosen))


def tick(c: Container, day: date) -> None:
    c.clock.tick(day, "test")
    c.runner.drain()
    assert c.runner.errors == {}, c.runner.errors


def cases(c: Container, document: UUID | None = None, partner: UUID | None = None) -> list[dict[str, Any]]:
    c.runner.drain()
    partners = [str(partner)] if partner else None
    found = CollectionQueries(c.catalog).cases(
        PageRequest(limit=500), partners, str(document) if document else None, None
    )
    return found["items"]  # type: ignore[no-any-return]


def case_of(c: Container, document: UUID) -> dict[str, Any]:
    (found,) = cases(c, document)
    return found


def level_of(c: Container, document: UUID) -> int:
    found = cases(c, document)
    return found[0]["level"] if found else 0


def kinds(case: dict[str, Any]) -> list[tuple[str, str, int | None, str | None]]:
    """The history as (date, kind, level, action)."""
    return [(h["date"], h["kind"], h["level"], h["action"]) for h in case["history"]]


def run_report(c: Container, day: date) -> dict[str, Any]:
    c.runner.drain()
    return CollectionQueries(c.catalog).run(day)


def skipped(c: Container, day: date) -> dict[str, str]:
    return {s["document"]: s["reason"] for s in run_report(c, day)["skipped"]}


def events(c: Container, event_type: type[Any]) -> list[Any]:
    return [e.event for e in c.store.iterate() if type(e.event) is event_type]


def charges(c: Container, partner: UUID, kind: ItemKind) -> list[Any]:
    return [e.item for e in events(c, ReceivableBooked) if e.partner == partner and e.item.kind is kind]


def credit_status(c: Container, partner: UUID) -> str:
    c.runner.drain()
    return PartnerQueries(c.catalog).get(str(partner))["credit_status"]  # type: ignore[no-any-return]


def run_now(c: Container, day: date, partners: list[UUID] | None = None) -> dict[str, Any]:
    """A run on demand, the way POST /v1/collection/runs does it."""
    c.runner.drain()

    def run(handler: Any, command: Any) -> Any:
        return c.execute(handler, command)

    outcome = run_collection(run, ProcessReads(c.catalog), day, partners)
    c.runner.drain()
    return outcome


def on(day: int, month: int = 1) -> date:
    return date(2026, month, day)


def iso(day: int, month: int = 1) -> str:
    return on(day, month).isoformat()


# -- one invoice through two months ------------------------------------------------------------------


def test_an_invoice_walks_its_levels_day_by_day_and_closes_paid(container: Container) -> None:
    c = container
    define(c)
    pid = register(c, "ACME")
    doc = invoice(c, "ACME", "1000.00")
    expected = {on(22): 1, on(5, 2): 2, on(1, 3): 3}
    level = 0
    day = on(16)
    while day <= on(15, 3):
        tick(c, day)
        level = expected.get(day, level)
        assert level_of(c, doc) == level, day
        day += timedelta(days=1)

    case = case_of(c, doc)
    assert (case["level"], case["times_dunned"], case["status"], case["scheme"]) == (3, 3, "open", "STD")
    assert case["opened_on"] == on(22)
    assert [(h["date"], h["level"]) for h in case["history"] if h["kind"] == "level_reached"] == [
        (iso(22), 1),
        (iso(5, 2), 2),
        (iso(1, 3), 3),
    ]
    assert kinds(case) == [
        (iso(22), "opened", None, None),
        (iso(22), "level_reached", 1, None),
        (iso(22), "action", 1, "email"),
        (iso(5, 2), "level_reached", 2, None),
        (iso(5, 2), "action", 2, "fee"),
        (iso(5, 2), "action", 2, "sms"),
        (iso(1, 3), "level_reached", 3, None),
        (iso(1, 3), "action", 3, "interest"),
        (iso(1, 3), "action", 3, "block_sales"),
        (iso(1, 3), "action", 3, "task"),
    ]
    actions = [h for h in case["history"] if h["kind"] == "action"]
    assert all(h["status"] == "executed" for h in actions)
    messages = {h["action"]: h["message"] for h in actions if h["action"] in ("email", "sms")}
    assert all(messages.values()) and len(set(messages.values())) == 2
    assert [h["amount"] for h in actions if h["action"] in ("fee", "interest")] == ["40.00", "12.33"]
    assert next(h["task"] for h in actions if h["action"] == "task") is not None
    # One message per level that has one, queued once however many days pass.
    assert sorted(m.composition.channel.value for m in events(c, MessageQueued)) == ["email", "sms"]
    assert {str(m.originator_id) for m in events(c, MessageQueued)} == set(messages.values())

    # One fee of 40.00 and one interest of 1000 × 10 % × 45 / 365 = 12.328… → 12.33, each once.
    fees = charges(c, pid, ItemKind.FEE)
    assert [(f.amount, f.due_date, f.currency) for f in fees] == [(D("40.00"), on(5, 2), "EUR")]
    interest = charges(c, pid, ItemKind.INTEREST)
    assert [(i.amount, i.due_date, i.document) for i in interest] == [(D("12.33"), on(1, 3), doc)]
    assert len(events(c, SalesBlocked)) == 1
    assert credit_status(c, pid) == "stop"
    assert c.store.get(doc).dunned is True  # type: ignore[attr-defined]

    # Part of it: the case stays open and the block stays.
    pay(c, "ACME", "500.00")
    assert (case_of(c, doc)["status"], credit_status(c, pid)) == ("open", "stop")
    # The rest of the invoice, the fee and the interest: closed as paid, and the block is lifted.
    pay(c, "ACME", "552.33")
    case = case_of(c, doc)
    assert (case["status"], case["close_reason"], case["closed_on"]) == ("closed", "paid", on(15, 3))
    assert kinds(case)[-1] == (iso(15, 3), "closed", None, None)
    assert credit_status(c, pid) == "no_check"
    assert len(events(c, SalesUnblocked)) == 1
    assert cases(c, partner=pid)[0]["status"] == "closed"

    # Later days record runs, and nothing on the closed case or the account.
    head = c.store.head()
    tick(c, on(20, 3))
    later = {type(e.event).__name__ for e in c.store.iterate(after=head)} - {"DayStarted", "ClockMoved"}
    assert later == {"CollectionRunStarted", "CollectionRunOpened", "CollectionRunCompleted"}
    assert len(events(c, LevelReached)) == 3


def test_the_case_stays_open_until_its_charges_are_settled(container: Container) -> None:
    c = container
    define(c, levels=STRICT)
    pid = register(c, "FEES")
    doc = invoice(c, "FEES", "1000.00")
    tick(c, on(22))
    (fee,) = charges(c, pid, ItemKind.FEE)
    # The invoice alone is paid: its fee is still open, so the case stays open.
    pay(c, "FEES", "1000.00", [(str(doc), "1000.00")])
    assert case_of(c, doc)["status"] == "open"
    pay(c, "FEES", "40.00", [(str(fee.item_id), "40.00")])
    case = case_of(c, doc)
    assert (case["status"], case["close_reason"]) == ("closed", "paid")


def test_without_auto_unblock_the_block_stays_after_payment(container: Container) -> None:
    c = container
    define(c, auto_unblock=False, levels=STRICT)
    pid = register(c, "STUCK")
    doc = invoice(c, "STUCK", "1000.00")
    tick(c, on(22))
    assert (level_of(c, doc), credit_status(c, pid)) == (1, "stop")
    pay(c, "STUCK", "1040.00")
    assert case_of(c, doc)["close_reason"] == "paid"
    assert credit_status(c, pid) == "stop"
    assert events(c, SalesUnblocked) == []


def test_a_credit_note_for_the_whole_invoice_closes_the_case_settled(container: Container) -> None:
    c = container
    define(c)
    register(c, "CRED")
    doc = invoice(c, "CRED", "300.00")
    tick(c, on(22))
    assert level_of(c, doc) == 1
    credit_note(c, "CRED", doc, "300.00")
    case = case_of(c, doc)
    assert (case["status"], case["close_reason"], case["closed_on"]) == ("closed", "settled", on(22))
    # The next runs leave the settled invoice alone.
    tick(c, on(29))
    assert case_of(c, doc)["level"] == 1


def test_a_dunned_invoice_cannot_be_cancelled(container: Container) -> None:
    c = container
    define(c)
    register(c, "CANC")
    doc = invoice(c, "CANC", "100.00")
    other = invoice(c, "CANC", "100.00", due=on(20, 2))
    tick(c, on(22))
    head = c.store.head()
    with pytest.raises(Conflict) as refused:
        c.execute(cancel_document, CancelDocument(document=str(doc), reason="typo"))
    assert refused.value.code == "invoice_dunned"
    assert c.store.head() == head
    # An invoice that never had a collection message still can be.
    c.execute(cancel_document, CancelDocument(document=str(other), reason="typo"))


# -- grouping --------------------------------------------------------------------------------------------


def test_two_invoices_reaching_a_level_together_get_one_fee_and_two_cases(container: Container) -> None:
    c = container
    define(c)
    pid = register(c, "TWO")
    first = invoice(c, "TWO", "100.00")
    second = invoice(c, "TWO", "200.00")
    tick(c, on(5, 2))
    both = cases(c, partner=pid)
    assert sorted(x["document"] for x in both) == sorted([str(first), str(second)])
    assert [x["level"] for x in both] == [2, 2]
    fees = charges(c, pid, ItemKind.FEE)
    assert [(f.amount, f.currency) for f in fees] == [(D("40.00"), "EUR")]
    fee_amounts = sorted(h["amount"] for x in both for h in x["history"] if h["action"] == "fee")
    assert fee_amounts == ["0.00", "40.00"]
    # One SMS for the group: both cases name the same message.
    sms = {h["message"] for x in both for h in x["history"] if h["action"] == "sms"}
    assert len(sms) == 1
    report = run_report(c, on(5, 2))
    assert (report["counts"]["fees"], report["counts"]["levels_reached"]) == (1, 2)


def test_invoices_in_two_currencies_get_a_fee_each(container: Container) -> None:
    c = container
    define(c, levels=STRICT)
    pid = register(c, "CURR")
    invoice(c, "CURR", "100.00")
    invoice(c, "CURR", "100.00", currency="USD")
    tick(c, on(22))
    fees = charges(c, pid, ItemKind.FEE)
    assert sorted((f.amount, f.currency) for f in fees) == [(D("40.00"), "EUR"), (D("40.00"), "USD")]
    assert len(cases(c, partner=pid)) == 2


def test_invoices_reaching_different_levels_the_same_day_are_charged_separately(container: Container) -> None:
    c = container
    define(c)
    pid = register(c, "MIX")
    older = invoice(c, "MIX", "100.00", due=on(1), issue_date=on(1))
    newer = invoice(c, "MIX", "100.00", due=on(15))
    tick(c, on(22))  # older: L1 on the 8th, L2 on the 22nd; newer: L1 on the 22nd
    assert (level_of(c, older), level_of(c, newer)) == (2, 1)
    assert len(charges(c, pid, ItemKind.FEE)) == 1
    messages = {h["message"] for x in cases(c, partner=pid) for h in x["history"] if h["date"] == iso(22)}
    assert len(messages - {None}) == 2  # the L1 e-mail and the L2 SMS are different messages


# -- gates over time -------------------------------------------------------------------------------------


def test_a_dispute_pauses_dunning_and_resolving_it_resumes(container: Container) -> None:
    c = container
    define(c)
    register(c, "DISP")
    doc = invoice(c, "DISP", "500.00")
    tick(c, on(22))
    c.execute(dispute_invoice, DisputeInvoice(document=str(doc), reason="wrong quantity"))
    tick(c, on(10, 2))
    assert level_of(c, doc) == 1
    assert skipped(c, on(4, 2)) == {}  # L2 is not due yet: nothing to skip
    for day in (on(5, 2), on(10, 2)):
        assert skipped(c, day) == {str(doc): "in_dispute"}
    assert run_report(c, on(5, 2))["counts"] == {"skipped_in_dispute": 1}
    c.execute(resolve_dispute, ResolveDispute(document=str(doc)))
    tick(c, on(11, 2))
    assert level_of(c, doc) == 2
    assert skipped(c, on(11, 2)) == {}
    history = kinds(case_of(c, doc))
    assert (iso(22), "dispute_raised", None, None) in history
    assert (iso(10, 2), "dispute_resolved", None, None) in history
    assert history.index((iso(10, 2), "dispute_resolved", None, None)) < history.index(
        (iso(11, 2), "level_reached", 2, None)
    )
    assert next(h for h in case_of(c, doc)["history"] if h["kind"] == "dispute_raised")["reason"] == "wrong quantity"


def test_grace_on_the_invoice_holds_through_its_date(container: Container) -> None:
    c = container
    define(c)
    register(c, "GRACE")
    doc = invoice(c, "GRACE", "500.00")
    tick(c, on(22))
    c.execute(grant_grace, GrantGrace(document=str(doc), until=on(10, 2)))
    tick(c, on(10, 2))
    assert level_of(c, doc) == 1
    assert skipped(c, on(10, 2)) == {str(doc): "grace"}
    tick(c, on(11, 2))
    assert level_of(c, doc) == 2


def test_grace_on_the_partner_holds_through_its_date(container: Container) -> None:
    c = container
    define(c)
    register(c, "PGRACE")
    doc = invoice(c, "PGRACE", "500.00")
    c.execute(change_partner, ChangePartner(partner="PGRACE", dunning_grace_until=on(1, 2)))
    tick(c, on(1, 2))
    assert cases(c, doc) == []
    assert skipped(c, on(22)) == {str(doc): "grace"}
    assert skipped(c, on(1, 2)) == {str(doc): "grace"}
    tick(c, on(2, 2))
    assert level_of(c, doc) == 1
    assert case_of(c, doc)["opened_on"] == on(2, 2)


def test_a_promise_kept_closes_the_case(container: Container) -> None:
    c = container
    define(c)
    register(c, "KEEP")
    doc = invoice(c, "KEEP", "500.00")
    tick(c, on(25))
    c.execute(promise_payment, PromisePayment(document=str(doc), amount=D("500.00"), date=on(6, 2)))
    tick(c, on(7, 2))
    assert level_of(c, doc) == 1
    assert skipped(c, on(5, 2)) == {str(doc): "promise_to_pay"}
    pay(c, "KEEP", "500.00")  # on the 7th: the promise's date + 1 of its 2 days of grace
    case = case_of(c, doc)
    assert (case["status"], case["close_reason"]) == ("closed", "paid")
    history = kinds(case)
    assert (iso(7, 2), "promise_kept", None, None) in history
    assert not any(kind == "promise_broken" for _, kind, _, _ in history)


def test_a_promise_broken_is_recorded_and_dunning_resumes_in_that_run(container: Container) -> None:
    c = container
    define(c)
    register(c, "BREAK")
    doc = invoice(c, "BREAK", "500.00")
    tick(c, on(25))
    c.execute(promise_payment, PromisePayment(document=str(doc), amount=D("500.00"), date=on(6, 2)))
    tick(c, on(8, 2))  # the promise holds through the 6th + 2 days of grace
    assert level_of(c, doc) == 1
    assert all(skipped(c, day) == {str(doc): "promise_to_pay"} for day in (on(5, 2), on(8, 2)))
    tick(c, on(9, 2))
    history = kinds(case_of(c, doc))
    assert history[-4:] == [
        (iso(9, 2), "promise_broken", None, None),
        (iso(9, 2), "level_reached", 2, None),
        (iso(9, 2), "action", 2, "fee"),
        (iso(9, 2), "action", 2, "sms"),
    ]
    tick(c, on(12, 2))
    assert [k for _, k, _, _ in kinds(case_of(c, doc))].count("promise_broken") == 1
    # Paid late: the case closes, and the broken promise is not turned into a kept one.
    pay(c, "BREAK", "540.00")
    history = kinds(case_of(c, doc))
    assert history[-1][1] == "closed"
    assert not any(kind == "promise_kept" for _, kind, _, _ in history)


def test_a_promise_broken_before_any_case_is_not_kept_by_a_late_payment(container: Container) -> None:
    c = container
    define(c)
    register(c, "EARLY")
    doc = invoice(c, "EARLY", "500.00")
    c.execute(promise_payment, PromisePayment(document=str(doc), amount=D("500.00"), date=on(16)))
    tick(c, on(22))  # broken from the 19th (16 + 2 days of grace); L1 on the 22nd
    # There was no case to note it on before: the case the run opens notes it.
    assert kinds(case_of(c, doc)) == [
        (iso(22), "opened", None, None),
        (iso(22), "level_reached", 1, None),
        (iso(22), "action", 1, "email"),
        (iso(22), "promise_broken", None, None),
    ]
    pay(c, "EARLY", "500.00")  # on the 22nd, after the promise and its grace ended on the 18th
    tick(c, on(25))
    case = case_of(c, doc)
    assert (case["status"], case["close_reason"]) == ("closed", "paid")
    assert [kind for _, kind, _, _ in kinds(case)].count("promise_broken") == 1
    assert not any(kind == "promise_kept" for _, kind, _, _ in kinds(case))


def test_tolerance_is_inclusive(container: Container) -> None:
    c = container
    define(c)
    register(c, "TOL")
    at = invoice(c, "TOL", "5.00")
    below = invoice(c, "TOL", "4.99")
    tick(c, on(22))
    assert (level_of(c, at), level_of(c, below)) == (1, 0)
    assert skipped(c, on(22)) == {str(below): "below_tolerance"}
    assert cases(c, below) == []


def test_the_minimum_gap_between_levels(container: Container) -> None:
    c = container
    close = {"seq": 2, "name": "L2", "days_after_due": 10, "actions": [EMAIL]}
    define(c, levels=[L1, close])
    register(c, "GAP")
    doc = invoice(c, "GAP", "100.00")
    tick(c, on(28))
    assert level_of(c, doc) == 1
    assert all(skipped(c, on(day)) == {str(doc): "min_gap"} for day in (25, 26, 27, 28))
    tick(c, on(29))  # seven days after L1 on the 22nd
    assert level_of(c, doc) == 2
    assert skipped(c, on(29)) == {}


def test_a_reminder_before_due_is_recorded_once_and_opens_no_case(container: Container) -> None:
    c = container
    reminder = {"seq": 0, "name": "Friendly", "days_after_due": -3, "actions": [EMAIL]}
    first = {"seq": 1, "name": "L1", "days_after_due": 1, "actions": [EMAIL]}
    define(c, levels=[reminder, first])
    register(c, "REM")
    doc = invoice(c, "REM", "100.00", due=on(25))
    tick(c, on(25))
    sent = [e for e in events(c, ReminderSent) if e.originator_id == doc]
    assert [(e.level, e.on) for e in sent] == [(0, on(22))]
    invoice_now = c.store.get(doc)
    assert isinstance(invoice_now, SalesDocument)
    assert invoice_now.reminders_sent == {0}
    assert cases(c, doc) == []
    assert run_report(c, on(22))["counts"] == {"reminders": 1, "emails": 1}
    assert [m.composition.documents for m in events(c, MessageQueued)] == [(doc,)]
    # The reminder is not "the previous level" and does not count toward the gap: L1 fires
    # on the 26th, four days after it.
    tick(c, on(26))
    case = case_of(c, doc)
    assert (case["level"], case["times_dunned"], case["opened_on"]) == (1, 1, on(26))
    assert len([e for e in events(c, ReminderSent) if e.originator_id == doc]) == 1
    assert [m.composition.documents for m in events(c, MessageQueued)] == [(doc,), (doc,)]


def test_the_scheme_is_the_partners_else_its_groups_else_the_default(container: Container) -> None:
    c = container
    define(c, "STD")
    define(c, "GRP", is_default=False, levels=[{**L1, "days_after_due": 10}])
    define(c, "OWN", is_default=False, levels=[{**L1, "days_after_due": 14}])
    c.execute(create_partner_group, CreatePartnerGroup(code="RETAIL", name="Retail", collection_scheme="GRP"))
    register(c, "MINE", group="RETAIL", collection_scheme="OWN")
    register(c, "GROUPED", group="RETAIL")
    register(c, "PLAIN")
    docs = {code: invoice(c, code, "100.00") for code in ("MINE", "GROUPED", "PLAIN")}
    tick(c, on(29))
    got = {code: (case_of(c, doc)["scheme"], case_of(c, doc)["opened_on"]) for code, doc in docs.items()}
    assert got == {"MINE": ("OWN", on(29)), "GROUPED": ("GRP", on(25)), "PLAIN": ("STD", on(22))}


def test_no_scheme_means_no_dunning(container: Container) -> None:
    c = container
    register(c, "NONE")
    doc = invoice(c, "NONE", "100.00")
    tick(c, on(25))
    assert cases(c, doc) == []
    assert run_report(c, on(22))["status"] == "completed"


# -- run semantics -----------------------------------------------------------------------------------------


def test_running_a_date_again_adds_nothing_and_an_earlier_date_is_refused(container: Container) -> None:
    c = container
    define(c)
    register(c, "AGAIN")
    doc = invoice(c, "AGAIN", "100.00")
    tick(c, on(22))
    assert level_of(c, doc) == 1
    head = c.store.head()
    assert run_now(c, on(22)) == {"day": on(22), "ran": False}
    assert c.store.head() == head
    with pytest.raises(DomainError) as refused:
        run_now(c, on(21))
    assert (type(refused.value), refused.value.code) == (Conflict, "run_out_of_order")
    assert c.store.head() == head


def test_a_run_on_demand_for_some_partners_collects_only_those(container: Container) -> None:
    c = container
    define(c)
    chosen = register(c, "CHOSEN")
    other = register(c, "OTHER")
    mine = invoice(c, "CHOSEN", "100.00", due=on(1), issue_date=on(1))
    theirs = invoice(c, "OTHER", "100.00", due=on(1), issue_date=on(1))
    assert run_now(c, on(15), [chosen]) == {"day": on(15), "ran": True}
    assert (level_of(c, mine), level_of(c, theirs)) == (1, 0)
    report = run_report(c, on(15))
    assert (report["status"], report["partners"], report["counts"]) == (
        "completed",
        1,
        {"levels_reached": 1, "emails": 1},
    )
    # The date ran: the day start of the 15th adds nothing; the 16th collects everyone.
    tick(c, on(15))
    assert level_of(c, theirs) == 0
    tick(c, on(16))
    assert level_of(c, theirs) == 1
    assert case_of(c, theirs)["opened_on"] == on(16)
    assert level_of(c, mine) == 1
    assert other != chosen


def test_a_repeated_collection_of_a_date_reaches_no_second_level(container: Container) -> None:
    """Sequential: one level per invoice per run, even when a partner is collected again for the
    date (a retry after a crash, a racing worker) and the scheme has no minimum gap."""
    c = container
    define(c, min_days_between_actions=0)
    pid = register(c, "LATE")
    doc = invoice(c, "LATE", "100.00", due=date(2025, 12, 20), issue_date=date(2025, 12, 1))
    run_now(c, on(15))  # 26 days overdue: L1 only, though L2's 21 days have passed too
    assert level_of(c, doc) == 1
    head = c.store.head()
    c.execute(collect_partner, CollectPartner(partner=pid, day=on(15)))
    assert c.store.head() == head
    tick(c, on(16))
    assert level_of(c, doc) == 2
    assert len(events(c, LevelReached)) == 2


def test_the_partner_profile_and_timeline_show_the_collection(sqlite_container: Container) -> None:
    """Open cases, the block and every collection step appear in the partner's 360° view."""
    from queries.pages import PageRequest
    from queries.partners import PartnerQueries

    container = sqlite_container
    define(container)
    partner = register(container, "PROFILED")
    bill = invoice(container, "PROFILED", "1000.00")
    tick(container, date(2026, 3, 1))
    container.runner.drain()
    queries = PartnerQueries(container.catalog)
    profile = queries.profile(str(partner), date(2026, 3, 1))
    assert [c["document"] for c in profile["open_collection_cases"]] == [str(bill)]
    assert profile["open_collection_cases"][0]["level"] == 3
    assert profile["blocked"] is True
    page = queries.timeline(str(partner), None, None, "collection", PageRequest(limit=500))
    summaries = [e["summary"] for e in page["items"]]
    assert any("reached collection level 1" in s for s in summaries), summaries
    assert any("fee 40.00 executed" in s for s in summaries), summaries


def test_a_log_with_the_old_action_recorded_events_still_reads(container: Container) -> None:
    """Logs written before ActionExecuted/ActionSkipped hold ActionRecorded(status=…), an e-mail
    fallen back to a letter as ``action: email``: the case, its history, the run and the timeline
    read them, the fallback as the letter it was."""
    c = container
    partner = register(c, "OLDLOG")
    tick(c, on(22))
    document, message = natural_id("old-invoice", 1), natural_id("old-message", 1)
    case = CollectionCase.open(document, "IN2512-0007", partner, "STD", "EUR", on(22))
    case.reach(1, "L1", on(22), on(22))
    old = [
        ActionRecorded(
            originator_id=case.id,
            originator_version=3,
            level=1,
            action=ActionType.EMAIL,
            status="executed",
            fallback_from="email",
            message=message,
            on=on(22),
        ),
        ActionRecorded(
            originator_id=case.id,
            originator_version=4,
            level=1,
            action=ActionType.SMS,
            status="skipped",
            reason="no_mobile",
            on=on(22),
        ),
    ]
    c.store.save([*case.collect_events(), *old])

    history = case_of(c, document)["history"]
    assert [(h["kind"], h["action"], h["status"], h["fallback_from"], h["reason"], h["message"]) for h in history] == [
        ("opened", None, None, None, None, None),
        ("level_reached", None, None, None, None, None),
        ("action", "letter", "executed", "email", None, str(message)),
        ("action", "sms", "skipped", None, "no_mobile", None),
    ]
    actions = run_report(c, on(22))["actions"]
    assert [(a["document"], a["action"], a["status"]) for a in actions] == [
        (str(document), "letter", "executed"),
        (str(document), "sms", "skipped"),
    ]
    page = PartnerQueries(c.catalog).timeline(str(partner), None, None, "collection", PageRequest(limit=50))
    assert [e["summary"] for e in page["items"]][-2:] == [
        "Invoice IN2512-0007 level 1: letter instead of email executed",
        "Invoice IN2512-0007 level 1: sms skipped (no_mobile)",
    ]
    replayed = c.store.get(case.id)
    assert isinstance(replayed, CollectionCase)
    assert (replayed.level, replayed.charges, replayed.blocked, replayed.version) == (1, [], False, 4)
