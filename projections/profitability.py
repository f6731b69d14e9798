"""Profitability facts: one row per issued invoice or credit-note line (credit notes negative),
and one per fee or interest charge (other income), so that any grouping is one query."""

from __future__ import annotations

import json
from decimal import Decimal

from sqlalchemy import BigInteger, Column, Date, Index, Integer, MetaData, Numeric, String, Table, Text

from aggregates.account import ItemKind, ReceivableBooked
from aggregates.sales_document_events import DocumentCancelled, DocumentDrafted, DocumentIssued
from aggregates.sales_document_values import DocType
from projections.catalog import Projection, Rows

FACT_TYPES = (DocType.INVOICE, DocType.CREDIT_NOTE)


def define(meta: MetaData, prefix: str) -> dict[str, Table]:
    facts = Table(
        f"{prefix}facts",
        meta,
        Column("position", BigInteger, primary_key=True, autoincrement=False),
        Column("seq", Integer, primary_key=True, autoincrement=False),
        Column("document", String(36)),
        Column("kind", String(12), nullable=False),
        Column("date", Date, nullable=False),
        Column("partner_id", String(36), nullable=False),
        Column("group_code", String(80)),
        Column("sales_rep", String(80)),
        Column("product", String(80)),
        Column("campaign", String(80)),
        Column("quantity", Numeric(18, 4), nullable=False),
        Column("revenue", Numeric(18, 2), nullable=False),
        Column("cost", Numeric(18, 2), nullable=False),
        Column("other_income", Numeric(18, 2), nullable=False),
    )
    Index(f"{prefix}ix_date", facts.c.date)
    Index(f"{prefix}ix_campaign", facts.c.campaign)
    drafts = Table(
        f"{prefix}drafts",
        meta,
        Column("document", String(36), primary_key=True),
        Column("type", String(20), nullable=False),
        Column("sales_rep", String(80)),
        Column("campaign", String(80)),
        Column("lines", Text, nullable=False),
    )
    return {"facts": facts, "drafts": drafts}


profitability = Projection("profitability", define)


@profitability.on(DocumentDrafted)
def drafted(e: DocumentDrafted, rows: Rows) -> None:
    if e.doc_type not in FACT_TYPES:
        return
    lines = [
        {"product": li.product, "quantity": str(li.quantity), "net": str(li.net), "cost": str(li.cost)}
        for li in e.lines
    ]
    rows.insert(
        "drafts",
        document=str(e.originator_id),
        type=e.doc_type.value,
        sales_rep=e.terms.sales_rep,
        campaign=e.terms.campaign,
        lines=json.dumps(lines),
    )


@profitability.on(DocumentIssued)
def issued(e: DocumentIssued, rows: Rows) -> None:
    if e.doc_type not in FACT_TYPES:
        return
    draft = rows.get("drafts", document=str(e.originator_id))
    assert draft is not None
    sign = Decimal(-1) if e.doc_type is DocType.CREDIT_NOTE else Decimal(1)
    for seq, line in enumerate(json.loads(draft["lines"])):
        rows.insert(
            "facts",
            position=rows.position,
            seq=seq,
            document=str(e.originator_id),
            kind=e.doc_type.value,
            date=e.issue_date,
            partner_id=str(e.partner),
            group_code=e.partner_group,
            sales_rep=draft["sales_rep"],
            product=line["product"],
            campaign=draft["campaign"],
            quantity=sign * Decimal(line["quantity"]),
            revenue=sign * Decimal(line["net"]),
            cost=sign * Decimal(line["cost"]),
            other_income=Decimal(0),
        )
    rows.delete("drafts", document=str(e.originator_id))


@profitability.on(ReceivableBooked)
def charged(e: ReceivableBooked, rows: Rows) -> None:
    if e.item.kind is ItemKind.INVOICE:
        return
    rows.insert(
        "facts",
        position=rows.position,
        seq=0,
        document=None,
        kind=e.item.kind.value,
        date=e.item.booked_on,
        partner_id=str(e.partner),
        group_code=None,
        sales_rep=None,
        product=None,
        campaign=None,
        quantity=Decimal(0),
        revenue=Decimal(0),
        cost=Decimal(0),
        other_income=e.item.amount,
    )


@profitability.on(DocumentCancelled)
def cancelled(e: DocumentCancelled, rows: Rows) -> None:
    # A cancelled invoice was never revenue; a cancelled draft never will be.
    rows.delete("facts", document=str(e.originator_id))
    rows.delete("drafts", document=str(e.originator_id))
