"""The partner directory: one row per partner with its master data, plus the side tables that the
list filters use (roles, tags, sales reps, custom field values)."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
)

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
    AttachmentAdded,
    ChildAttached,
    ChildDetached,
    NoteAdded,
    ParentReassigned,
    PartnerDetails,
    PartnerDetailsChanged,
    PartnerPromotedToCustomer,
    PartnerRegistered,
)
from aggregates.partner_erasure import PersonalDataErased, erased_details
from aggregates.partner_merge import PartnerAbsorbed, PartnerMergedInto
from aggregates.personal import ERASED, is_personal
from projections.catalog import Projection, Rows


def define(meta: MetaData, prefix: str) -> dict[str, Table]:
    partners = Table(
        f"{prefix}partners",
        meta,
        Column("id", String(36), primary_key=True),
        Column("code", String(80), nullable=False),
        Column("name", Text, nullable=False),
        Column("name_key", Text, nullable=False),
        Column("kind", String(20), nullable=False),
        Column("status", String(10), nullable=False),
        Column("merged_into", String(36)),
        Column("group_code", String(80)),
        Column("email", Text),
        Column("tax_id", Text),
        Column("parent", String(36)),
        Column("credit_limit", Numeric(18, 2), nullable=False),
        Column("credit_check", Boolean, nullable=False),
        Column("manual_hold", Text),
        Column("blocks", Integer, nullable=False, default=0),
        Column("created_on", Date, nullable=False),
        Column("created_position", BigInteger, nullable=False),
        Column("version", Integer, nullable=False),
        Column("search", Text, nullable=False),
        Column("details", Text, nullable=False),
        Column("addresses", Text, nullable=False),
        Column("contacts", Text, nullable=False),
        Column("attachments", Text, nullable=False),
    )
    Index(f"{prefix}ix_code", partners.c.code)
    Index(f"{prefix}ix_name", partners.c.name_key, partners.c.id)
    Index(f"{prefix}ix_created", partners.c.created_on, partners.c.created_position)
    Index(f"{prefix}ix_group", partners.c.group_code)
    Index(f"{prefix}ix_merged", partners.c.merged_into)
    side = {}
    for name, column in (("roles", "role"), ("tags", "tag"), ("reps", "username")):
        side[name] = Table(
            f"{prefix}{name}",
            meta,
            Column("partner_id", String(36), primary_key=True),
            Column(column, String(120), primary_key=True),
        )
        Index(f"{prefix}ix_{name}", side[name].c[column])
    fields = Table(
        f"{prefix}fields",
        meta,
        Column("partner_id", String(36), primary_key=True),
        Column("code", String(80), primary_key=True),
        Column("value", Text, nullable=False),
    )
    Index(f"{prefix}ix_fields", fields.c.code, fields.c.value)
    # Who writes from an address (inbound e-mail): the partner's own e-mail (contact_id "") and
    # its active contacts' e-mails, lower-cased.
    emails = Table(
        f"{prefix}emails",
        meta,
        Column("partner_id", String(36), primary_key=True),
        Column("contact_id", String(36), primary_key=True),
        Column("email", String(254), primary_key=True),
    )
    Index(f"{prefix}ix_emails", emails.c.email)
    return {"partners": partners, "fields": fields, "emails": emails, **side}


directory = Projection("partner_directory", define)


def dump(value: Any) -> str:
    # Key order is kept: contacts and addresses are listed in the order they were added (the
    # "first active contact" of API.md is the first one shown).
    return json.dumps(value, default=str)


def field_text(value: Any) -> str:
    """A custom field value as the ``cf.<code>=`` filter spells it (booleans as true/false)."""
    return json.dumps(value) if isinstance(value, bool) else str(value)


def search_text(details: PartnerDetails, code: str, contacts: dict[str, Any]) -> str:
    names = " ".join(c["name"] for c in contacts.values())
    return " ".join(x for x in (details.name, code, details.email, details.tax_id, names) if x).lower()


def _details_columns(details: PartnerDetails, code: str, contacts: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": details.name,
        "name_key": details.name.lower(),
        "kind": details.kind.value,
        "group_code": details.group,
        "email": details.email,
        "tax_id": details.tax_id,
        "parent": str(details.parent) if details.parent else None,
        "credit_limit": details.credit_limit,
        "credit_check": details.credit_check,
        "search": search_text(details, code, contacts),
        "details": dump(details.model_dump(mode="json")),
    }


SIDE_TABLES = {"roles": "roles", "tags": "tags", "reps": "sales_reps", "fields": "custom_fields"}


def _write_side_tables(
    rows: Rows, partner_id: str, details: PartnerDetails, changed: tuple[str, ...] | None = None, new: bool = False
) -> None:
    """Rewrites the filter tables whose detail field changed (all of them when ``changed`` is None);
    a new partner has nothing to delete."""
    tables = [t for t, f in SIDE_TABLES.items() if changed is None or f in changed]
    for table in tables if not new else ():
        rows.delete(table, partner_id=partner_id)
    if "roles" in tables:
        for role in details.roles:
            rows.insert("roles", partner_id=partner_id, role=role.value)
    if "tags" in tables:
        for tag in details.tags:
            rows.insert("tags", partner_id=partner_id, tag=tag)
    if "reps" in tables:
        for rep in details.sales_reps:
            rows.insert("reps", partner_id=partner_id, username=rep)
    if "fields" in tables:
        for code, value in details.custom_fields.items():
            values = value if isinstance(value, list) else [value]
            rows.insert("fields", partner_id=partner_id, code=code, value="\x1f".join(field_text(v) for v in values))


def _write_emails(rows: Rows, partner_id: str, email: str | None, contacts: dict[str, Any], new: bool = False) -> None:
    if not new:
        rows.delete("emails", partner_id=partner_id)
    # An erased address is nobody's: no mail is matched to it.
    found = {("", email.strip().lower())} if is_personal(email) and email else set()
    found |= {
        (key, c["email"].strip().lower())
        for key, c in contacts.items()
        if is_personal(c.get("email")) and c.get("active")
    }
    for contact_id, address in sorted(found):
        rows.insert("emails", partner_id=partner_id, contact_id=contact_id, email=address[:254])


@directory.on(PartnerRegistered)
def registered(e: PartnerRegistered, rows: Rows) -> None:
    pid = str(e.originator_id)
    rows.insert(
        "partners",
        id=pid,
        code=e.code,
        status="active",
        merged_into=None,
        manual_hold=None,
        blocks=0,
        created_on=e.created_on,
        created_position=rows.position,
        version=e.originator_version,
        addresses="{}",
        contacts="{}",
        attachments="{}",
        **_details_columns(e.details, e.code, {}),
    )
    _write_side_tables(rows, pid, e.details, new=True)
    _write_emails(rows, pid, e.details.email, {}, new=True)


def _row(rows: Rows, e: Any) -> dict[str, Any]:
    row = rows.get("partners", id=str(e.originator_id))
    assert row is not None, f"partner {e.originator_id} missing from the directory"
    return row


@directory.on(PartnerDetailsChanged)
def details_changed(e: PartnerDetailsChanged, rows: Rows) -> None:
    row = _row(rows, e)
    pid = row["id"]
    rows.update(
        "partners",
        {"id": pid},
        version=e.originator_version,
        **_details_columns(e.details, row["code"], json.loads(row["contacts"])),
    )
    _write_side_tables(rows, pid, e.details, changed=e.fields)
    if "email" in e.fields:
        _write_emails(rows, pid, e.details.email, json.loads(row["contacts"]))


def _details_fact(rows: Rows, e: Any, **changes: Any) -> None:
    """A named fact that changes some master data fields: the row and their side tables."""
    row = _row(rows, e)
    details = PartnerDetails.model_validate_json(row["details"]).model_copy(update=changes)
    columns = _details_columns(details, row["code"], json.loads(row["contacts"]))
    rows.update("partners", {"id": row["id"]}, version=e.originator_version, **columns)
    _write_side_tables(rows, row["id"], details, changed=tuple(changes))


@directory.on(PartnerPromotedToCustomer)
def promoted(e: PartnerPromotedToCustomer, rows: Rows) -> None:
    _details_fact(rows, e, roles=e.roles)


@directory.on(ParentReassigned)
def parent_reassigned(e: ParentReassigned, rows: Rows) -> None:
    _details_fact(rows, e, parent=e.parent)


@directory.on(PaymentTermsChangedByCollection)
def payment_terms_by_collection(e: PaymentTermsChangedByCollection, rows: Rows) -> None:
    _details_fact(rows, e, payment_terms_days=e.days)


def _change_collection(rows: Rows, e: Any, column: str, key: str, value: dict[str, Any] | None) -> None:
    row = _row(rows, e)
    items = json.loads(row[column])
    if value is None:
        items.pop(key, None)
    else:
        items[key] = value
    values: dict[str, Any] = {column: dump(items), "version": e.originator_version}
    if column == "contacts":
        details = PartnerDetails.model_validate_json(row["details"])
        values["search"] = search_text(details, row["code"], items)
        _write_emails(rows, row["id"], details.email, items)
    rows.update("partners", {"id": row["id"]}, **values)


@directory.on(AddressAdded, AddressChanged)
def address_stored(e: AddressAdded | AddressChanged, rows: Rows) -> None:
    row = _row(rows, e)
    addresses = json.loads(row["addresses"])
    defaults = e.defaults
    if defaults is None:  # recorded before the events said their defaults
        defaults = defaults_after((Address.model_validate(a) for a in addresses.values()), e.address)
    addresses[str(e.address.id)] = e.address.model_dump(mode="json")
    for key, stored in addresses.items():
        stored["is_default"] = UUID(key) in defaults
    rows.update("partners", {"id": row["id"]}, addresses=dump(addresses), version=e.originator_version)


@directory.on(AddressRemoved)
def address_removed(e: AddressRemoved, rows: Rows) -> None:
    _change_collection(rows, e, "addresses", str(e.address_id), None)


@directory.on(ContactAdded, ContactChanged)
def contact_stored(e: ContactAdded | ContactChanged, rows: Rows) -> None:
    _change_collection(rows, e, "contacts", str(e.contact.id), e.contact.model_dump(mode="json"))


@directory.on(ContactRemoved)
def contact_removed(e: ContactRemoved, rows: Rows) -> None:
    _change_collection(rows, e, "contacts", str(e.contact_id), None)


@directory.on(PortalAccessGranted, PortalAccessRevoked)
def portal_access(e: PortalAccessGranted | PortalAccessRevoked, rows: Rows) -> None:
    contact = json.loads(_row(rows, e)["contacts"]).get(str(e.contact_id))
    if contact is not None:
        contact["portal_access"] = isinstance(e, PortalAccessGranted)
        _change_collection(rows, e, "contacts", str(e.contact_id), contact)


@directory.on(ContactOptedOut, ContactOptedIn)
def contact_consent(e: ContactOptedOut | ContactOptedIn, rows: Rows) -> None:
    contact = json.loads(_row(rows, e)["contacts"]).get(str(e.contact_id))
    if contact is not None:
        contact["opted_out_on"] = e.on.isoformat() if isinstance(e, ContactOptedOut) else None
        _change_collection(rows, e, "contacts", str(e.contact_id), contact)


@directory.on(AttachmentAdded)
def attachment_added(e: AttachmentAdded, rows: Rows) -> None:
    _change_collection(rows, e, "attachments", str(e.attachment.id), e.attachment.model_dump(mode="json"))


@directory.on(NoteAdded)
def note_added(e: NoteAdded, rows: Rows) -> None:
    row = _row(rows, e)
    details = PartnerDetails.model_validate_json(row["details"])
    field = "notes_public" if e.visibility == "public" else "notes_private"
    current = getattr(details, field)
    details = details.model_copy(update={field: f"{current}\n{e.text}" if current else e.text})
    rows.update(
        "partners", {"id": row["id"]}, version=e.originator_version, details=dump(details.model_dump(mode="json"))
    )


@directory.on(ChildAttached, ChildDetached)
def child_changed(e: ChildAttached | ChildDetached, rows: Rows) -> None:
    # Nothing shown changes, but the partner's version does (clients send it back in If-Match).
    rows.update("partners", {"id": str(e.originator_id)}, version=e.originator_version)


@directory.on(CreditHoldPlaced)
def hold_placed(e: CreditHoldPlaced, rows: Rows) -> None:
    rows.update("partners", {"id": str(e.originator_id)}, manual_hold=e.reason, version=e.originator_version)


@directory.on(CreditHoldLifted)
def hold_lifted(e: CreditHoldLifted, rows: Rows) -> None:
    rows.update("partners", {"id": str(e.originator_id)}, manual_hold=None, version=e.originator_version)


@directory.on(PartnerAbsorbed)
def absorbed(e: PartnerAbsorbed, rows: Rows) -> None:
    row = _row(rows, e)
    contacts = json.loads(row["contacts"])
    contacts.update({str(c.id): c.model_dump(mode="json") for c in e.contacts})
    addresses = json.loads(row["addresses"])
    addresses.update({str(a.id): a.model_dump(mode="json") for a in e.addresses})
    rows.update(
        "partners",
        {"id": row["id"]},
        version=e.originator_version,
        contacts=dump(contacts),
        addresses=dump(addresses),
        **_details_columns(e.details, row["code"], contacts),
    )
    _write_side_tables(rows, row["id"], e.details)
    _write_emails(rows, row["id"], e.details.email, contacts)
    # Earlier absorptions of the absorbed partner now point at the survivor too.
    rows.update("partners", {"merged_into": str(e.absorbed)}, merged_into=row["id"])


@directory.on(PartnerMergedInto)
def merged_into(e: PartnerMergedInto, rows: Rows) -> None:
    rows.update(
        "partners",
        {"id": str(e.originator_id)},
        status="merged",
        merged_into=str(e.survivor),
        version=e.originator_version,
        contacts="{}",
        addresses="{}",
    )
    rows.delete("emails", partner_id=str(e.originator_id))


@directory.on(SalesBlocked, SalesUnblocked)
def blocked(e: SalesBlocked | SalesUnblocked, rows: Rows) -> None:
    row = _row(rows, e)
    change = 1 if isinstance(e, SalesBlocked) else -1
    rows.update("partners", {"id": row["id"]}, blocks=row["blocks"] + change, version=e.originator_version)


def _erase_values(item: dict[str, Any], fields: tuple[str, ...]) -> None:
    for field in fields:
        if is_personal(item.get(field)):
            item[field] = ERASED


@directory.on(PersonalDataErased)
def personal_data_erased(e: PersonalDataErased, rows: Rows) -> None:
    """The values reading the log gives once the keys are gone (also for those in clear): of the
    partner, and of the persons merged into it (subjects with rows of their own)."""
    subjects = {str(s) for s in e.subjects}
    _erase_row(rows, _row(rows, e), subjects, version=e.originator_version)
    for subject in sorted(subjects - {str(e.originator_id)}):
        absorbed = rows.get("partners", id=subject)
        if absorbed is not None:
            _erase_row(rows, absorbed, subjects, version=absorbed["version"])


def _erase_row(rows: Rows, row: dict[str, Any], subjects: set[str], version: int) -> None:
    details = PartnerDetails.model_validate_json(row["details"])
    addresses = json.loads(row["addresses"])
    contacts = json.loads(row["contacts"])
    attachments = json.loads(row["attachments"])
    if row["id"] in subjects:
        details = erased_details(details)
        for address in addresses.values():
            _erase_values(address, ADDRESS_FIELDS)
        for attachment in attachments.values():
            _erase_values(attachment, ATTACHMENT.fields)
    for key in subjects & set(contacts):
        _erase_values(contacts[key], CONTACT_FIELDS)
    rows.update(
        "partners",
        {"id": row["id"]},
        version=version,
        addresses=dump(addresses),
        contacts=dump(contacts),
        attachments=dump(attachments),
        **_details_columns(details, row["code"], contacts),
    )
    _write_emails(rows, row["id"], details.email, contacts)
