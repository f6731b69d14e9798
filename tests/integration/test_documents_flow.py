"""Sales documents, payments and recurring invoices through the command layer and the read models:
the quote-to-cash chain, concurrent payments against one invoice, and recurring invoices catching
up over a clock jump. (Credit refusals and prospect promotion are tests/commands/test_sales.py's.)"""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from aggregates.account import Account
from aggregates.errors import Conflict, DomainError
from aggregates.recurring_invoice import Unit
from commands.documents import (
    AcceptQuote,
    ConvertDocument,
    DraftDocument,
    IssueDocument,
    LineIn,
    LineQuantity,
    accept_quote,
    convert_document,
    draft_document,
    issue_document,
)
from commands.partners import RegisterPartner, register_partner
from commands.payments import AllocationIn, ReceivePayment, receive_payment
from commands.recurring_invoices import (
    CreateRecurringInvoice,
    FrequencyIn,
    GenerateRecurringInvoices,
    create_recurring_invoice,
    generate_recurring_invoices,
)
from commands.users import RegisterUser, register_user
from queries.documents import DocumentQueries
from queries.pages import PageRequest
from queries.receivables import ReceivableQueries
from queries.recurring_invoices import RecurringQueries
from services.bootstrap.container import Container

D = Decimal


def register(c: Container, code: str, **fields: Any) -> UUID:
    result = c.execute(register_partner, RegisterPartner(name=f"{code} Ltd", code=code, **fields))
    assert result.id is not None
    return result.id


def draft(c: Container, doc_type: str, partner: str, lines: list[dict[str, Any]], **fields: Any) -> UUID:
    cmd = DraftDocument(type=doc_type, partner=partner, lines=[LineIn(**line) for line in lines], **fields)
    result = c.execute(draft_document, cmd)
    assert result.id is not None
    return result.id


def issue(c: Container, document: UUID | str) -> None:
    c.execute(issue_document, IssueDocument(document=str(document)))


def convert(c: Container, document: UUID, to: str, lines: list[tuple[str, str]] | None = None) -> UUID:
    chosen = [LineQuantity(line_id=UUID(lid), quantity=D(q)) for lid, q in lines] if lines is not None else None
    result = c.execute(convert_document, ConvertDocument(document=str(document), to=to, lines=chosen))
    assert result.id is not None
    return result.id


def pay(c: Container, partner: str, amount: str, allocations: list[tuple[str, str]] | None = None) -> UUID:
    chosen = [AllocationIn(document=ref, amount=D(a)) for ref, a in allocations] if allocations is not None else None
    result = c.execute(receive_payment, ReceivePayment(partner=partner, amount=D(amount), allocations=chosen))
    assert result.id is not None
    return result.id


def doc(c: Container, document: UUID | str) -> dict[str, Any]:
    c.runner.drain()
    return DocumentQueries(c.catalog).get(str(document))


def refused(code: str, command: Any) -> DomainError:
    with pytest.raises(DomainError) as error:
        command()
    assert error.value.code == code, error.value.detail
    return error.value


QUOTE_LINES = [
    # 10 × 33.33 less 5 % = 316.635 → 316.64 (half-up), tax 23 % = 72.8272 → 72.83
    {"product": "A", "quantity": "10", "unit_price": "33.33", "discount_percent": "5", "tax_rate": "23"},
    # 4 × 19.99 = 79.96, tax 18.39
    {"product": "B", "quantity": "4", "unit_price": "19.99", "tax_rate": "23", "unit_cost": "12.50"},
]


