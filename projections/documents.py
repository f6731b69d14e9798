"""Sales documents as rows: status, totals, open amount and collection facts, plus the whole
document (terms, lines with remaining and delivered quantities, links, delivery dates) as JSON for
the representation."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Boolean, Column, Date, Index, Integer, MetaData, Numeric, String, Table, Text

from aggregates.account import (
    CreditNoteAllocated,
    ItemCancelled,
    PaymentAllocated,
    ReceivableBooked,
    UnappliedCreditUsed,
)
from aggregates.delivery import (
    DeliveryAllotted,
    DeliveryCancelled,
    DeliveryDelivered,
    DeliveryPlanned,
    DeliveryReleased,
    DeliveryShipped,
)
from aggregates.money import ZERO
from aggregates.sales_document_events import (
    ConversionReverted,
    DisputeResolved,
    DocumentBilled,
    DocumentCancelled,
    DocumentDrafted,
    DocumentIssued,
    GraceGranted,
    InvoiceDisputed,
    InvoiceDunned,
    LinesConverted,
    PaymentPromised,
    QuoteAccepted,
    QuoteExpired,
    QuoteRefused,
)
from aggregates.sales_document_values import DocType
from projections.catalog import Projection, Rows


def define(meta: MetaData, prefix: str) -> dict[str, Table]:
    documents = Table(
        f"{prefix}documents",
        meta,
        Column("id", String(36), primary_key=True),
        Column("number", String(80)),
        Column("type", String(20), nullable=False),
        Column("status", String(30), nullable=False),
        Column("partner_id", String(36), nullable=False),
        Column("issue_date", Date),
        Column("due_date", Date),
        Column("valid_until", Date),
        Column("currency", String(3), nullable=False),
        Column("sales_rep", String(80)),
        Column("campaign", String(80)),
        Column("net", Numeric(18, 2), nullable=False),
        Column("tax", Numeric(18, 2), nullable=False),
        Column("total", Numeric(18, 2), nullable=False),
        Column("cost", Numeric(18, 2), nullable=False),
        Column("open_amount", Numeric(18, 2)),
        Column("billed_net", Numeric(18, 2), nullable=False),
        Column("in_dispute", Boolean, nullable=False),
        Column("promise_amount", Numeric(18, 2)),
        Column("promise_date", Date),
        Column("grace_until", Date),
        Column("dunning_level", Integer, nullable=False),
        Column("version", Integer, nullable=False),
        Column("created_position", BigInteger, nullable=False),
        Column("body", Text, nullable=False),
    )
    Index(f"{prefix}ix_number", documents.c.number)
    Index(f"{prefix}ix_partner", documents.c.partner_id, documents.c.created_position)
    Index(f"{prefix}ix_type_status", documents.c.type, documents.c.status, documents.c.valid_until)
    Index(f"{prefix}ix_campaign", documents.c.campaign)
    return {"documents": documents}


documents = Projection("documents", define)


def _body(row: dict[str, Any]) -> dict[str, Any]:
    return json.loads(row["body"])  # type: ignore[no-any-return]


def _save(rows: Rows, e: Any, body: dict[str, Any] | None = None, **values: Any) -> None:
    if body is not None:
        values["body"] = json.dumps(body, sort_keys=True)
    rows.update("documents", {"id": str(e.originator_id)}, version=e.originator_version, **values)


def _get(rows: Rows, document_id: Any) -> dict[str, Any]:
    row = rows.get("documents", id=str(document_id))
    assert row is not None, f"document {document_id} missing"
    return row


@documents.on(DocumentDrafted)
def drafted(e: DocumentDrafted, rows: Rows) -> None:
    t = e.terms
    lines = [{**line.model_dump(mode="json"), "remaining_quantity": str(line.quantity)} for line in e.lines]
    links = (
        [{"rel": "source", "document": str(e.source), "type": e.source_type.value}]
        if e.source and e.source_type
        else []
    )
    net = sum((line.net for line in e.lines), ZERO)
    tax = sum((line.tax for line in e.lines), ZERO)
    body = {"terms": t.model_dump(mode="json"), "lines": lines, "links": links}
    rows.insert(
        "documents",
        id=str(e.originator_id),
        number=None,
        type=e.doc_type.value,
        status="draft",
        partner_id=str(t.partner),
        issue_date=t.issue_date,
        due_date=t.due_date,
        valid_until=t.valid_until,
        currency=t.currency,
        sales_rep=t.sales_rep,
        campaign=t.campaign,
        net=net,
        tax=tax,
        total=net + tax,
        cost=sum((line.cost for line in e.lines), ZERO),
        open_amount=None,
        billed_net=ZERO,
        in_dispute=False,
        promise_amount=None,
        promise_date=None,
        grace_until=None,
        dunning_level=0,
        version=e.originator_version,
        created_position=rows.position,
        body=json.dumps(body, sort_keys=True),
    )
    if e.source is not None and e.source_type is not None:
        source = _get(rows, e.source)
        source_body = _body(source)
        source_body["links"].append({"rel": "derived", "document": str(e.originator_id), "type": e.doc_type.value})
        rows.update("documents", {"id": source["id"]}, body=json.dumps(source_body, sort_keys=True))


@documents.on(DocumentIssued)
def issued(e: DocumentIssued, rows: Rows) -> None:
    _save(rows, e, number=e.number, status=e.status.value, issue_date=e.issue_date, due_date=e.due_date)


def _status(rows: Rows, e: Any, status: str) -> None:
    _save(rows, e, status=status)


@documents.on(QuoteAccepted)
def accepted(e: QuoteAccepted, rows: Rows) -> None:
    _status(rows, e, "accepted")


@documents.on(QuoteRefused)
def refused(e: QuoteRefused, rows: Rows) -> None:
    _status(rows, e, "refused")


@documents.on(QuoteExpired)
def expired(e: QuoteExpired, rows: Rows) -> None:
    _status(rows, e, "expired")


@documents.on(DocumentCancelled)
def cancelled(e: DocumentCancelled, rows: Rows) -> None:
    _save(rows, e, status="cancelled", open_amount=None)


def _move_remaining(rows: Rows, e: Any, lines: Any, sign: int, status: str, link_target: Any, add_link: bool) -> None:
    row = _get(rows, e.originator_id)
    body = _body(row)
    changed = {str(w.line_id): w.quantity for w in lines} if getattr(e, "consumes", True) else {}
    for line in body["lines"]:
        if line["line_id"] in changed:
            line["remaining_quantity"] = str(Decimal(line["remaining_quantity"]) + sign * changed[line["line_id"]])
    if not add_link:
        body["links"] = [link for link in body["links"] if link["document"] != str(link_target)]
    _save(rows, e, body=body, status=status)


@documents.on(LinesConverted)
def converted(e: LinesConverted, rows: Rows) -> None:
    # The derived link is added when the target's DocumentDrafted arrives (same transaction).
    _move_remaining(rows, e, e.lines, -1, e.status.value, e.target, add_link=True)


@documents.on(ConversionReverted)
def reverted(e: ConversionReverted, rows: Rows) -> None:
    _move_remaining(rows, e, e.lines, +1, e.status.value, e.target, add_link=False)


def _move_delivered(rows: Rows, e: DeliveryAllotted | DeliveryReleased, sign: int) -> None:
    body = _body(_get(rows, e.originator_id))
    changed = {str(w.line_id): w.quantity for w in e.lines}
    for line in body["lines"]:
        if line["line_id"] in changed:
            delivered = Decimal(line.get("delivered_quantity", "0")) + sign * changed[line["line_id"]]
            line["delivered_quantity"] = str(delivered)
    _save(rows, e, body=body)


@documents.on(DeliveryAllotted)
def delivery_allotted(e: DeliveryAllotted, rows: Rows) -> None:
    # The derived link is added when the delivery's DocumentDrafted arrives (same transaction).
    _move_delivered(rows, e, +1)


@documents.on(DeliveryReleased)
def delivery_released(e: DeliveryReleased, rows: Rows) -> None:
    _move_delivered(rows, e, -1)


def _delivery_step(rows: Rows, e: DeliveryShipped | DeliveryDelivered, status: str) -> None:
    body = _body(_get(rows, e.originator_id))
    body[f"{status}_date"] = e.on.isoformat()
    _save(rows, e, body=body, status=status)


@documents.on(DeliveryPlanned)
def delivery_planned(e: DeliveryPlanned, rows: Rows) -> None:
    _save(rows, e, number=e.number, status="planned", issue_date=e.issue_date)


@documents.on(DeliveryShipped)
def delivery_shipped(e: DeliveryShipped, rows: Rows) -> None:
    _delivery_step(rows, e, "shipped")


@documents.on(DeliveryDelivered)
def delivery_delivered(e: DeliveryDelivered, rows: Rows) -> None:
    _delivery_step(rows, e, "delivered")


@documents.on(DeliveryCancelled)
def delivery_cancelled(e: DeliveryCancelled, rows: Rows) -> None:
    _status(rows, e, "cancelled")


@documents.on(DocumentBilled)
def billed(e: DocumentBilled, rows: Rows) -> None:
    row = _get(rows, e.originator_id)
    _save(rows, e, billed_net=Decimal(row["billed_net"]) + e.net)


@documents.on(InvoiceDisputed)
def disputed(e: InvoiceDisputed, rows: Rows) -> None:
    _save(rows, e, in_dispute=True)


@documents.on(DisputeResolved)
def dispute_resolved(e: DisputeResolved, rows: Rows) -> None:
    _save(rows, e, in_dispute=False)


@documents.on(PaymentPromised)
def promised(e: PaymentPromised, rows: Rows) -> None:
    _save(rows, e, promise_amount=e.promise.amount, promise_date=e.promise.date)


@documents.on(GraceGranted)
def grace(e: GraceGranted, rows: Rows) -> None:
    _save(rows, e, grace_until=e.until)


# -- open amounts from the partner's account -------------------------------------------------------


def _open_change(rows: Rows, item_id: Any, delta: Decimal | None, absolute: Decimal | None = None) -> None:
    row = rows.get("documents", id=str(item_id))
    if row is None or row["type"] != DocType.INVOICE.value:
        return  # a fee or interest charge, not a document
    value = absolute if absolute is not None else Decimal(row["open_amount"] or 0) + (delta or ZERO)
    status = row["status"]
    if status in ("issued", "paid"):
        status = "paid" if value <= 0 else "issued"
    rows.update("documents", {"id": row["id"]}, open_amount=value, status=status)


@documents.on(ReceivableBooked)
def booked(e: ReceivableBooked, rows: Rows) -> None:
    _open_change(rows, e.item.item_id, None, absolute=e.item.amount)


@documents.on(PaymentAllocated, CreditNoteAllocated, UnappliedCreditUsed)
def allocated(e: PaymentAllocated | CreditNoteAllocated | UnappliedCreditUsed, rows: Rows) -> None:
    for a in e.allocations:
        _open_change(rows, a.item_id, -a.amount)


@documents.on(ItemCancelled)
def item_cancelled(e: ItemCancelled, rows: Rows) -> None:
    row = rows.get("documents", id=str(e.item_id))
    if row is not None:
        rows.update("documents", {"id": row["id"]}, open_amount=ZERO)


@documents.on(InvoiceDunned)
def dunned(e: InvoiceDunned, rows: Rows) -> None:
    _save(rows, e, dunning_level=e.level)
