"""What a sales document is made of: its type and status, its priced lines, its terms, its links
in the chain and a promise of payment; and which type converts into which."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from aggregates.base import Value
from aggregates.money import HUNDRED, ZERO, cents


class DocType(Enum):
    QUOTE = "quote"
    ORDER = "order"
    PROFORMA = "proforma"
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"
    DELIVERY = "delivery"


class DocStatus(Enum):
    DRAFT = "draft"
    SENT = "sent"
    ACCEPTED = "accepted"
    REFUSED = "refused"
    EXPIRED = "expired"
    PARTIALLY_ORDERED = "partially_ordered"
    ORDERED = "ordered"
    CONFIRMED = "confirmed"
    PARTIALLY_INVOICED = "partially_invoiced"
    INVOICED = "invoiced"
    ISSUED = "issued"
    PLANNED = "planned"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class Line(Value):
    line_id: UUID
    product: str
    description: str = ""
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal = ZERO
    tax_rate: Decimal = ZERO
    unit_cost: Decimal = ZERO
    net: Decimal
    tax: Decimal
    cost: Decimal
    source_line: UUID | None = None

    @classmethod
    def priced(cls, **fields: Any) -> Line:
        """A line with its amounts: net = quantity × price × (1 − discount), half-up per line."""
        q, price = Decimal(fields["quantity"]), Decimal(fields["unit_price"])
        discount = Decimal(fields.get("discount_percent", ZERO))
        rate = Decimal(fields.get("tax_rate", ZERO))
        cost = Decimal(fields.get("unit_cost", ZERO))
        net = cents(q * price * (HUNDRED - discount) / HUNDRED)
        return cls(**{**fields, "net": net, "tax": cents(net * rate / HUNDRED), "cost": cents(q * cost)})


class ConvertedLine(Value):
    line_id: UUID
    quantity: Decimal


class Link(Value):
    rel: str  # source | derived
    document: UUID
    type: DocType


class Promise(Value):
    amount: Decimal
    date: date


class DocumentTerms(Value):
    """Everything a clerk sets on a draft besides the lines."""

    partner: UUID
    contact: UUID | None = None
    billing_address: UUID | None = None
    shipping_address: UUID | None = None
    issue_date: date | None = None
    due_date: date | None = None
    payment_terms_days: int | None = None
    valid_until: date | None = None
    currency: str = "EUR"
    sales_rep: str | None = None
    campaign: str | None = None
    applies_to: UUID | None = None
    notes_public: str = ""
    custom_fields: dict[str, Any] = {}
    planned_date: date | None = None  # deliveries


CONSUMING = {DocType.ORDER, DocType.INVOICE}
CONVERSIONS = {
    DocType.QUOTE: {DocType.ORDER, DocType.PROFORMA, DocType.INVOICE},
    DocType.ORDER: {DocType.PROFORMA, DocType.INVOICE},
    DocType.PROFORMA: {DocType.INVOICE},
}
