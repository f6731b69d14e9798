"""Test data: partners, invoices and receivables built in memory and saved in batches."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID, uuid4

from aggregates.account import Account
from aggregates.base import DomainEvent, EventMeta
from aggregates.partner import Partner
from aggregates.partner_addresses import Address
from aggregates.partner_contacts import Contact
from aggregates.partner_details import PartnerDetails
from aggregates.sales_document import SalesDocument
from aggregates.sales_document_values import DocType, DocumentTerms, Line
from commands.documents import LineIn, book_invoice
from services.bootstrap.container import Container
from services.cli.bench.common import LOG_BATCH, Advance

# -- test data -----------------------------------------------------------------------------------


def details(i: int) -> PartnerDetails:
    return PartnerDetails(
        name=f"Bench Partner {i} GmbH",
        email=f"partner{i}@example.com",
        tags=("bench", f"t{i % 10}"),
        sales_reps=(f"rep{i % 7}",),
        payment_terms_days=30,
    )


def stamped(events: list[DomainEvent], today: date) -> list[DomainEvent]:
    """Events as ``CommandContext.save`` stamps them (meta and recording time)."""
    meta = EventMeta(business_date=today, actor="bench", correlation=str(uuid4()))
    stamp = {"meta": meta, "timestamp": datetime.now(UTC)}
    return [e.model_copy(update=stamp) for e in events]


def registration(i: int, today: date) -> list[DomainEvent]:
    """One small aggregate's pending events: a freshly registered partner."""
    partner = Partner.register(uuid4(), f"B{i:07d}", details(i), today)
    return stamped(partner.collect_events(), today)


def partner_history(i: int, today: date) -> list[DomainEvent]:
    """Five events of one partner that give the directory, timeline and audit index work."""
    partner = Partner.register(uuid4(), f"L{i:07d}", details(i), today)
    partner.change_details({"phone": f"+49 30 {i:07d}", "tags": ("bench", f"t{i % 10}", "changed")})
    partner.add_contact(Contact(id=uuid4(), name=f"Contact {i}", email=f"c{i}@example.com"))
    partner.add_address(
        Address(id=uuid4(), usage=("billing",), street=f"Street {i}", city="Berlin", postal_code="10115", country="DE")
    )
    partner.change_details({"credit_limit": "5000.00"})
    return stamped(partner.collect_events(), today)


def billed_partner(i: int, prefix: str, today: date) -> Partner:
    """A customer whose billing contact has an e-mail address (collection e-mails reach it)."""
    partner = Partner.register(uuid4(), f"{prefix}{i:07d}", details(i), today)
    partner.add_contact(Contact(id=uuid4(), name="Accounts", email=f"ap{i}@example.com", responsibilities=("billing",)))
    return partner


def save_partners(c: Container, n: int, prefix: str) -> list[UUID]:
    """``n`` partners saved directly, ``LOG_BATCH`` events per transaction."""
    today = c.today()
    ids: list[UUID] = []
    batch: list[DomainEvent] = []
    for i in range(n):
        partner = billed_partner(i, prefix, today)
        ids.append(partner.id)
        batch += stamped(partner.collect_events(), today)
        if len(batch) >= LOG_BATCH or i == n - 1:
            c.store.save(batch)
            batch = []
    return ids


def invoice_lines(n: int, i: int) -> list[LineIn]:
    return [
        LineIn(
            product=f"P{(i + k) % 50:03d}",
            quantity=Decimal("2"),
            unit_price=Decimal("50.00"),
            unit_cost=Decimal("30.00"),
            tax_rate=Decimal("19"),
        )
        for k in range(n)
    ]


def invoice_events(
    account: Account, partner: Partner, number: str, issue_date: date, lines: int, i: int
) -> list[DomainEvent]:
    """An issued invoice built in memory (drafted, issued, booked on the account)."""
    terms = DocumentTerms(
        partner=partner.id, payment_terms_days=30, currency="EUR", sales_rep=partner.details.sales_reps[0]
    )
    priced = [Line.priced(line_id=uuid4(), **line.model_dump()) for line in invoice_lines(lines, i)]
    document = SalesDocument.draft(uuid4(), DocType.INVOICE, terms, priced)
    document.issue(number, issue_date, partner.details.group)
    book_invoice(account, document, number, issue_date)
    return document.collect_events()


def build_receivables(
    c: Container, invoices: int, partners: int, lines: int, issued: Callable[[int], date], advance: Advance
) -> list[UUID]:
    """``invoices`` issued invoices of ``lines`` lines over ``partners`` partners, saved directly
    (aggregates built in memory, ``store.save`` of about ``LOG_BATCH`` events per transaction).
    Invoice ``i`` is issued on ``issued(i)`` and due 30 days later."""
    today = c.today()
    per_partner = max(1, invoices // partners)
    ids: list[UUID] = []
    batch: list[DomainEvent] = []
    made = 0
    for p in range(partners):
        partner = billed_partner(p, "Q", today)
        account = Account.open_for(partner.id)
        ids.append(partner.id)
        count = per_partner if p < partners - 1 else invoices - made
        for _ in range(count):
            batch += invoice_events(account, partner, f"BI-{made + 1:07d}", issued(made), lines, made)
            made += 1
        batch += partner.collect_events() + account.collect_events()
        if len(batch) >= LOG_BATCH or p == partners - 1:
            c.store.save(stamped(batch, today))
            advance(len(batch))
            batch = []
    return ids
