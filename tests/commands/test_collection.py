"""Collection (dunning) as commands and the collection process on the in-memory store: given the
history, when days start or money moves, then the levels, actions, charges, blocks and closings
recorded. An invoice walked through its levels, fees and interest, blocks and settlement; grouping;
every gate over time; and the semantics of a run date. (How the read models show all this is
tests/integration/test_collection_flow.py's subject.)"""

from __future__ import annotations

from datetime import timedelta

from aggregates.account import ItemCancelled, ItemKind, PaymentAllocated, ReceivableBooked
from aggregates.code_claim import CodeClaimed
from aggregates.collection_case import (
    ActionExecuted,
    CaseClosed,
    CaseOpened,
    CollectionCase,
    LevelReached,
    PromiseBroken,
    PromiseKept,
)
from aggregates.collection_scheme import ActionType
from aggregates.errors import Conflict
from aggregates.message import MessageQueued
from aggregates.number_series import NumberDrawn, SeriesOpened
from aggregates.partner_credit import SalesBlocked, SalesUnblocked
from aggregates.payment import PaymentReceived
from aggregates.sales_document_events import DocumentCancelled, InvoiceDunned, ReminderSent
from commands.collection import CollectPartner, CollectPartners, collect_partners
from commands.documents import (
    CancelDocument,
    GrantGrace,
    IssueDocument,
    PromisePayment,
    cancel_document,
    draft_document,
    grant_grace,
    issue_document,
    promise_payment,
)
from commands.partner_groups import CreatePartnerGroup, create_partner_group
from commands.partners import ChangePartner, change_partner
from commands.payments import receive_payment
from processes.collection import run_collection
from tests.commands.collection_helpers import (
    EMAIL,
    L1,
    STRICT,
    D,
    case_of,
    charges,
    collection,
    credit_note,
    define,
    invoice,
    level_of,
    on,
    pay,
    payment,
    register,
    run_of,
    skipped,
)
from tests.gwt import Expected, like

# What receiving a payment records before anything reacts to it: the payment and its allocation,
# and its number drawn from the series (opened by the first payment).
FIRST_NUMBER = (SeriesOpened, NumberDrawn, CodeClaimed)
NEXT_NUMBER = (NumberDrawn, CodeClaimed)


def paid(amount: str) -> tuple[Expected, ...]:
    return like(PaymentReceived, amount=D(amount)), like(PaymentAllocated, amount=D(amount))


# -- one invoice through two months ------------------------------------------------------------------


def test_an_invoice_walks_its_levels_day_by_day_and_closes_paid() -> None:
    flow = collection()
    pid = register(flow, "ACME")
    doc = invoice(flow, "ACME", "1000.00")
    expected = {on(22): 1, on(5, 2): 2, on(1, 3): 3}
    level = 0
    day = on(16)
    while day <= on(15, 3):
        flow.day(day)
        level = expected.get(day, level)
        assert level_of(flow, doc) == level, day
        day += timedelta(days=1)

    case = case_of(flow, doc)
    assert case is not None
    assert (case.level, case.times_dunned, case.status.value, case.scheme, case.opened_on) == (
        3,
        3,
        "open",
        "STD",
        on(22),
    )
    history = [e for e in flow.store.stream(case.id) if not isinstance(e, CaseOpened)]
    assert [(type(e), e.on, e.level, getattr(e, "action", None)) for e in history] == [
        (LevelReached, on(22), 1, None),
        (ActionExecuted, on(22), 1, ActionType.EMAIL),
        (LevelReached, on(5, 2), 2, None),
        (ActionExecuted, on(5, 2), 2, ActionType.FEE),
        (ActionExecuted, on(5, 2), 2, ActionType.SMS),
        (LevelReached, on(1, 3), 3, None),
        (ActionExecuted, on(1, 3), 3, ActionType.INTEREST),
        (ActionExecuted, on(1, 3), 3, ActionType.BLOCK_SALES),
        (ActionExecuted, on(1, 3), 3, ActionType.TASK),
    ]
    actions = {e.action: e for e in history if isinstance(e, ActionExecuted)}
    # One message per level that has one, queued once however many days pass.
    queued = flow.events(MessageQueued)
    assert sorted(m.composition.channel.value for m in queued) == ["email", "sms"]
    assert {m.originator_id for m in queued} == {actions[ActionType.EMAIL].message, actions[ActionType.SMS].message}
    assert actions[ActionType.TASK].task is not None
    # One fee of 40.00 and one interest of 1000 × 10 % × 45 / 365 = 12.328… → 12.33, each once.
    assert (actions[ActionType.FEE].amount, actions[ActionType.INTEREST].amount) == (D("40.00"), D("12.33"))
    assert charges(flow, pid, ItemKind.FEE) == [(D("40.00"), on(5, 2), "EUR")]
    assert charges(flow, pid, ItemKind.INTEREST) == [(D("12.33"), on(1, 3), "EUR")]
    assert [e.case for e in flow.events(SalesBlocked)] == [case.id]

    # Part of it: the case stays open and the block stays.
    flow.when(receive_payment, payment("ACME", "500.00")).then(*paid("500.00"), *FIRST_NUMBER)
    # The rest of the invoice, the fee and the interest: closed as paid, and the block is lifted.
    flow.when(receive_payment, payment("ACME", "552.33")).then(
        *paid("552.33"),
        *NEXT_NUMBER,
        like(CaseClosed, reason="paid", on=on(15, 3)),
        like(SalesUnblocked, case=case.id, on=on(15, 3)),
    )

    # Later days record runs, and nothing on the closed case or the account.
    flow.day(on(20, 3))
    later = {type(e).__name__ for e in flow.new} - {"DayStarted"}
    assert later == {"CollectionRunStarted", "CollectionRunOpened", "CollectionRunCompleted"}
    assert len(flow.events(LevelReached)) == 3


