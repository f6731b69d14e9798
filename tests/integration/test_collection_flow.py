"""Collection as the read models show it, through the command layer with the manual clock's day
starts running the daily collection: a case's history day by day through its levels, fees,
interest, block and settlement, disputes and promises in the history, the partner's profile and
timeline, and an old log. (What collection decides is tests/commands/test_collection.py's
subject, on the in-memory store.)"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from aggregates.account import ItemKind, ReceivableBooked
from aggregates.base import natural_id
from aggregates.collection_case import ActionRecorded, CollectionCase, LevelReached
from aggregates.collection_scheme import ActionType
from aggregates.errors import Conflict
from aggregates.message import MessageQueued
from aggregates.partner_credit import SalesBlocked, SalesUnblocked
from commands.documents import (
    DisputeInvoice,
    PromisePayment,
    ResolveDispute,
    dispute_invoice,
    promise_payment,
    resolve_dispute,
)
from commands.messages import create_template
from queries.collection import CollectionQueries
from queries.pages import PageRequest
from queries.partners import PartnerQueries
from services.bootstrap.container import Container
from tests.commands import collection_helpers as helpers
from tests.commands.collection_helpers import invoice, on, pay, register, templates

D = Decimal


def define(c: Container, code: str = "STD", **overrides: Any) -> None:
    """Defines the scheme (and, before the first one, the templates its messages use)."""
    for command in templates():
        try:
            c.execute(create_template, command)
        except Conflict as exists:
            assert exists.code == "template_exists"
    helpers.define(c, code, **overrides)


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
