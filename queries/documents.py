"""Document queries: one document (by id or number), filtered lists, and the quotes due to expire."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import func, select

from aggregates.base import DomainEvent
from aggregates.errors import not_found
from aggregates.sales_document_values import DocStatus, DocType
from projections.catalog import Catalog
from queries.as_of import AsOf
from queries.formats import money
from queries.pages import Keyset, PageRequest
from queries.receivables import ReceivableQueries

WITH_REMAINING = ("quote", "order")


def quantity(value: Any) -> str:
    """A quantity without trailing zeros: "10", "2.5"."""
    text = f"{Decimal(value).normalize():f}"
    return text


def percent(value: Any) -> str:
    return money(value)


def render(row: dict[str, Any]) -> dict[str, Any]:
    body = json.loads(row["body"])
    terms = body["terms"]
    doc_type = row["type"]
    lines = []
    for line in body["lines"]:
        item = {
            "line_id": line["line_id"],
            "product": line["product"],
            "description": line["description"],
            "quantity": quantity(line["quantity"]),
            "unit_price": money(line["unit_price"]),
            "discount_percent": percent(line["discount_percent"]),
            "tax_rate": percent(line["tax_rate"]),
            "unit_cost": money(line["unit_cost"]),
            "net": money(line["net"]),
            "tax": money(line["tax"]),
            "cost": money(line["cost"]),
            "source_line": line.get("source_line"),
        }
        if doc_type in WITH_REMAINING:
            item["remaining_quantity"] = quantity(line["remaining_quantity"])
        if doc_type == "order":
            delivered = Decimal(line.get("delivered_quantity", "0"))
            item["delivered_quantity"] = quantity(delivered)
            item["remaining_to_deliver"] = quantity(Decimal(line["quantity"]) - delivered)
        lines.append(item)
    result: dict[str, Any] = {
        "id": row["id"],
        "number": row["number"],
        "type": doc_type,
        "status": row["status"],
        "version": row["version"],
        "partner": row["partner_id"],
        "contact": terms["contact"],
        "billing_address": terms["billing_address"],
        "shipping_address": terms["shipping_address"],
        "issue_date": row["issue_date"],
        "due_date": row["due_date"],
        "payment_terms_days": terms["payment_terms_days"],
        "valid_until": row["valid_until"],
        "currency": row["currency"],
        "sales_rep": row["sales_rep"],
        "campaign": row["campaign"],
        "applies_to": terms["applies_to"],
        "notes_public": terms["notes_public"],
        "custom_fields": terms["custom_fields"],
        "lines": lines,
        "net": money(row["net"]),
        "tax": money(row["tax"]),
        "total": money(row["total"]),
        "cost": money(row["cost"]),
        "links": body["links"],
    }
    if doc_type in WITH_REMAINING:
        result["billed"] = Decimal(row["net"]) > 0 and Decimal(row["billed_net"]) >= Decimal(row["net"])
    if doc_type == "delivery":
        result.update(
            planned_date=terms.get("planned_date"),
            shipped_date=body.get("shipped_date"),
            delivered_date=body.get("delivered_date"),
        )
    if doc_type == "invoice":
        promise = None
        if row["promise_date"] is not None:
            promise = {"amount": money(row["promise_amount"]), "date": row["promise_date"]}
        result.update(
            open_amount=money(row["open_amount"]) if row["open_amount"] is not None else None,
            dunning_level=row["dunning_level"],
            in_dispute=row["in_dispute"],
            promise=promise,
            grace_until=row["grace_until"],
        )
    return result


class DocumentQueries:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    @property
    def table(self) -> Any:
        return self.catalog.table("documents", "documents")

    def row(self, ref: str) -> dict[str, Any]:
        t = self.table
        try:
            condition = t.c.id == str(UUID(ref))
        except ValueError:
            condition = t.c.number == ref.strip()
        with self.catalog.engine.connect() as conn:
            row = conn.execute(select(t).where(condition)).mappings().first()
        if row is None:
            raise not_found("document", ref)
        return dict(row)

    def get(self, ref: str) -> dict[str, Any]:
        return render(self.row(ref))

    def as_of(self, ref: str, as_of: AsOf, events: Callable[[UUID], list[DomainEvent]]) -> dict[str, Any]:
        """The document as it was then: its own events replayed (status, number, dates, remaining
        quantities, dunning level, dispute, promise, grace) and its open amount from the dated
        movements of its receivable (a payment counts from its value date)."""
        row = self.row(ref)
        history = as_of.history(events(UUID(row["id"])))
        if not history:
            raise not_found("document at that time", ref)
        doc: Any = None
        for e in history:
            doc = e.mutate(doc)
        status = doc.status.value
        open_amount = None
        if row["type"] == DocType.INVOICE.value and status != DocStatus.CANCELLED.value:
            with self.catalog.engine.connect() as conn:
                open_amount = ReceivableQueries(self.catalog).item_open_as_of(row["id"], as_of, conn)
            if open_amount is not None and open_amount <= 0 and status == DocStatus.ISSUED.value:
                status = "paid"
        body = json.loads(row["body"])
        for line in body["lines"]:
            line["remaining_quantity"] = str(doc.remaining[UUID(line["line_id"])])
            line["delivered_quantity"] = str(doc.delivered.get(UUID(line["line_id"]), 0))
        body["shipped_date"] = doc.shipped_on.isoformat() if doc.shipped_on else None
        body["delivered_date"] = doc.delivered_on.isoformat() if doc.delivered_on else None
        body["links"] = [link.model_dump(mode="json") for link in doc.links]
        promise: Any = doc.promise
        then = {
            **row,
            "number": doc.number,
            "status": status,
            "issue_date": doc.issue_date or doc.terms.issue_date,
            "due_date": doc.due_date or doc.terms.due_date,
            "version": doc.version,
            "open_amount": open_amount,
            "billed_net": doc.billed_net,
            "in_dispute": doc.in_dispute,
            "promise_amount": promise.amount if promise else None,
            "promise_date": promise.date if promise else None,
            "grace_until": doc.grace_until,
            "dunning_level": doc.dunning_level,
            "body": json.dumps(body),
        }
        return render(then)

    def search(
        self,
        request: PageRequest,
        partners: list[str] | None = None,
        doc_type: str | None = None,
        status: str | None = None,
        campaign: str | None = None,
        start: date | None = None,
        end: date | None = None,
        types: tuple[str, ...] | None = None,
        numbered: bool = False,
    ) -> dict[str, Any]:
        t = self.table
        stmt = select(t)
        if numbered:
            stmt = stmt.where(t.c.number.is_not(None))
        if partners is not None:
            stmt = stmt.where(t.c.partner_id.in_(partners))
        if doc_type:
            stmt = stmt.where(t.c.type == doc_type)
        if types:
            stmt = stmt.where(t.c.type.in_(types))
        if status:
            stmt = stmt.where(t.c.status.in_(status.split(",")))
        if campaign:
            stmt = stmt.where(t.c.campaign == campaign)
        if start:
            stmt = stmt.where(t.c.issue_date >= start)
        if end:
            stmt = stmt.where(t.c.issue_date <= end)
        keys = Keyset(t.c.created_position.desc(), t.c.id)
        with self.catalog.engine.connect() as conn:
            rows = conn.execute(keys.select(stmt, request)).mappings().all()
        return keys.page(rows, request, lambda r: render(dict(r)))

    def current_deliveries(self, partner_ids: list[str]) -> list[dict[str, Any]]:
        """The partner's planned and shipped deliveries, by planned date: where and when they go."""
        t = self.table
        stmt = select(t).where(
            t.c.partner_id.in_(partner_ids), t.c.type == "delivery", t.c.status.in_(("planned", "shipped"))
        )
        with self.catalog.engine.connect() as conn:
            docs = [render(dict(r)) for r in conn.execute(stmt).mappings().all()]
        docs.sort(key=lambda d: (d["planned_date"] or "", d["number"] or ""))
        keep = ("id", "number", "status", "issue_date", "planned_date", "shipped_date", "shipping_address")
        order = {d["id"]: next((x["document"] for x in d["links"] if x["rel"] == "source"), None) for d in docs}
        return [{**{k: d[k] for k in keep}, "order": order[d["id"]]} for d in docs]

    def quotes_to_expire(self, day: date) -> list[UUID]:
        t = self.table
        stmt = select(t.c.id).where(t.c.type == "quote", t.c.status == "sent", t.c.valid_until < day)
        with self.catalog.engine.connect() as conn:
            return [UUID(r) for (r,) in conn.execute(stmt).all()]


