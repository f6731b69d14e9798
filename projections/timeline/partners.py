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
from aggregates.partner_erasure import PersonalDataErased
from aggregates.partner_merge import PartnerAbsorbed, PartnerMergedInto
from projections.catalog import Rows
from projections.timeline.entries import partner_entry, personal, record, timeline

partner_entry(
    PartnerRegistered, "master_data", lambda e: f"Partner {e.code} registered: {e.details.name}", lambda e: e.code
)
partner_entry(PartnerDetailsChanged, "master_data", lambda e: f"Changed {', '.join(e.fields)}")
partner_entry(PortalAccessGranted, "master_data", lambda e: "Portal access granted", lambda e: e.contact_id)
partner_entry(PortalAccessRevoked, "master_data", lambda e: "Portal access revoked", lambda e: e.contact_id)
partner_entry(NoteAdded, "note", lambda e: f"{e.visibility.capitalize()} note: {e.text}")
partner_entry(
    AttachmentAdded,
    "attachment",
    lambda e: f"Attachment {e.attachment.filename} ({e.attachment.size} bytes)",
    lambda e: e.attachment.id,
)
partner_entry(CreditHoldPlaced, "credit", lambda e: f"Credit hold placed: {e.reason}")
partner_entry(CreditHoldLifted, "credit", lambda e: "Credit hold lifted")
partner_entry(PartnerAbsorbed, "merge", lambda e: f"Absorbed partner {e.absorbed_code}", lambda e: e.absorbed)
partner_entry(PartnerMergedInto, "merge", lambda e: "Merged into another partner", lambda e: e.survivor)
partner_entry(
    ParentReassigned,
    "merge",
    lambda e: f"Parent {e.absorbed_code} merged into {e.parent_code}, the new parent",
    lambda e: e.parent,
)


@timeline.on(PartnerPromotedToCustomer)
def promoted(e: PartnerPromotedToCustomer, rows: Rows) -> None:
    document = " ".join(x for x in (e.document_type.value.replace("_", " "), e.number) if x)
    record(rows, e, e.originator_id, "master_data", f"Became a customer — {document}", e.document)


@timeline.on(AddressAdded, AddressChanged, AddressRemoved)
def address(e: AddressAdded | AddressChanged | AddressRemoved, rows: Rows) -> None:
    if isinstance(e, AddressRemoved):
        record(rows, e, e.originator_id, "master_data", "Address removed", e.address_id)
        return
    verb = "added" if isinstance(e, AddressAdded) else "changed"

    def summary(e: AddressAdded | AddressChanged) -> str:
        return f"Address {verb}: {e.address.label or e.address.street}, {e.address.city}".strip()

    record(rows, e, e.originator_id, "master_data", ref=e.address.id, **personal(e, summary))


@timeline.on(ContactAdded, ContactChanged, ContactRemoved)
def contact(e: ContactAdded | ContactChanged | ContactRemoved, rows: Rows) -> None:
    if isinstance(e, ContactRemoved):
        record(rows, e, e.originator_id, "master_data", "Contact removed", e.contact_id)
        return
    verb = "added" if isinstance(e, ContactAdded) else "changed"
    summary = personal(e, lambda e: f"Contact {verb}: {e.contact.name}")
    record(rows, e, e.originator_id, "master_data", ref=e.contact.id, **summary)


@timeline.on(PersonalDataErased)
def personal_data_erased(e: PersonalDataErased, rows: Rows) -> None:
    """The entries showing the subjects' personal values read as they would from the log now."""
    for subject in map(str, e.subjects):
        for link in rows.all("subjects", subject=subject):
            where = {"position": link["position"], "seq": link["seq"]}
            entry = rows.get("entries", **where)
            if entry is not None and entry["erased_summary"] is not None:
                rows.update("entries", where, summary=entry["erased_summary"], erased_summary=None)
        rows.delete("subjects", subject=subject)
    what = "the person and its contacts" if e.originator_id in e.subjects else f"{len(e.subjects)} contact(s)"
    record(rows, e, e.originator_id, "master_data", f"Personal data of {what} erased: {e.reason}")
