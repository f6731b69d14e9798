"""The business partner: customer, prospect, vendor or employee, with contacts and addresses."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from aggregates.base import Aggregate, CreatedEvent, DomainEvent, Value, event, natural_id
from aggregates.errors import DomainError, conflict, not_found
from aggregates.sales_document import DocType


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


class Availability(Value):
    weekday: int
    start: str
    end: str


class Address(Value):
    id: UUID
    usage: tuple[str, ...] = ()
    label: str = ""
    street: str = ""
    city: str = ""
    postal_code: str = ""
    region: str = ""
    country: str = ""
    is_default: bool = False


class Contact(Value):
    id: UUID
    name: str
    title: str = ""
    email: str | None = None
    mobile: str | None = None
    phone: str | None = None
    responsibilities: tuple[str, ...] = ()
    availability: tuple[Availability, ...] = ()
    active: bool = True
    portal_access: bool = False
    custom_fields: dict[str, Any] = {}
    # The day the contact asked for no mailings at all (None: mailings may reach them).
    opted_out_on: date | None = None


class Attachment(Value):
    id: UUID
    filename: str
    size: int
    sha256: str
    content_type: str


class PartnerRegistered(CreatedEvent):
    TOPIC = "counterparty.partner.PartnerRegistered.v1"
    code: str
    created_on: date
    details: PartnerDetails


class PartnerDetailsChanged(DomainEvent):
    """A clerk's edit of the master data. (Before ``PartnerPromotedToCustomer`` existed, a
    promotion was recorded as one of these with ``fields=("roles",)``.)"""

    TOPIC = "counterparty.partner.PartnerDetailsChanged.v1"
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


def _defaults_not_recorded(state: dict[str, Any]) -> None:
    state["defaults"] = None


class AddressAdded(DomainEvent):
    """``defaults``: the ids of the partner's default addresses after it, so that no reader
    repeats the "one default per usage" rule. Version 1 did not record them (None): a reader
    derives them with ``defaults_after``."""

    TOPIC = "counterparty.partner.AddressAdded.v1"
    class_version = 2
    address: Address
    defaults: tuple[UUID, ...] | None

    upcast_v1_v2 = staticmethod(_defaults_not_recorded)


class AddressChanged(DomainEvent):
    """``defaults`` as in ``AddressAdded``."""

    TOPIC = "counterparty.partner.AddressChanged.v1"
    class_version = 2
    address: Address
    defaults: tuple[UUID, ...] | None

    upcast_v1_v2 = staticmethod(_defaults_not_recorded)


class AddressRemoved(DomainEvent):
    TOPIC = "counterparty.partner.AddressRemoved.v1"
    address_id: UUID


class ContactAdded(DomainEvent):
    TOPIC = "counterparty.partner.ContactAdded.v1"
    contact: Contact


class ContactChanged(DomainEvent):
    """A clerk's edit of the contact. Since ``PortalAccessGranted``/``Revoked`` exist, its
    ``portal_access`` is the contact's current one (older events may also change it)."""

    TOPIC = "counterparty.partner.ContactChanged.v1"
    contact: Contact


class ContactRemoved(DomainEvent):
    TOPIC = "counterparty.partner.ContactRemoved.v1"
    contact_id: UUID


class PortalAccessGranted(DomainEvent):
    """The contact may use the customer portal."""

    TOPIC = "counterparty.partner.PortalAccessGranted.v1"
    contact_id: UUID


class PortalAccessRevoked(DomainEvent):
    TOPIC = "counterparty.partner.PortalAccessRevoked.v1"
    contact_id: UUID


class ContactOptedOut(DomainEvent):
    """The contact wants no mailings at all (whatever interest area, group or campaign).
    ``via``: ``api`` (recorded by staff) or ``link`` (the unsubscribe link of a mailing)."""

    TOPIC = "counterparty.partner.ContactOptedOut.v1"
    contact_id: UUID
    on: date
    via: str


class ContactOptedIn(DomainEvent):
    """The contact accepts mailings again (their opt-out is lifted)."""

    TOPIC = "counterparty.partner.ContactOptedIn.v1"
    contact_id: UUID
    on: date
    via: str


class NoteAdded(DomainEvent):
    TOPIC = "counterparty.partner.NoteAdded.v1"
    text: str
    visibility: str
    on: date


