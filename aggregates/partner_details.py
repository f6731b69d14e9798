"""A partner's master data (who it is, its roles, its family, notes and attachments) and the
facts that change it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from aggregates.base import CreatedEvent, DomainEvent, Value, natural_id
from aggregates.personal import Personal, is_person
from aggregates.sales_document_values import DocType


class PartnerKind(Enum):
    ORGANIZATION = "organization"
    PERSON = "person"


class Role(Enum):
    PROSPECT = "prospect"
    CUSTOMER = "customer"
    VENDOR = "vendor"
    EMPLOYEE = "employee"


class PartnerStatus(Enum):
    ACTIVE = "active"
    MERGED = "merged"


class PartnerDetails(Value):
    """The master data a clerk types; every field can be patched."""

    name: str
    kind: PartnerKind = PartnerKind.ORGANIZATION
    roles: tuple[Role, ...] = (Role.CUSTOMER,)
    group: str | None = None
    tags: tuple[str, ...] = ()
    tax_id: str | None = None
    email: str | None = None
    phone: str | None = None
    website: str | None = None
    language: str = "en"
    currency: str = "EUR"
    credit_limit: Decimal = Decimal("0.00")
    credit_check: bool = True
    payment_terms_days: int = 30
    sales_reps: tuple[str, ...] = ()
    collection_scheme: str | None = None
    dunning_grace_until: date | None = None
    notes_public: str = ""
    notes_private: str = ""
    parent: UUID | None = None
    custom_fields: dict[str, Any] = {}


DETAIL_FIELDS = tuple(PartnerDetails.model_fields)
# A person's own data among the master data (an organization's stay in clear: it cannot be erased).
PERSON_DETAILS = Personal(
    "details", ("name", "tax_id", "email", "phone", "notes_public", "notes_private"), when=is_person
)


class Attachment(Value):
    id: UUID
    filename: str
    size: int
    sha256: str
    content_type: str


# A person's file's name is its personal data (an organization's stays in clear), as is the file.
ATTACHMENT = Personal("attachment", ("filename",), known_only=True)


class PartnerRegistered(CreatedEvent):
    TOPIC = "counterparty.partner.PartnerRegistered.v1"
    PERSONAL = (PERSON_DETAILS,)
    code: str
    created_on: date
    details: PartnerDetails


class PartnerDetailsChanged(DomainEvent):
    """A clerk's edit of the master data. (Before ``PartnerPromotedToCustomer`` existed, a
    promotion was recorded as one of these with ``fields=("roles",)``.)"""

    TOPIC = "counterparty.partner.PartnerDetailsChanged.v1"
    PERSONAL = (PERSON_DETAILS,)
    fields: tuple[str, ...]
    details: PartnerDetails


# The documents that make a prospect a customer (API.md, Sales documents).
PROMOTING_DOCUMENTS = (DocType.QUOTE, DocType.ORDER, DocType.INVOICE)


class PartnerPromotedToCustomer(DomainEvent):
    """A prospect became a customer because of a document: a quote it accepted, an order
    confirmed or an invoice issued for it. ``roles``: the partner's roles after it."""

    TOPIC = "counterparty.partner.PartnerPromotedToCustomer.v1"
    document: UUID
    document_type: DocType
    number: str | None
    roles: tuple[Role, ...]


class ChildAttached(DomainEvent):
    TOPIC = "counterparty.partner.ChildAttached.v1"
    child: UUID


class ChildDetached(DomainEvent):
    TOPIC = "counterparty.partner.ChildDetached.v1"
    child: UUID


class ParentReassigned(DomainEvent):
    """The partner's parent ``absorbed`` was merged into ``parent``, which is its parent now.
    (Before this event existed, a merge recorded it as ``PartnerDetailsChanged(fields=("parent",))``.)"""

    TOPIC = "counterparty.partner.ParentReassigned.v1"
    parent: UUID
    parent_code: str
    absorbed: UUID
    absorbed_code: str
    on: date


class NoteAdded(DomainEvent):
    TOPIC = "counterparty.partner.NoteAdded.v1"
    PERSONAL = (Personal("", ("text",), known_only=True),)
    text: str
    visibility: str
    on: date


class AttachmentAdded(DomainEvent):
    TOPIC = "counterparty.partner.AttachmentAdded.v1"
    PERSONAL = (ATTACHMENT,)
    attachment: Attachment


def partner_code_id(code: str) -> UUID:
    return natural_id("partner-code", code)


def normalise_code(code: str) -> str:
    return code.strip().upper()
