"""What happens to a sales document: drafted, issued, accepted or refused, converted, billed,
cancelled, and the collection facts of an invoice."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from aggregates.base import CreatedEvent, DomainEvent
from aggregates.money import ZERO
from aggregates.sales_document_values import ConvertedLine, DocStatus, DocType, DocumentTerms, Line, Promise


class DocumentDrafted(CreatedEvent):
    TOPIC = "counterparty.document.DocumentDrafted.v1"
    doc_type: DocType
    terms: DocumentTerms
    lines: tuple[Line, ...]
    source: UUID | None = None
    source_type: DocType | None = None


class DocumentIssued(DomainEvent):
    TOPIC = "counterparty.document.DocumentIssued.v1"
    doc_type: DocType
    partner: UUID
    number: str
    issue_date: date
    due_date: date | None
    status: DocStatus
    partner_group: str | None = None
    total: Decimal = ZERO
    currency: str = "EUR"


class QuoteAccepted(DomainEvent):
    TOPIC = "counterparty.document.QuoteAccepted.v1"
    on: date
    by: str | None


class QuoteRefused(DomainEvent):
    TOPIC = "counterparty.document.QuoteRefused.v1"
    reason: str
    on: date


class QuoteExpired(DomainEvent):
    TOPIC = "counterparty.document.QuoteExpired.v1"
    on: date


class LinesConverted(DomainEvent):
    """On the source: ``target`` was drafted from these quantities of its lines."""

    TOPIC = "counterparty.document.LinesConverted.v1"
    target: UUID
    target_type: DocType
    lines: tuple[ConvertedLine, ...]
    consumes: bool
    status: DocStatus


class ConversionReverted(DomainEvent):
    """On the source: the derived draft was cancelled, its quantities are open again."""

    TOPIC = "counterparty.document.ConversionReverted.v1"
    target: UUID
    lines: tuple[ConvertedLine, ...]
    status: DocStatus


class DocumentBilled(DomainEvent):
    TOPIC = "counterparty.document.DocumentBilled.v1"
    invoice: UUID
    net: Decimal
    billed: bool


class InvoiceDunned(DomainEvent):
    """A collection level reached the invoice with a message: it can no longer be cancelled."""

    TOPIC = "counterparty.document.InvoiceDunned.v1"
    level: int
    messaged: bool
    on: date


class ReminderSent(DomainEvent):
    """A reminder level before the due date went out for the invoice (it goes out once)."""

    TOPIC = "counterparty.document.ReminderSent.v1"
    level: int
    on: date


class DocumentCancelled(DomainEvent):
    TOPIC = "counterparty.document.DocumentCancelled.v1"
    reason: str
    on: date


class InvoiceDisputed(DomainEvent):
    TOPIC = "counterparty.document.InvoiceDisputed.v1"
    reason: str
    on: date


class DisputeResolved(DomainEvent):
    TOPIC = "counterparty.document.DisputeResolved.v1"
    on: date


class PaymentPromised(DomainEvent):
    TOPIC = "counterparty.document.PaymentPromised.v1"
    promise: Promise
    on: date


class GraceGranted(DomainEvent):
    TOPIC = "counterparty.document.GraceGranted.v1"
    until: date
    on: date
