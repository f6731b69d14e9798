"""A partner's own facts: master data, addresses, contacts, notes, attachments, credit hold, merge."""

from __future__ import annotations

from aggregates.partner_addresses import AddressAdded, AddressChanged, AddressRemoved
from aggregates.partner_contacts import (
    ContactAdded,
    ContactChanged,
    ContactRemoved,
    PortalAccessGranted,
    PortalAccessRevoked,
)
from aggregates.partner_credit import CreditHoldLifted, CreditHoldPlaced
from aggregates.partner_details import (
    AttachmentAdded,
    NoteAdded,
    ParentReassigned,
    PartnerDetailsChanged,
    PartnerPromotedToCustomer,
    PartnerRegistered,
)
from aggregates.partner_merge import PartnerAbsorbed, PartnerMergedInto
from projections.catalog import Rows
from projections.timeline.entries import record, timeline


@timeline.on(PartnerRegistered)
def registered(e: PartnerRegistered, rows: Rows) -> None:
    record(rows, e, e.originator_id, "master_data", f"Partner {e.code} registered: {e.details.name}", e.code)


@timeline.on(PartnerDetailsChanged)
def changed(e: PartnerDetailsChanged, rows: Rows) -> None:
    record(rows, e, e.originator_id, "master_data", f"Changed {', '.join(e.fields)}")


@timeline.on(PartnerPromotedToCustomer)
def promoted(e: PartnerPromotedToCustomer, rows: Rows) -> None:
    document = " ".join(x for x in (e.document_type.value.replace("_", " "), e.number) if x)
    record(rows, e, e.originator_id, "master_data", f"Became a customer — {document}", e.document)


@timeline.on(ParentReassigned)
def parent_reassigned(e: ParentReassigned, rows: Rows) -> None:
    summary = f"Parent {e.absorbed_code} merged into {e.parent_code}, the new parent"
    record(rows, e, e.originator_id, "merge", summary, e.parent)


@timeline.on(AddressAdded, AddressChanged, AddressRemoved)
def address(e: AddressAdded | AddressChanged | AddressRemoved, rows: Rows) -> None:
    if isinstance(e, AddressRemoved):
        record(rows, e, e.originator_id, "master_data", "Address removed", e.address_id)
        return
    verb = "added" if isinstance(e, AddressAdded) else "changed"
    a = e.address
    record(rows, e, e.originator_id, "master_data", f"Address {verb}: {a.label or a.street}, {a.city}".strip(), a.id)


@timeline.on(ContactAdded, ContactChanged, ContactRemoved)
def contact(e: ContactAdded | ContactChanged | ContactRemoved, rows: Rows) -> None:
    if isinstance(e, ContactRemoved):
        record(rows, e, e.originator_id, "master_data", "Contact removed", e.contact_id)
        return
    verb = "added" if isinstance(e, ContactAdded) else "changed"
    record(rows, e, e.originator_id, "master_data", f"Contact {verb}: {e.contact.name}", e.contact.id)


@timeline.on(PortalAccessGranted, PortalAccessRevoked)
def portal_access(e: PortalAccessGranted | PortalAccessRevoked, rows: Rows) -> None:
    text = "Portal access granted" if isinstance(e, PortalAccessGranted) else "Portal access revoked"
    record(rows, e, e.originator_id, "master_data", text, e.contact_id)


@timeline.on(NoteAdded)
def note(e: NoteAdded, rows: Rows) -> None:
    record(rows, e, e.originator_id, "note", f"{e.visibility.capitalize()} note: {e.text}")


@timeline.on(AttachmentAdded)
def attachment(e: AttachmentAdded, rows: Rows) -> None:
    a = e.attachment
    record(rows, e, e.originator_id, "attachment", f"Attachment {a.filename} ({a.size} bytes)", a.id)


@timeline.on(CreditHoldPlaced)
def hold(e: CreditHoldPlaced, rows: Rows) -> None:
    record(rows, e, e.originator_id, "credit", f"Credit hold placed: {e.reason}")


@timeline.on(CreditHoldLifted)
def unhold(e: CreditHoldLifted, rows: Rows) -> None:
    record(rows, e, e.originator_id, "credit", "Credit hold lifted")


@timeline.on(PartnerAbsorbed)
def absorbed(e: PartnerAbsorbed, rows: Rows) -> None:
    record(rows, e, e.originator_id, "merge", f"Absorbed partner {e.absorbed_code}", e.absorbed)


@timeline.on(PartnerMergedInto)
def merged(e: PartnerMergedInto, rows: Rows) -> None:
    record(rows, e, e.originator_id, "merge", "Merged into another partner", e.survivor)
