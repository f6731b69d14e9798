"""The business partner: customer, prospect, vendor or employee, with contacts and addresses.

Its values and events live by theme next to it: ``partner_details``, ``partner_contacts``,
``partner_addresses``, ``partner_credit`` and ``partner_merge``."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from aggregates.base import Aggregate, event
from aggregates.errors import conflict, not_found
from aggregates.partner_addresses import (
    ADDRESS_FIELDS,
    Address,
    AddressAdded,
    AddressChanged,
    AddressRemoved,
    defaults_after,
)
from aggregates.partner_contacts import (
    CONTACT_FIELDS,
    Contact,
    ContactAdded,
    ContactChanged,
    ContactOptedIn,
    ContactOptedOut,
    ContactRemoved,
    PortalAccessGranted,
    PortalAccessRevoked,
)
from aggregates.partner_credit import (
    CreditHoldLifted,
    CreditHoldPlaced,
    PaymentTermsChangedByCollection,
    SalesBlocked,
    SalesUnblocked,
)
from aggregates.partner_details import (
    ATTACHMENT,
    DETAIL_FIELDS,
    PERSON_DETAILS,
    PROMOTING_DOCUMENTS,
    Attachment,
    AttachmentAdded,
    ChildAttached,
    ChildDetached,
    NoteAdded,
    ParentReassigned,
    PartnerDetails,
    PartnerDetailsChanged,
    PartnerKind,
    PartnerPromotedToCustomer,
    PartnerRegistered,
    PartnerStatus,
    Role,
)
from aggregates.partner_erasure import (
    PersonalDataErased,
    erased_address,
    erased_attachment,
    erased_contact,
    erased_details,
)
from aggregates.partner_merge import PartnerAbsorbed, PartnerMerged, PartnerMergedInto, merged_details
from aggregates.personal import Personal, is_personal
from aggregates.sales_document_values import DocType


class Partner(Aggregate):
    TOPIC = "counterparty.partner.Partner"
    SNAPSHOT_EVERY = 50
    # Its details, contacts, addresses and attachments.
    PERSONAL_STATE = (*PartnerAbsorbed.PERSONAL, Personal("attachments.*", ATTACHMENT.fields, known_only=True))

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
    # The data subjects (the partner itself, contacts) whose personal data was erased.
    erased: frozenset[UUID] = frozenset()

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
        self.erased = frozenset()

    # -- master data ---------------------------------------------------------------------------

    def _require_active(self) -> None:
        if self.status is PartnerStatus.MERGED:
            raise PartnerMerged(f"partner {self.code} was merged into {self.merged_into}")

    def _refuse_erased(self, subject: UUID, values: Any) -> None:
        """New personal data for an erased subject is refused: its erasure stays an erasure."""
        if subject in self.erased and any(is_personal(v) for v in values):
            raise conflict("subject_erased", f"the personal data of {subject} was erased")

    def change_details(self, changes: dict[str, Any]) -> None:
        self._require_active()
        self._refuse_erased(self.id, (v for k, v in changes.items() if k in PERSON_DETAILS.fields))
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
        self._refuse_erased(self.id, (getattr(address, f) for f in ADDRESS_FIELDS))
        self._address_added(address=address, defaults=defaults_after(self.addresses.values(), address))

    @event(AddressAdded)
    def _address_added(self, address: Address, defaults: tuple[UUID, ...] | None) -> None:
        self._store_address(address, defaults)

    def change_address(self, address: Address) -> None:
        self._require_active()
        if address.id not in self.addresses:
            raise not_found("address", address.id)
        current = self.addresses[address.id]
        self._refuse_erased(
            self.id, (getattr(address, f) for f in ADDRESS_FIELDS if getattr(current, f) != getattr(address, f))
        )
        if address != current:
            self._address_changed(address=address, defaults=defaults_after(self.addresses.values(), address))

    @event(AddressChanged)
    def _address_changed(self, address: Address, defaults: tuple[UUID, ...] | None) -> None:
        self._store_address(address, defaults)

    def _store_address(self, address: Address, defaults: tuple[UUID, ...] | None) -> None:
        if defaults is None:  # a version 1 event did not record them
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
        self._refuse_erased(
            contact.id, (getattr(edited, f) for f in CONTACT_FIELDS if getattr(current, f) != getattr(edited, f))
        )
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

    # -- erasure of personal data --------------------------------------------------------------

    def erase(self, reason: str, on: date, absorbed: tuple[UUID, ...] = ()) -> None:
        """Erases a person's personal data and that of all its contacts (those merged into it
        among them); ``absorbed``: the persons merged into it, whose own history (their master
        data, their messages) is the same data subject's."""
        self._require_active()
        if self.details.kind is not PartnerKind.PERSON:
            raise conflict("not_a_person", f"partner {self.code} is an organization: erase its contacts instead")
        self._personal_data_erased(subjects=(self.id, *self.contacts, *absorbed), reason=reason, on=on)

    def erase_contact(self, contact_id: UUID, reason: str, on: date) -> None:
        self._require_active()
        if contact_id not in self.contacts:
            raise not_found("contact", contact_id)
        self._personal_data_erased(subjects=(contact_id,), reason=reason, on=on)

    @event(PersonalDataErased)
    def _personal_data_erased(self, subjects: tuple[UUID, ...]) -> None:
        # The state as replaying gives it once the keys are gone, and also for values recorded in
        # clear before personal data was encrypted.
        for subject in subjects:
            if subject == self.id:
                self.details = erased_details(self.details)
                self.addresses = {k: erased_address(a) for k, a in self.addresses.items()}
                self.attachments = {k: erased_attachment(a) for k, a in self.attachments.items()}
            elif subject in self.contacts:
                self.contacts[subject] = erased_contact(self.contacts[subject])
        self.erased = self.erased | set(subjects)

    # -- notes and attachments -----------------------------------------------------------------

    def add_note(self, text: str, visibility: str, on: date) -> None:
        self._require_active()
        if not text.strip():
            raise conflict("note_empty", "a note needs text")
        self._refuse_erased(self.id, (text,))
        self._note_added(text=text, visibility=visibility, on=on)

    @event(NoteAdded)
    def _note_added(self, text: str, visibility: str, on: date) -> None:
        field = "notes_public" if visibility == "public" else "notes_private"
        current = getattr(self.details, field)
        joined = f"{current}\n{text}" if current else text
        self.details = self.details.model_copy(update={field: joined})

    def add_attachment(self, attachment: Attachment) -> None:
        self._require_active()
        self._refuse_erased(self.id, (attachment.filename,))
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