def summary(catalog: Catalog, partner_ids: list[str], today: date) -> dict[str, Any]:
    """Counts and totals of a partner's issued documents, and turnover this year and last."""
    t = catalog.table("documents", "documents")
    live = t.c.status.notin_(("draft", "cancelled"))
    with catalog.engine.connect() as conn:
        rows = conn.execute(
            select(t.c.type, func.count(), func.coalesce(func.sum(t.c.total), 0))
            .where(t.c.partner_id.in_(partner_ids), live)
            .group_by(t.c.type)
        ).all()
        turnover = conn.execute(
            select(
                t.c.issue_date,
                t.c.type,
                t.c.net,
            ).where(
                t.c.partner_id.in_(partner_ids),
                live,
                t.c.type.in_(("invoice", "credit_note")),
                t.c.issue_date >= date(today.year - 1, 1, 1),
            )
        ).all()
    counts = {name: 0 for name in ("quotes", "orders", "proformas", "invoices", "credit_notes")}
    totals = {name: Decimal(0) for name in counts}
    plural = {
        "quote": "quotes",
        "order": "orders",
        "proforma": "proformas",
        "invoice": "invoices",
        "credit_note": "credit_notes",
    }
    for doc_type, n, total in rows:
        if doc_type not in plural:
            continue  # delivery notes carry no amounts of their own
        counts[plural[doc_type]] = int(n)
        totals[plural[doc_type]] = Decimal(total)
    years = {today.year: Decimal(0), today.year - 1: Decimal(0)}
    for issued, doc_type, net in turnover:
        if issued.year in years:
            years[issued.year] += Decimal(net) * (-1 if doc_type == "credit_note" else 1)
    return {
        "counts": counts,
        "totals": {k: money(v) for k, v in totals.items()},
        "turnover": {"this_year": money(years[today.year]), "last_year": money(years[today.year - 1])},
    }