def test_the_case_stays_open_until_its_charges_are_settled() -> None:
    flow = collection(levels=STRICT)
    pid = register(flow, "FEES")
    doc = invoice(flow, "FEES", "1000.00")
    flow.day(on(22))
    (fee,) = [e.item for e in flow.events(ReceivableBooked) if e.partner == pid and e.item.kind is ItemKind.FEE]
    # The invoice alone is paid: its fee is still open, so the case stays open.
    flow.when(receive_payment, payment("FEES", "1000.00", [(doc, "1000.00")]))
    flow.then(*paid("1000.00"), *FIRST_NUMBER)
    flow.when(receive_payment, payment("FEES", "40.00", [(fee.item_id, "40.00")]))
    flow.then(
        *paid("40.00"),
        *NEXT_NUMBER,
        like(CaseClosed, reason="paid"),
        like(SalesUnblocked, case=CollectionCase.id_for(doc)),
    )


def test_without_auto_unblock_the_block_stays_after_payment() -> None:
    flow = collection(auto_unblock=False, levels=STRICT)
    register(flow, "STUCK")
    doc = invoice(flow, "STUCK", "1000.00")
    flow.day(on(22))
    assert level_of(flow, doc) == 1 and len(flow.events(SalesBlocked)) == 1
    flow.when(receive_payment, payment("STUCK", "1040.00"))
    flow.then(*paid("1040.00"), *FIRST_NUMBER, like(CaseClosed, reason="paid"))


def test_a_credit_note_for_the_whole_invoice_closes_the_case_settled() -> None:
    flow = collection()
    register(flow, "CRED")
    doc = invoice(flow, "CRED", "300.00")
    flow.day(on(22))
    assert level_of(flow, doc) == 1
    note = flow.given_command(draft_document, credit_note("CRED", doc, "300.00"))
    flow.when(issue_document, IssueDocument(document=str(note.id)))
    closed = [e for e in flow.new if isinstance(e, CaseClosed)]
    assert [(e.originator_id, e.reason, e.on) for e in closed] == [(CollectionCase.id_for(doc), "settled", on(22))]
    # The next runs leave the settled invoice alone.
    flow.day(on(29))
    assert [e for e in flow.new if e.originator_id == CollectionCase.id_for(doc)] == []


def test_a_dunned_invoice_cannot_be_cancelled() -> None:
    flow = collection()
    register(flow, "CANC")
    doc = invoice(flow, "CANC", "100.00")
    other = invoice(flow, "CANC", "100.00", due=on(20, 2))
    flow.day(on(22))
    flow.when(cancel_document, CancelDocument(document=str(doc), reason="typo")).then_raises(Conflict, "invoice_dunned")
    # An invoice that never had a collection message still can be.
    flow.when(cancel_document, CancelDocument(document=str(other), reason="typo"))
    flow.then(like(DocumentCancelled, originator_id=other, reason="typo"), like(ItemCancelled, item_id=other))


# -- grouping --------------------------------------------------------------------------------------------


