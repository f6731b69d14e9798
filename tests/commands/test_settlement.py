"""Settlement on the in-memory store: when money settles a dunned invoice and its charges, the
collection process closes the case (``paid`` by payments, ``settled`` by credit) and lifts the
block it placed; until then, nothing closes."""

from __future__ import annotations

from aggregates.account import ChargeWaived, ItemKind, ReceivableBooked
from aggregates.collection_case import CaseClosed, CollectionCase
from aggregates.partner_credit import SalesBlocked, SalesUnblocked
from commands.collection import SettleCases, settle_cases
from commands.documents import IssueDocument, draft_document, issue_document
from commands.payments import WaiveCharge, receive_payment, waive_charge
from tests.commands.collection_helpers import STRICT, collection, credit_note, invoice, on, pay, payment, register
from tests.gwt import like


def test_waiving_the_last_open_charge_closes_the_case_and_lifts_its_block() -> None:
    flow = collection(levels=STRICT)
    pid = register(flow, "WAIVE")
    doc = invoice(flow, "WAIVE", "1000.00")
    flow.day(on(22))
    (fee,) = [e.item for e in flow.events(ReceivableBooked) if e.item.kind is ItemKind.FEE]
    pay(flow, "WAIVE", "1000.00", [(doc, "1000.00")])
    assert flow.events(CaseClosed) == []
    case = CollectionCase.id_for(doc)
    flow.when(waive_charge, WaiveCharge(item=fee.item_id, partner=pid, reason="goodwill")).then(
        like(ChargeWaived, item_id=fee.item_id),
        like(CaseClosed, originator_id=case, reason="paid", on=on(22)),
        like(SalesUnblocked, originator_id=pid, case=case),
    )


def test_an_invoice_settled_partly_by_credit_and_partly_by_payment_is_closed_paid() -> None:
    flow = collection()
    register(flow, "BOTH")
    doc = invoice(flow, "BOTH", "300.00")
    flow.day(on(22))
    note = flow.given_command(draft_document, credit_note("BOTH", doc, "100.00"))
    flow.given_command(issue_document, IssueDocument(document=str(note.id)))
    assert flow.events(CaseClosed) == []
    flow.when(receive_payment, payment("BOTH", "200.00"))
    closed = [e for e in flow.new if isinstance(e, CaseClosed)]
    assert [(e.originator_id, e.reason) for e in closed] == [(CollectionCase.id_for(doc), "paid")]


def test_one_payment_closes_every_settled_case_and_lifts_each_block() -> None:
    flow = collection(levels=STRICT)
    pid = register(flow, "MANY")
    docs = [invoice(flow, "MANY", "100.00"), invoice(flow, "MANY", "200.00")]
    flow.day(on(22))
    cases = sorted(CollectionCase.id_for(d) for d in docs)
    assert sorted(e.case for e in flow.events(SalesBlocked)) == cases
    flow.when(receive_payment, payment("MANY", "340.00"))  # both invoices and the one fee of the group
    closed = [e.originator_id for e in flow.new if isinstance(e, CaseClosed)]
    lifted = [e.case for e in flow.new if isinstance(e, SalesUnblocked) and e.originator_id == pid]
    assert (sorted(closed), sorted(lifted)) == (cases, cases)


def test_settling_cases_whose_invoice_is_open_records_nothing() -> None:
    flow = collection(levels=STRICT)
    pid = register(flow, "OPEN")
    doc = invoice(flow, "OPEN", "500.00")
    flow.day(on(22))
    pay(flow, "OPEN", "499.99")
    flow.when(settle_cases, SettleCases(partner=pid, cases=[CollectionCase.id_for(doc)])).then_nothing()