class AttachmentAdded(DomainEvent):
    TOPIC = "counterparty.partner.AttachmentAdded.v1"
    attachment: Attachment


class CreditHoldPlaced(DomainEvent):
    TOPIC = "counterparty.partner.CreditHoldPlaced.v1"
    reason: str
    on: date


class CreditHoldLifted(DomainEvent):
    TOPIC = "counterparty.partner.CreditHoldLifted.v1"
    on: date


class SalesBlocked(DomainEvent):
    """A collection level stopped sales to the partner until its case is settled."""

    TOPIC = "counterparty.partner.SalesBlocked.v1"
    case: UUID
    on: date


class SalesUnblocked(DomainEvent):
    TOPIC = "counterparty.partner.SalesUnblocked.v1"
    case: UUID
    on: date


class PaymentTermsChangedByCollection(DomainEvent):
    """A collection level's ``set_payment_terms`` gave the partner new payment terms: ``days``
    instead of ``previous_days``, because the ``cases`` reached ``level`` in the run of ``run``."""

    TOPIC = "counterparty.partner.PaymentTermsChangedByCollection.v1"
    days: int
    previous_days: int
    cases: tuple[UUID, ...]
    level: int
    run: date


class PartnerAbsorbed(DomainEvent):
    """The survivor's side of a merge: its master data after filling blanks, and what moved."""

    TOPIC = "counterparty.partner.PartnerAbsorbed.v1"
    absorbed: UUID
    absorbed_code: str
    details: PartnerDetails
    contacts: tuple[Contact, ...]
    addresses: tuple[Address, ...]
    children: tuple[UUID, ...]
    on: date


class PartnerMergedInto(DomainEvent):
    TOPIC = "counterparty.partner.PartnerMergedInto.v1"
    survivor: UUID
    on: date


class PartnerMerged(DomainError):
    code = "partner_merged"
    title = "The partner was merged into another partner"


def partner_code_id(code: str) -> UUID:
    return natural_id("partner-code", code)


def normalise_code(code: str) -> str:
    return code.strip().upper()