def test_two_invoices_reaching_a_level_together_get_one_fee_and_two_cases() -> None:
    flow = collection()
    pid = register(flow, "TWO")
    first = invoice(flow, "TWO", "100.00")
    second = invoice(flow, "TWO", "200.00")
    flow.day(on(5, 2))
    assert (level_of(flow, first), level_of(flow, second)) == (2, 2)
    assert charges(flow, pid, ItemKind.FEE) == [(D("40.00"), on(5, 2), "EUR")]
    fees = [e for e in flow.events(ActionExecuted) if e.action is ActionType.FEE]
    assert sorted(e.amount for e in fees) == [D("0.00"), D("40.00")]
    # One SMS for the group: both cases name the same message.
    sms = {e.message for e in flow.events(ActionExecuted) if e.action is ActionType.SMS}
    assert len(sms) == 1
    counts = run_of(flow, on(5, 2)).counts
    assert (counts["fees"], counts["levels_reached"]) == (1, 2)


def test_invoices_in_two_currencies_get_a_fee_each() -> None:
    flow = collection(levels=STRICT)
    pid = register(flow, "CURR")
    euros = invoice(flow, "CURR", "100.00")
    dollars = invoice(flow, "CURR", "100.00", currency="USD")
    flow.day(on(22))
    assert sorted(charges(flow, pid, ItemKind.FEE)) == [(D("40.00"), on(22), "EUR"), (D("40.00"), on(22), "USD")]
    assert (level_of(flow, euros), level_of(flow, dollars)) == (1, 1)


def test_invoices_reaching_different_levels_the_same_day_are_charged_separately() -> None:
    flow = collection()
    pid = register(flow, "MIX")
    older = invoice(flow, "MIX", "100.00", due=on(1), issue_date=on(1))
    newer = invoice(flow, "MIX", "100.00", due=on(15))
    flow.day(on(22))  # older: L1 on the 8th, L2 on the 22nd; newer: L1 on the 22nd
    assert (level_of(flow, older), level_of(flow, newer)) == (2, 1)
    assert len(charges(flow, pid, ItemKind.FEE)) == 1
    messages = {e.message for e in flow.events(ActionExecuted) if e.on == on(22) and e.message}
    assert len(messages) == 2  # the L1 e-mail and the L2 SMS are different messages


# -- gates over time -------------------------------------------------------------------------------------


def test_grace_on_the_invoice_holds_through_its_date() -> None:
    flow = collection()
    register(flow, "GRACE")
    doc = invoice(flow, "GRACE", "500.00")
    flow.day(on(22))
    flow.given_command(grant_grace, GrantGrace(document=str(doc), until=on(10, 2)))
    flow.day(on(10, 2))
    assert level_of(flow, doc) == 1
    assert skipped(flow, on(10, 2)) == {doc: "grace"}
    flow.day(on(11, 2))
    assert level_of(flow, doc) == 2


def test_grace_on_the_partner_holds_through_its_date() -> None:
    flow = collection()
    register(flow, "PGRACE")
    doc = invoice(flow, "PGRACE", "500.00")
    flow.given_command(change_partner, ChangePartner(partner="PGRACE", dunning_grace_until=on(1, 2)))
    flow.day(on(1, 2))
    assert case_of(flow, doc) is None
    assert skipped(flow, on(22)) == {doc: "grace"}
    assert skipped(flow, on(1, 2)) == {doc: "grace"}
    flow.day(on(2, 2))
    case = case_of(flow, doc)
    assert case is not None and (case.level, case.opened_on) == (1, on(2, 2))


def test_a_promise_broken_is_recorded_and_dunning_resumes_in_that_run() -> None:
    flow = collection()
    register(flow, "BREAK")
    doc = invoice(flow, "BREAK", "500.00")
    flow.day(on(25))
    flow.given_command(promise_payment, PromisePayment(document=str(doc), amount=D("500.00"), date=on(6, 2)))
    flow.day(on(8, 2))  # the promise holds through the 6th + 2 days of grace
    assert level_of(flow, doc) == 1
    assert all(skipped(flow, day) == {doc: "promise_to_pay"} for day in (on(5, 2), on(8, 2)))
    case_id = CollectionCase.id_for(doc)
    flow.day(on(9, 2))
    on_the_case = [e for e in flow.new if e.originator_id == case_id]
    assert [(type(e), getattr(e, "action", None)) for e in on_the_case] == [
        (PromiseBroken, None),
        (LevelReached, None),
        (ActionExecuted, ActionType.FEE),
        (ActionExecuted, ActionType.SMS),
    ]
    assert (on_the_case[0].promised_for, on_the_case[0].on) == (on(6, 2), on(9, 2))  # type: ignore[attr-defined]
    flow.day(on(12, 2))
    assert len(flow.events(PromiseBroken)) == 1
    # Paid late: the case closes, and the broken promise is not turned into a kept one.
    flow.when(receive_payment, payment("BREAK", "540.00"))
    assert [type(e) for e in flow.new if e.originator_id == case_id] == [CaseClosed]
    assert flow.events(PromiseKept) == []


