"""The customer portal's reads: who a portal token lets in, and the partner's own data as the
customer may see it (no costs, private notes, drafts or other partners' anything)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from aggregates.errors import not_found
from projections.catalog import Catalog
from queries.documents import DocumentQueries, summary
from queries.pages import Keyset, PageRequest
from queries.partners import PartnerQueries
from queries.requests import RequestQueries

PARTNER_FIELDS = (
    "id",
    "code",
    "name",
    "kind",
    "tax_id",
    "email",
    "phone",
    "website",
    "language",
    "currency",
    "payment_terms_days",
    "notes_public",
    "addresses",
)
CONTACT_FIELDS = ("id", "name", "title", "email", "mobile", "phone")
DOCUMENT_FIELDS = (
    "id",
    "number",
    "type",
    "status",
    "version",
    "issue_date",
    "due_date",
    "valid_until",
    "currency",
    "notes_public",
    "net",
    "tax",
    "total",
)
INVOICE_FIELDS = ("open_amount", "in_dispute", "promise")
LINE_FIELDS = (
    "line_id",
    "product",
    "description",
    "quantity",
    "unit_price",
    "discount_percent",
    "tax_rate",
    "net",
    "tax",
)
DELIVERY_FIELDS = ("id", "number", "status", "issue_date", "planned_date", "shipped_date", "delivered_date")
REQUEST_FIELDS = (
    "id",
    "number",
    "type",
    "subject",
    "description",
    "status",
    "priority",
    "document",
    "created_at",
    "closed_at",
    "resolution",
)


@dataclass(frozen=True)
class PortalAccess:
    """What a live portal token opens: one partner (the survivor, if it was merged), its
    absorbed partners' records, and the contact acting."""

    token: str
    partner: str
    contact: str
    contact_name: str
    partners: list[str]


def customer_document(doc: dict[str, Any]) -> dict[str, Any]:
    view = {k: doc[k] for k in DOCUMENT_FIELDS}
    view["lines"] = [{k: line[k] for k in LINE_FIELDS} for line in doc["lines"]]
    for k in INVOICE_FIELDS:
        view[k] = doc.get(k)
    view["pdf"] = f"/v1/portal/documents/{doc['id']}/pdf"
    return view


class PortalQueries:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.partners = PartnerQueries(catalog)
        self.documents = DocumentQueries(catalog)
        self.requests = RequestQueries(catalog)

    @property
    def tokens_table(self) -> Any:
        return self.catalog.table("portal_tokens", "tokens")

    def access(self, token_hash: str) -> PortalAccess | None:
        """What a token opens, if anything: it must be live, and its contact still an active
        contact of the partner (a merge carries both to the survivor)."""
        t = self.tokens_table
        with self.catalog.engine.connect() as conn:
            row = conn.execute(select(t).where(t.c.token_hash == token_hash, t.c.revoked_on.is_(None))).first()
            partner = self.partners.find_row(conn, row.partner_id) if row else None
        if row is None or partner is None:
            return None
        contact = json.loads(partner["contacts"]).get(row.contact_id)
        if contact is None or not contact.get("active", True):
            return None
        ids = self.partners.merged_ids(partner["id"])
        return PortalAccess(row.id, partner["id"], row.contact_id, contact["name"], ids)

    def tokens(self, request: PageRequest, partner_ids: list[str] | None) -> dict[str, Any]:
        """Tokens (never their secrets), newest first."""
        t = self.tokens_table
        stmt = select(t.c.id, t.c.partner_id, t.c.contact_id, t.c.issued_on, t.c.revoked_on)
        if partner_ids is not None:
            stmt = stmt.where(t.c.partner_id.in_(partner_ids))
        keys = Keyset(t.c.issued_on.desc(), t.c.id)
        with self.catalog.engine.connect() as conn:
            rows = conn.execute(keys.select(stmt, request)).mappings().all()
        return keys.page(
            rows,
            request,
            lambda r: {
                "id": r["id"],
                "partner": r["partner_id"],
                "contact": r["contact_id"],
                "issued_on": r["issued_on"],
                "revoked_on": r["revoked_on"],
            },
        )

    def profile(self, access: PortalAccess, today: date) -> dict[str, Any]:
        partner = self.partners.get(access.partner)
        contact = next(c for c in partner["contacts"] if c["id"] == access.contact)
        return {
            "partner": {k: partner[k] for k in PARTNER_FIELDS},
            "contact": {k: contact[k] for k in CONTACT_FIELDS},
            "balance": self.partners.balance(access.partner),
            "counts": summary(self.catalog, access.partners, today)["counts"],
        }

    def document_list(
        self, access: PortalAccess, request: PageRequest, doc_type: str | None, status: str | None
    ) -> dict[str, Any]:
        found = self.documents.search(request, access.partners, doc_type, status, numbered=True)
        return {**found, "items": [customer_document(d) for d in found["items"]]}

    def own_document(self, access: PortalAccess, ref: str) -> dict[str, Any]:
        """The document in full (for the PDF and for commands), if it is the partner's and was
        ever issued; any other answers 404, exactly as an unknown one."""
        doc = self.documents.get(ref)
        if doc["partner"] not in access.partners or doc["number"] is None:
            raise not_found("document", ref)
        return doc

    def document(self, access: PortalAccess, ref: str) -> dict[str, Any]:
        return customer_document(self.own_document(access, ref))

    def delivery_list(self, access: PortalAccess, request: PageRequest) -> dict[str, Any]:
        """The partner's numbered deliveries, newest first, each with the address it goes to."""
        found = self.documents.search(request, access.partners, "delivery", numbered=True)
        addresses = {a["id"]: a for a in self.partners.get(access.partner)["addresses"]}
        items = [
            {
                **{k: d[k] for k in DELIVERY_FIELDS},
                "address": addresses.get(d["shipping_address"]),
                "lines": [{k: line[k] for k in ("product", "description", "quantity")} for line in d["lines"]],
                "pdf": f"/v1/portal/documents/{d['id']}/pdf",
            }
            for d in found["items"]
        ]
        return {**found, "items": items}

    def request_list(
        self, access: PortalAccess, request: PageRequest, now: datetime, status: str | None
    ) -> dict[str, Any]:
        found = self.requests.search(request, now, access.partners, status=status, public_only=True)
        return {**found, "items": [{k: r[k] for k in REQUEST_FIELDS} for r in found["items"]]}

    def request(self, access: PortalAccess, ref: str, now: datetime) -> dict[str, Any]:
        """One of the partner's public requests with its public comments and its status changes;
        a confidential one, or another partner's, answers 404."""
        found = self.requests.get(ref, now, public_only=True, partner_ids=access.partners)
        return {
            **{k: found[k] for k in REQUEST_FIELDS},
            "comments": [{k: c[k] for k in ("at", "author", "text")} for c in found["comments"]],
            "history": [{k: h[k] for k in ("at", "field", "old", "new")} for h in found["history"]],
        }