@pytest.mark.postgres
def test_quote_to_order_to_invoices_to_payments(container: Container) -> None:
    c = container
    pid = register(c, "ACME")
    quote = draft(c, "quote", "ACME", QUOTE_LINES, valid_until=date(2026, 2, 15))
    q = doc(c, quote)
    assert (q["status"], q["number"], q["net"], q["tax"], q["total"], q["cost"]) == (
        "draft",
        None,
        "396.60",
        "91.22",
        "487.82",
        "50.00",
    )
    line_a, line_b = (line["line_id"] for line in q["lines"])

    issue(c, quote)
    assert (doc(c, quote)["status"], doc(c, quote)["number"]) == ("sent", "QT2601-0001")
    c.execute(register_user, RegisterUser(username="anna", name="Anna"))  # who accepted it must exist
    c.execute(accept_quote, AcceptQuote(document="QT2601-0001", by="anna"))
    assert doc(c, quote)["status"] == "accepted"

    order = convert(c, quote, "order")
    q = doc(c, quote)
    assert q["status"] == "ordered"
    assert [line["remaining_quantity"] for line in q["lines"]] == ["0", "0"]
    o = doc(c, order)
    assert (o["status"], o["total"], o["valid_until"]) == ("draft", "487.82", None)
    assert {"rel": "source", "document": str(quote), "type": "quote"} in o["links"]
    assert {"rel": "derived", "document": str(order), "type": "order"} in q["links"]
    order_a = o["lines"][0]["line_id"]
    assert [line["source_line"] for line in o["lines"]] == [line_a, line_b]

    issue(c, order)
    assert (doc(c, order)["status"], doc(c, order)["number"]) == ("confirmed", "SO2601-0001")

    first = convert(c, order, "invoice", [(order_a, "5")])
    o = doc(c, order)
    assert o["status"] == "partially_invoiced"
    assert [line["remaining_quantity"] for line in o["lines"]] == ["5", "4"]
    issue(c, first)
    inv1 = doc(c, first)
    # 5 × 33.33 less 5 % = 158.3175 → 158.32; tax 23 % = 36.4136 → 36.41
    assert (inv1["number"], inv1["status"], inv1["issue_date"], inv1["due_date"]) == (
        "IN2601-0001",
        "issued",
        date(2026, 1, 15),
        date(2026, 2, 14),
    )
    assert (inv1["net"], inv1["tax"], inv1["total"], inv1["open_amount"]) == ("158.32", "36.41", "194.73", "194.73")
    assert (doc(c, order)["billed"], doc(c, quote)["billed"]) == (False, False)

    second = convert(c, order, "invoice")
    assert doc(c, order)["status"] == "invoiced"
    issue(c, second)
    inv2 = doc(c, second)
    # A 158.32 (+ 36.41 tax) and B 79.96 (+ 18.39)
    assert (inv2["number"], inv2["net"], inv2["tax"], inv2["total"], inv2["open_amount"]) == (
        "IN2601-0002",
        "238.28",
        "54.80",
        "293.08",
        "293.08",
    )
    # The invoices' nets add up to the order's 396.60: billed, up the chain to the quote.
    assert (doc(c, order)["billed"], doc(c, quote)["billed"]) == (True, True)

    receivables = ReceivableQueries(c.catalog)
    assert receivables.totals(str(pid)) == (D("487.81"), D("0"))

    # Both invoices are due on Feb 14: the older booking is settled first.
    pay(c, "ACME", "200.00")
    c.runner.drain()
    assert (doc(c, first)["open_amount"], doc(c, first)["status"]) == ("0.00", "paid")
    assert (doc(c, second)["open_amount"], doc(c, second)["status"]) == ("287.81", "issued")
    assert [(i["number"], i["open_amount"]) for i in receivables.open_items(str(pid))] == [("IN2601-0002", "287.81")]

    pay(c, "ACME", "300.00", [("IN2601-0002", "287.81")])
    c.runner.drain()
    assert (doc(c, second)["open_amount"], doc(c, second)["status"]) == ("0.00", "paid")
    assert receivables.open_items(str(pid)) == []
    assert receivables.totals(str(pid)) == (D("0"), D("12.19"))
    payments = receivables.payments(PageRequest(), [str(pid)])["items"]
    assert sorted((p["number"], p["amount"], p["unapplied"]) for p in payments) == [
        ("PY2601-0001", "200.00", "0.00"),
        ("PY2601-0002", "300.00", "12.19"),
    ]
    account = c.store.get(Account.id_for(pid))
    assert isinstance(account, Account)
    assert account.paid == {first: D("194.73"), second: D("293.08")}
    assert account.balance == D("-12.19")