def test_a_promise_broken_before_any_case_is_not_kept_by_a_late_payment() -> None:
    flow = collection()
    register(flow, "EARLY")
    doc = invoice(flow, "EARLY", "500.00")
    flow.given_command(promise_payment, PromisePayment(document=str(doc), amount=D("500.00"), date=on(16)))
    flow.day(on(22))  # broken from the 19th (16 + 2 days of grace); L1 on the 22nd
    # There was no case to note it on before: the case the run opens notes it.
    case_id = CollectionCase.id_for(doc)
    assert [type(e) for e in flow.store.stream(case_id)] == [CaseOpened, LevelReached, ActionExecuted, PromiseBroken]
    pay(flow, "EARLY", "500.00")  # on the 22nd, after the promise and its grace ended on the 18th
    flow.day(on(25))
    case = case_of(flow, doc)
    assert case is not None and (case.status.value, case.close_reason) == ("closed", "paid")
    assert len(flow.events(PromiseBroken)) == 1
    assert flow.events(PromiseKept) == []


def test_tolerance_is_inclusive() -> None:
    flow = collection()
    register(flow, "TOL")
    at = invoice(flow, "TOL", "5.00")
    below = invoice(flow, "TOL", "4.99")
    flow.day(on(22))
    assert (level_of(flow, at), level_of(flow, below)) == (1, 0)
    assert skipped(flow, on(22)) == {below: "below_tolerance"}
    assert case_of(flow, below) is None


def test_the_minimum_gap_between_levels() -> None:
    close = {"seq": 2, "name": "L2", "days_after_due": 10, "actions": [EMAIL]}
    flow = collection(levels=[L1, close])
    register(flow, "GAP")
    doc = invoice(flow, "GAP", "100.00")
    flow.day(on(28))
    assert level_of(flow, doc) == 1
    assert all(skipped(flow, on(day)) == {doc: "min_gap"} for day in (25, 26, 27, 28))
    flow.day(on(29))  # seven days after L1 on the 22nd
    assert level_of(flow, doc) == 2
    assert skipped(flow, on(29)) == {}


def test_a_reminder_before_due_is_recorded_once_and_opens_no_case() -> None:
    reminder = {"seq": 0, "name": "Friendly", "days_after_due": -3, "actions": [EMAIL]}
    first = {"seq": 1, "name": "L1", "days_after_due": 1, "actions": [EMAIL]}
    flow = collection(levels=[reminder, first])
    register(flow, "REM")
    doc = invoice(flow, "REM", "100.00", due=on(25))
    flow.day(on(25))
    assert [(e.level, e.on) for e in flow.events(ReminderSent) if e.originator_id == doc] == [(0, on(22))]
    assert case_of(flow, doc) is None
    assert run_of(flow, on(22)).counts == {"reminders": 1, "emails": 1}
    assert [m.composition.documents for m in flow.events(MessageQueued)] == [(doc,)]
    # The reminder is not "the previous level" and does not count toward the gap: L1 fires
    # on the 26th, four days after it.
    flow.day(on(26))
    case = case_of(flow, doc)
    assert case is not None and (case.level, case.times_dunned, case.opened_on) == (1, 1, on(26))
    assert len([e for e in flow.events(ReminderSent) if e.originator_id == doc]) == 1
    assert [m.composition.documents for m in flow.events(MessageQueued)] == [(doc,), (doc,)]


def test_the_scheme_is_the_partners_else_its_groups_else_the_default() -> None:
    flow = collection(code="STD")
    define(flow, "GRP", is_default=False, levels=[{**L1, "days_after_due": 10}])
    define(flow, "OWN", is_default=False, levels=[{**L1, "days_after_due": 14}])
    flow.given_command(create_partner_group, CreatePartnerGroup(code="RETAIL", name="Retail", collection_scheme="GRP"))
    register(flow, "MINE", group="RETAIL", collection_scheme="OWN")
    register(flow, "GROUPED", group="RETAIL")
    register(flow, "PLAIN")
    docs = {code: invoice(flow, code, "100.00") for code in ("MINE", "GROUPED", "PLAIN")}
    flow.day(on(29))
    cases = {code: case_of(flow, doc) for code, doc in docs.items()}
    got = {code: (c.scheme, c.opened_on) for code, c in cases.items() if c is not None}
    assert got == {"MINE": ("OWN", on(29)), "GROUPED": ("GRP", on(25)), "PLAIN": ("STD", on(22))}