class Partner(Aggregate):
    TOPIC = "counterparty.partner.Partner"
    SNAPSHOT_EVERY = 50

    code: str
    created_on: date
    details: PartnerDetails
    status: PartnerStatus
    merged_into: UUID | None
    children: set[UUID]
    addresses: dict[UUID, Address]
    contacts: dict[UUID, Contact]
    attachments: dict[UUID, Attachment]
    manual_hold: str | None
    absorbed: list[UUID]
    blocks: set[UUID]

    @classmethod
    def register(cls, id: UUID, code: str, details: PartnerDetails, on: date) -> Partner:
        if not details.name.strip():
            raise conflict("name_required", "a partner needs a name")
        return cls._create(PartnerRegistered, id=id, code=code, created_on=on, details=details)

    @event(PartnerRegistered)
    def _registered(self, code: str, created_on: date, details: PartnerDetails) -> None:
        self.code = code
        self.created_on = created_on
        self.details = details
        self.status = PartnerStatus.ACTIVE
        self.merged_into = None
        self.children = set()
        self.addresses = {}
        self.contacts = {}
        self.attachments = {}
        self.manual_hold = None
        self.absorbed = []
        self.blocks = set()

    # -- master data ---------------------------------------------------------------------------

    def _require_active(self) -> None:
        if self.status is PartnerStatus.MERGED:
            raise PartnerMerged(f"partner {self.code} was merged into {self.merged_into}")

    def change_details(self, changes: dict[str, Any]) -> None:
        self._require_active()
        if "name" in changes and not str(changes["name"] or "").strip():
            raise conflict("name_required", "a partner needs a name")
        if changes.get("parent") == self.id:
            raise conflict("parent_self", "a partner cannot be its own parent")
        current = self.details.model_dump()
        fields = tuple(k for k, v in changes.items() if k in DETAIL_FIELDS and current[k] != v)
        if not fields:
            return
        details = PartnerDetails.model_validate({**current, **{k: changes[k] for k in fields}})
        self._details_changed(fields=fields, details=details)

    @event(PartnerDetailsChanged)
    def _details_changed(self, fields: tuple[str, ...], details: PartnerDetails) -> None:
        self.details = details

    def promote_to_customer(self, document: UUID, document_type: DocType, number: str | None) -> None:
        """A prospect becomes a customer by the document; anyone else stays as they are."""
        self._require_active()
        if document_type not in PROMOTING_DOCUMENTS:
            raise conflict("not_promoting", f"a {document_type.value} does not make a prospect a customer")
        roles = self.details.roles
        if Role.PROSPECT not in roles or Role.CUSTOMER in roles:
            return
        self._promoted_to_customer(
            document=document, document_type=document_type, number=number, roles=(*roles, Role.CUSTOMER)
        )

    @event(PartnerPromotedToCustomer)
    def _promoted_to_customer(self, roles: tuple[Role, ...]) -> None:
        self.details = self.details.model_copy(update={"roles": roles})

    def reassign_parent(self, survivor: Partner, absorbed: Partner, on: date) -> None:
        """The partner's parent ``absorbed`` is merged into ``survivor``, its parent from now on."""
        self._require_active()
        if self.details.parent != absorbed.id:
            raise conflict("parent_not_absorbed", f"partner {absorbed.code} is not the parent of {self.code}")
        self._parent_reassigned(
            parent=survivor.id, parent_code=survivor.code, absorbed=absorbed.id, absorbed_code=absorbed.code, on=on
        )

    @event(ParentReassigned)
    def _parent_reassigned(self, parent: UUID) -> None:
        self.details = self.details.model_copy(update={"parent": parent})

    def attach_child(self, child: UUID) -> None:
        if child not in self.children:
            self._child_attached(child=child)

    @event(ChildAttached)
    def _child_attached(self, child: UUID) -> None:
        self.children.add(child)

    def detach_child(self, child: UUID) -> None:
        if child in self.children:
            self._child_detached(child=child)

    @event(ChildDetached)
    def _child_detached(self, child: UUID) -> None:
        self.children.discard(child)

    # -- addresses and contacts ----------------------------------------------------------------

    def add_address(self, address: Address) -> None:
        self._require_active()
        self._address_added(address=address, defaults=defaults_after(self.addresses.values(), address))

    @event(AddressAdded)
    def _address_added(self, address: Address, defaults: tuple[UUID, ...] | None) -> None:
        self._store_address(address, defaults)

    def change_address(self, address: Address) -> None:
        self._require_active()
        if address.id not in self.addresses:
            raise not_found("address", address.id)
        if address != self.addresses[address.id]:
            self._address_changed(address=address, defaults=defaults_after(self.addresses.values(), address))

    @event(AddressChanged)
    def _address_changed(self, address: Address, defaults: tuple[UUID, ...] | None) -> None:
        self._store_address(address, defaults)

    def _store_address(self, address: Address, defaults: tuple[UUID, ...] | None) -> None:
        if defaults is None:
            defaults = defaults_after(self.addresses.values(), address)
        self.addresses[address.id] = address
        for other in list(self.addresses.values()):
            if other.is_default != (other.id in defaults):
                self.addresses[other.id] = other.model_copy(update={"is_default": other.id in defaults})

    def remove_address(self, address_id: UUID) -> None:
        self._require_active()
        if address_id not in self.addresses:
            raise not_found("address", address_id)
        self._address_removed(address_id=address_id)

    @event(AddressRemoved)
    def _address_removed(self, address_id: UUID) -> None:
        del self.addresses[address_id]

    def add_contact(self, contact: Contact) -> None:
        """Adds the contact; portal access for it is a fact of its own."""
        self._require_active()
        self._contact_added(contact=contact.model_copy(update={"portal_access": False}))
        if contact.portal_access:
            self._portal_access_granted(contact_id=contact.id)

    @event(ContactAdded)
    def _contact_added(self, contact: Contact) -> None:
        self.contacts[contact.id] = contact

    def change_contact(self, contact: Contact) -> None:
        """Records the clerk's edits of the contact, then the grant or revocation of portal access."""
        self._require_active()
        current = self.contacts.get(contact.id)
        if current is None:
            raise not_found("contact", contact.id)
        edited = contact.model_copy(update={"portal_access": current.portal_access})
        if edited != current:
            self._contact_changed(contact=edited)
        if contact.portal_access and not current.portal_access:
            self._portal_access_granted(contact_id=contact.id)
        elif current.portal_access and not contact.portal_access:
            self._portal_access_revoked(contact_id=contact.id)

    @event(ContactChanged)
    def _contact_changed(self, contact: Contact) -> None:
        self.contacts[contact.id] = contact

    @event(PortalAccessGranted)
    def _portal_access_granted(self, contact_id: UUID) -> None:
        self.contacts[contact_id] = self.contacts[contact_id].model_copy(update={"portal_access": True})

    @event(PortalAccessRevoked)
    def _portal_access_revoked(self, contact_id: UUID) -> None:
        self.contacts[contact_id] = self.contacts[contact_id].model_copy(update={"portal_access": False})

    def remove_contact(self, contact_id: UUID) -> None:
        self._require_active()
        if contact_id not in self.contacts:
            raise not_found("contact", contact_id)
        self._contact_removed(contact_id=contact_id)

    @event(ContactRemoved)
    def _contact_removed(self, contact_id: UUID) -> None:
        del self.contacts[contact_id]

    def opt_out_contact(self, contact_id: UUID, on: date, via: str) -> None:
        """The contact's global opt-out; a contact opted out already keeps its first date."""
        self._require_active()
        contact = self.contacts.get(contact_id)
        if contact is None:
            raise not_found("contact", contact_id)
        if contact.opted_out_on is None:
            self._contact_opted_out(contact_id=contact_id, on=on, via=via)

    @event(ContactOptedOut)
    def _contact_opted_out(self, contact_id: UUID, on: date) -> None:
        self.contacts[contact_id] = self.contacts[contact_id].model_copy(update={"opted_out_on": on})

    def opt_in_contact(self, contact_id: UUID, on: date, via: str) -> None:
        self._require_active()
        contact = self.contacts.get(contact_id)
        if contact is None:
            raise not_found("contact", contact_id)
        if contact.opted_out_on is not None:
            self._contact_opted_in(contact_id=contact_id, on=on, via=via)

    @event(ContactOptedIn)
    def _contact_opted_in(self, contact_id: UUID) -> None:
        self.contacts[contact_id] = self.contacts[contact_id].model_copy(update={"opted_out_on": None})

    def billing_contact(self) -> Contact | None:
        """The first active contact responsible for billing, else the first active contact."""
        active = [c for c in self.contacts.values() if c.active]
        return next((c for c in active if "billing" in c.responsibilities), None) or (active[0] if active else None)

    # -- notes and attachments -----------------------------------------------------------------

    def add_note(self, text: str, visibility: str, on: date) -> None:
        self._require_active()
        if not text.strip():
            raise conflict("note_empty", "a note needs text")
        self._note_added(text=text, visibility=visibility, on=on)

    @event(NoteAdded)
    def _note_added(self, text: str, visibility: str, on: date) -> None:
        field = "notes_public" if visibility == "public" else "notes_private"
        current = getattr(self.details, field)
        joined = f"{current}\n{text}" if current else text
        self.details = self.details.model_copy(update={field: joined})

    def add_attachment(self, attachment: Attachment) -> None:
        self._require_active()
        self._attachment_added(attachment=attachment)

    @event(AttachmentAdded)
    def _attachment_added(self, attachment: Attachment) -> None:
        self.attachments[attachment.id] = attachment

    @property
    def is_stopped(self) -> bool:
        """Sales are stopped by a manual hold or by a collection case's block."""
        return self.manual_hold is not None or bool(self.blocks)

    def block_sales(self, case: UUID, on: date) -> None:
        if case not in self.blocks:
            self._sales_blocked(case=case, on=on)

    @event(SalesBlocked)
    def _sales_blocked(self, case: UUID) -> None:
        self.blocks.add(case)

    def unblock_sales(self, case: UUID, on: date) -> None:
        if case in self.blocks:
            self._sales_unblocked(case=case, on=on)

    @event(SalesUnblocked)
    def _sales_unblocked(self, case: UUID) -> None:
        self.blocks.discard(case)

    def change_payment_terms_by_collection(self, days: int, cases: tuple[UUID, ...], level: int, run: date) -> None:
        self._require_active()
        if days == self.details.payment_terms_days:
            return
        self._payment_terms_changed_by_collection(
            days=days, previous_days=self.details.payment_terms_days, cases=cases, level=level, run=run
        )

    @event(PaymentTermsChangedByCollection)
    def _payment_terms_changed_by_collection(self, days: int) -> None:
        self.details = self.details.model_copy(update={"payment_terms_days": days})

    # -- credit hold ---------------------------------------------------------------------------

    def place_credit_hold(self, reason: str, on: date) -> None:
        self._require_active()
        if self.manual_hold is not None:
            return
        self._credit_hold_placed(reason=reason, on=on)

    @event(CreditHoldPlaced)
    def _credit_hold_placed(self, reason: str, on: date) -> None:
        self.manual_hold = reason

    def lift_credit_hold(self, on: date) -> None:
        self._require_active()
        if self.manual_hold is None:
            return
        self._credit_hold_lifted(on=on)

    @event(CreditHoldLifted)
    def _credit_hold_lifted(self, on: date) -> None:
        self.manual_hold = None

    # -- merge ---------------------------------------------------------------------------------

    def absorb(self, other: Partner, on: date) -> None:
        """Take over ``other``: fill blanks, unite roles, tags and reps, move contacts and
        addresses and children. The caller marks ``other`` merged in the same save."""
        self._require_active()
        other._require_active()
        if other.id == self.id:
            raise conflict("merge_self", "a partner cannot be merged into itself")
        if other.id in (self.details.parent,) or self.id == other.details.parent:
            raise conflict("merge_related", "a partner cannot absorb its own parent or child")
        self._partner_absorbed(
            absorbed=other.id,
            absorbed_code=other.code,
            details=merged_details(self.details, other.details),
            contacts=tuple(other.contacts.values()),
            addresses=tuple(a.model_copy(update={"is_default": False}) for a in other.addresses.values()),
            children=tuple(sorted(other.children, key=str)),
            on=on,
        )

    @event(PartnerAbsorbed)
    def _partner_absorbed(
        self,
        absorbed: UUID,
        details: PartnerDetails,
        contacts: tuple[Contact, ...],
        addresses: tuple[Address, ...],
        children: tuple[UUID, ...],
    ) -> None:
        self.details = details
        self.contacts.update({c.id: c for c in contacts})
        self.addresses.update({a.id: a for a in addresses})
        self.children.update(children)
        self.absorbed.append(absorbed)

    def mark_merged_into(self, survivor: UUID, on: date) -> None:
        self._require_active()
        self._merged_into(survivor=survivor, on=on)

    @event(PartnerMergedInto)
    def _merged_into(self, survivor: UUID) -> None:
        self.status = PartnerStatus.MERGED
        self.merged_into = survivor