@pytest.mark.postgres
def test_concurrent_full_payments_of_one_invoice_allocate_once(container: Container) -> None:
    c = container
    pid = register(c, "RACE")
    invoices = []
    for price in ("100.00", "250.50", "0.10"):
        invoice = draft(c, "invoice", "RACE", [{"product": "X", "quantity": "1", "unit_price": price}])
        issue(c, invoice)
        invoices.append((invoice, price))
    c.runner.drain()
    for invoice, price in invoices:
        number = doc(c, invoice)["number"]
        barrier = threading.Barrier(2)
        outcomes: list[Any] = []

        def racer(
            number: str = number,
            price: str = price,
            barrier: threading.Barrier = barrier,
            outcomes: list[Any] = outcomes,
        ) -> None:
            barrier.wait()
            try:
                outcomes.append(pay(c, "RACE", price, [(number, price)]))
            except Exception as error:
                outcomes.append(error)

        threads = [threading.Thread(target=racer) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        won = [o for o in outcomes if isinstance(o, UUID)]
        lost = [o for o in outcomes if not isinstance(o, UUID)]
        assert len(won) == 1, outcomes
        assert len(lost) == 1, outcomes
        assert isinstance(lost[0], Conflict)
        assert lost[0].code == "allocation_exceeds_open"
        # Paying it once more, after the race, is refused the same way.
        refused("allocation_exceeds_open", lambda number=number, price=price: pay(c, "RACE", price, [(number, price)]))
        d = doc(c, invoice)
        assert (d["open_amount"], d["status"]) == ("0.00", "paid")
    account = c.store.get(Account.id_for(pid))
    assert isinstance(account, Account)
    assert account.open == {}
    assert account.unapplied == D("0")
    assert account.paid == {invoice: D(price) for invoice, price in invoices}
    receivables = ReceivableQueries(c.catalog)
    payments = receivables.payments(PageRequest(), [str(pid)])["items"]
    assert sorted(p["amount"] for p in payments) == ["0.10", "100.00", "250.50"]
    assert sorted(p["number"] for p in payments) == ["PY2601-0001", "PY2601-0002", "PY2601-0003"]
    assert receivables.totals(str(pid)) == (D("0"), D("0"))


def test_a_monthly_recurring_invoice_catches_up_over_one_clock_jump(container: Container) -> None:
    c = container
    pid = register(c, "SUBS")
    result = c.execute(
        create_recurring_invoice,
        CreateRecurringInvoice(
            partner="SUBS",
            lines=[LineIn(product="Hosting", quantity=D("1"), unit_price=D("49.90"), tax_rate=D("20"))],
            frequency=FrequencyIn(unit=Unit.MONTH),
            next_date=date(2026, 1, 31),
        ),
    )
    template = str(result.id)
    assert c.clock.today() == date(2026, 1, 15)

    tick = c.clock.tick(date(2026, 4, 1), "test")
    assert tick.days_run[0] == date(2026, 1, 15)
    assert tick.days_run[-1] == date(2026, 4, 1)
    c.runner.drain()

    def invoices() -> list[tuple[Any, ...]]:
        c.runner.drain()
        items = DocumentQueries(c.catalog).search(PageRequest(limit=500), partners=[str(pid)], doc_type="invoice")
        return sorted(
            (i["issue_date"], i["due_date"], i["status"], i["total"], i["open_amount"]) for i in items["items"]
        )

    numbers = sorted(
        i["number"] for i in DocumentQueries(c.catalog).search(PageRequest(), partners=[str(pid)])["items"]
    )
    assert numbers == ["IN2601-0001", "IN2602-0002", "IN2603-0003"]
    made = [
        (date(2026, 1, 31), date(2026, 3, 2), "issued", "59.88", "59.88"),
        (date(2026, 2, 28), date(2026, 3, 30), "issued", "59.88", "59.88"),
        (date(2026, 3, 31), date(2026, 4, 30), "issued", "59.88", "59.88"),
    ]
    assert invoices() == made
    t = RecurringQueries(c.catalog).get(template)
    assert (t["count"], t["next_date"], t["status"], len(t["invoices"])) == (3, date(2026, 4, 30), "active", 3)
    assert ReceivableQueries(c.catalog).totals(str(pid)) == (D("179.64"), D("0"))

    c.clock.tick(date(2026, 4, 29), "test")
    assert invoices() == made
    t = RecurringQueries(c.catalog).get(template)
    assert (t["count"], t["next_date"]) == (3, date(2026, 4, 30))


def test_one_generation_run_catches_up_every_missed_date_once(container: Container) -> None:
    """The command itself catches up: one run for a late day makes every missed date's invoice,
    and running it again (a repeated day start) makes none."""
    c = container
    pid = register(c, "LATE")
    result = c.execute(
        create_recurring_invoice,
        CreateRecurringInvoice(
            partner="LATE",
            lines=[LineIn(product="Support", quantity=D("2"), unit_price=D("12.50"))],
            frequency=FrequencyIn(unit=Unit.WEEK, interval=2),
            next_date=date(2025, 12, 1),
            max_count=3,
            auto_issue=False,
        ),
    )
    assert result.id is not None
    run = GenerateRecurringInvoices(template=result.id, day=date(2026, 1, 15))
    c.execute(generate_recurring_invoices, run)
    c.execute(generate_recurring_invoices, run)
    c.runner.drain()
    items = DocumentQueries(c.catalog).search(PageRequest(), partners=[str(pid)], doc_type="invoice")["items"]
    # Without auto_issue the invoices stay drafts, dated on their schedule dates.
    assert sorted((i["issue_date"], i["status"], i["number"], i["total"]) for i in items) == [
        (date(2025, 12, 1), "draft", None, "25.00"),
        (date(2025, 12, 15), "draft", None, "25.00"),
        (date(2025, 12, 29), "draft", None, "25.00"),
    ]
    t = RecurringQueries(c.catalog).get(str(result.id))
    assert (t["count"], t["status"], len(t["invoices"])) == (3, "finished", 3)
    assert ReceivableQueries(c.catalog).totals(str(pid)) == (D("0"), D("0"))