def test_no_scheme_means_no_dunning() -> None:
    flow = collection(with_scheme=False)
    register(flow, "NONE")
    doc = invoice(flow, "NONE", "100.00")
    flow.day(on(25))
    assert case_of(flow, doc) is None
    assert run_of(flow, on(22)).counts == {}


# -- run semantics -----------------------------------------------------------------------------------------


def test_running_a_date_again_adds_nothing_and_an_earlier_date_is_refused() -> None:
    flow = collection()
    register(flow, "AGAIN")
    doc = invoice(flow, "AGAIN", "100.00")
    flow.day(on(22))
    assert level_of(flow, doc) == 1
    flow.when_run(run_collection, flow.run, flow.reads, on(22))
    assert flow.result == {"day": on(22), "ran": False}
    flow.then()
    flow.when_run(run_collection, flow.run, flow.reads, on(21)).then_raises(Conflict, "run_out_of_order")


def test_a_run_on_demand_for_some_partners_collects_only_those() -> None:
    flow = collection()
    chosen = register(flow, "CHOSEN")
    register(flow, "OTHER")
    mine = invoice(flow, "CHOSEN", "100.00", due=on(1), issue_date=on(1))
    theirs = invoice(flow, "OTHER", "100.00", due=on(1), issue_date=on(1))
    flow.when_run(run_collection, flow.run, flow.reads, on(15), [chosen])
    assert flow.result == {"day": on(15), "ran": True}
    assert (level_of(flow, mine), level_of(flow, theirs)) == (1, 0)
    report = run_of(flow, on(15))
    assert (report.partners, report.counts) == (1, {"levels_reached": 1, "emails": 1})
    # The date ran: the day start of the 15th adds nothing; the 16th collects everyone.
    flow.day(on(15))
    assert level_of(flow, theirs) == 0
    flow.day(on(16))
    case = case_of(flow, theirs)
    assert case is not None and (case.level, case.opened_on) == (1, on(16))
    assert level_of(flow, mine) == 1


def test_a_repeated_collection_of_a_date_reaches_no_second_level() -> None:
    """Sequential: one level per invoice per run, even when a partner is collected again for the
    date (a retry after a crash, a racing worker) and the scheme has no minimum gap."""
    flow = collection(min_days_between_actions=0)
    pid = register(flow, "LATE")
    doc = invoice(flow, "LATE", "100.00", due=on(20, 12).replace(year=2025), issue_date=on(1, 12).replace(year=2025))
    flow.when_run(run_collection, flow.run, flow.reads, on(15))  # 26 days overdue: L1 only, not yet L2
    assert level_of(flow, doc) == 1
    flow.when(collect_partners, CollectPartners(partners=[CollectPartner(partner=pid, day=on(15))])).then()
    flow.day(on(16))
    assert level_of(flow, doc) == 2
    assert [e.level for e in flow.events(LevelReached)] == [1, 2]


def test_a_level_reached_records_the_case_the_action_the_message_and_the_dunning() -> None:
    """Exactly what collecting a partner records when its invoice reaches a level with an e-mail."""
    flow = collection()
    pid = register(flow, "EXACT")
    doc = invoice(flow, "EXACT", "250.00")
    flow.on(on(22)).when(collect_partners, CollectPartners(partners=[CollectPartner(partner=pid, day=on(22))]))
    case_id = CollectionCase.id_for(doc)
    (message,) = [e.originator_id for e in flow.new if isinstance(e, MessageQueued)]
    flow.then(
        like(CaseOpened, document=doc, partner=pid, scheme="STD", currency="EUR", on=on(22)),
        like(LevelReached, originator_id=case_id, level=1, name="L1", on=on(22), run=on(22)),
        like(ActionExecuted, level=1, action=ActionType.EMAIL, message=message, fallback_from=None, on=on(22)),
        like(MessageQueued, originator_id=message),
        like(InvoiceDunned, originator_id=doc, level=1, messaged=True, on=on(22)),
    )