def defaults_after(addresses: Iterable[Address], stored: Address) -> tuple[UUID, ...]:
    """The ids of the default addresses once ``stored`` is added or changed: one default per
    usage, so a new default takes it from the others with a usage in common (and one without
    usage from the others without)."""

    def loses_default(other: Address) -> bool:
        common = set(other.usage) & set(stored.usage) or not (other.usage or stored.usage)
        return stored.is_default and bool(common)

    result = {a.id: a for a in addresses if a.is_default and not loses_default(a)}
    result.pop(stored.id, None)
    return (*result, stored.id) if stored.is_default else tuple(result)


def merged_details(survivor: PartnerDetails, absorbed: PartnerDetails) -> PartnerDetails:
    """API.md's merge rules for master data."""
    merged: dict[str, Any] = survivor.model_dump()
    other = absorbed.model_dump()
    for field in DETAIL_FIELDS:
        if field in ("roles", "tags", "sales_reps", "notes_public", "notes_private", "custom_fields"):
            continue
        if field == "parent":
            continue
        if merged[field] in (None, "") and other[field] not in (None, ""):
            merged[field] = other[field]
    merged["roles"] = tuple(r for r in Role if r in survivor.roles or r in absorbed.roles)
    merged["tags"] = _union(survivor.tags, absorbed.tags)
    merged["sales_reps"] = _union(survivor.sales_reps, absorbed.sales_reps)
    for field in ("notes_public", "notes_private"):
        merged[field] = "\n".join(n for n in (merged[field], other[field]) if n)
    merged["custom_fields"] = {
        **absorbed.custom_fields,
        **{k: v for k, v in survivor.custom_fields.items() if v not in (None, "", [])},
    }
    return PartnerDetails.model_validate(merged)


def _union(first: tuple[str, ...], second: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*first, *second)))
