"""Sales documents, payments and waived charges."""

from __future__ import annotations

from aggregates.account import ChargeWaived
from aggregates.delivery import DeliveryCancelled, DeliveryDelivered, DeliveryPlanned, DeliveryShipped
from aggregates.payment import PaymentReceived
from aggregates.sales_document_events import (
    DisputeResolved,
    DocumentCancelled,
    DocumentDrafted,
    DocumentIssued,
    GraceGranted,
    InvoiceDisputed,
    PaymentPromised,
    QuoteAccepted,
    QuoteExpired,
    QuoteRefused,
)
from aggregates.sales_document_values import DocType
from projections.catalog import Rows
from projections.timeline.entries import document_entry, record, timeline

LABELS = {
    DocType.QUOTE: "Quote",
    DocType.ORDER: "Order",
    DocType.PROFORMA: "Pro-forma",
    DocType.INVOICE: "Invoice",
    DocType.CREDIT_NOTE: "Credit note",
    DocType.DELIVERY: "Delivery note",
}


@timeline.on(DocumentDrafted)
def drafted(e: DocumentDrafted, rows: Rows) -> None:
    label = LABELS[e.doc_type]
    rows.insert("documents", id=str(e.originator_id), partner_id=str(e.terms.partner), label=label)
    record(rows, e, e.terms.partner, "document", f"{label} drafted", e.originator_id)


@timeline.on(DocumentIssued)
def issued(e: DocumentIssued, rows: Rows) -> None:
    label = LABELS[e.doc_type]
    rows.update("documents", {"id": str(e.originator_id)}, label=f"{label} {e.number}")
    verb = {DocType.QUOTE: "sent", DocType.ORDER: "confirmed"}.get(e.doc_type, "issued")
    summary = f"{label} {e.number} {verb}: {e.total} {e.currency}"
    if e.due_date and e.doc_type is DocType.INVOICE:
        summary += f", due {e.due_date.isoformat()}"
    record(rows, e, e.partner, "document", summary, e.originator_id)


document_entry(QuoteAccepted, "document", lambda e: f"accepted{' by ' + e.by if e.by else ''}")
document_entry(QuoteRefused, "document", lambda e: f"refused{': ' + e.reason if e.reason else ''}")
document_entry(QuoteExpired, "document", lambda e: "expired")
document_entry(DocumentCancelled, "document", lambda e: f"cancelled{': ' + e.reason if e.reason else ''}")
document_entry(InvoiceDisputed, "collection", lambda e: f"disputed: {e.reason}")
document_entry(DisputeResolved, "collection", lambda e: "dispute resolved")


@timeline.on(DeliveryPlanned)
def delivery_planned(e: DeliveryPlanned, rows: Rows) -> None:
    label = f"{LABELS[DocType.DELIVERY]} {e.number}"
    rows.update("documents", {"id": str(e.originator_id)}, label=label)
    when = f" for {e.planned_date.isoformat()}" if e.planned_date else ""
    record(rows, e, e.partner, "document", f"{label} planned{when}", e.originator_id)


document_entry(DeliveryShipped, "document", lambda e: f"shipped on {e.on.isoformat()}")
document_entry(DeliveryDelivered, "document", lambda e: f"delivered on {e.on.isoformat()}")
document_entry(DeliveryCancelled, "document", lambda e: f"cancelled{': ' + e.reason if e.reason else ''}")
document_entry(
    PaymentPromised, "collection", lambda e: f"payment of {e.promise.amount} promised for {e.promise.date.isoformat()}"
)
document_entry(GraceGranted, "collection", lambda e: f"grace until {e.until.isoformat()}")


@timeline.on(PaymentReceived)
def payment(e: PaymentReceived, rows: Rows) -> None:
    reference = f" ({e.reference})" if e.reference else ""
    record(
        rows,
        e,
        e.partner,
        "payment",
        f"Payment {e.number} received: {e.amount} {e.currency}{reference}",
        e.originator_id,
    )


@timeline.on(ChargeWaived)
def waived(e: ChargeWaived, rows: Rows) -> None:
    record(rows, e, e.partner, "collection", f"Charge of {e.amount} waived: {e.reason}", e.item_id)
