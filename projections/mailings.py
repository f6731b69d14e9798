"""Mailings as rows: every contact with what a mailing plan needs (partner, e-mail, active,
opted out), the mailings with their counts, each recipient with its links' hashes and its
status as the sender delivers, and the skipped contacts with their reasons."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Column, Date, DateTime, Index, Integer, MetaData, String, Table, Text

from aggregates.base import DomainEvent
from aggregates.mailing import (
    MailingPrepared,
    MailingStarted,
    RecipientResubscribed,
    RecipientsQueued,
    RecipientUnsubscribed,
)
from aggregates.message import DeliveryFailed, MessageBounced, MessageRead, MessageSent
from aggregates.partner_contacts import (
    Contact,
    ContactAdded,
    ContactChanged,
    ContactOptedIn,
    ContactOptedOut,
    ContactRemoved,
)
from aggregates.partner_erasure import PersonalDataErased
from aggregates.partner_merge import PartnerAbsorbed
from aggregates.personal import ERASED, is_personal
from projections.catalog import Projection, Rows


def define(meta: MetaData, prefix: str) -> dict[str, Table]:
    contacts = Table(
        f"{prefix}contacts",
        meta,
        Column("contact_id", String(36), primary_key=True),
        Column("partner_id", String(36), nullable=False),
        Column("name", Text, nullable=False),
        Column("email", Text),
        Column("active", Boolean, nullable=False),
        Column("opted_out_on", Date),
    )
    Index(f"{prefix}ix_contact_partner", contacts.c.partner_id)
    mailings = Table(
        f"{prefix}mailings",
        meta,
        Column("id", String(36), primary_key=True),
        Column("template", String(80), nullable=False),
        Column("campaign", String(200)),
        Column("targets", Text, nullable=False),
        Column("prepared", Boolean, nullable=False),
        Column("batches", Integer, nullable=False),
        Column("recipients", Integer, nullable=False),
        Column("queued", Integer, nullable=False),
        Column("skipped", Integer, nullable=False),
        Column("started_at", DateTime(timezone=True), nullable=False),
        Column("prepared_at", DateTime(timezone=True)),
        # When the last batch was recorded on the wall clock: how long a preparation has stalled.
        Column("progressed_at", DateTime(timezone=True), nullable=False),
        Column("version", Integer, nullable=False),
        Column("created_position", BigInteger, nullable=False),
    )
    Index(f"{prefix}ix_mailing_campaign", mailings.c.campaign)
    Index(f"{prefix}ix_mailing_prepared", mailings.c.prepared)
    recipients = Table(
        f"{prefix}recipients",
        meta,
        Column("mailing_id", String(36), primary_key=True),
        Column("contact_id", String(36), primary_key=True),
        Column("partner_id", String(36), nullable=False),
        Column("email", Text, nullable=False),
        Column("areas", Text, nullable=False),
        Column("message_id", String(36)),
        Column("unsubscribe_hash", String(64)),
        Column("pixel_hash", String(64)),
        # The message's delivery: queued, sent, read or error (and unsubscribed on top of it).
        Column("delivery", String(10), nullable=False),
        Column("unsubscribed", Boolean, nullable=False),
        Column("error", Text),
        Column("seq", BigInteger, nullable=False),
    )
    Index(f"{prefix}ix_recipient_order", recipients.c.mailing_id, recipients.c.seq)
    Index(f"{prefix}ix_recipient_message", recipients.c.message_id)
    Index(f"{prefix}ix_recipient_unsubscribe", recipients.c.unsubscribe_hash)
    Index(f"{prefix}ix_recipient_pixel", recipients.c.pixel_hash)
    Index(f"{prefix}ix_recipient_email", recipients.c.email)
    skipped = Table(
        f"{prefix}skipped",
        meta,
        # Keyed by order, not contact: a plan made again after a crash may skip a contact twice
        # (one merged meanwhile into a partner further on); a recipient never repeats.
        Column("mailing_id", String(36), primary_key=True),
        Column("seq", BigInteger, primary_key=True),
        Column("contact_id", String(36), nullable=False),
        Column("partner_id", String(36), nullable=False),
        Column("reason", String(20), nullable=False),
    )
    return {"contacts": contacts, "mailings": mailings, "recipients": recipients, "skipped": skipped}


mailings = Projection("mailings", define)
# Rows of one event are ordered by the event's position, then their index in it.
PER_EVENT = 100_000


def utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


# -- the audience ----------------------------------------------------------------------------------


def _contact_values(partner_id: str, contact: Contact) -> dict[str, Any]:
    return {
        "partner_id": partner_id,
        "name": contact.name,
        "email": contact.email,
        "active": contact.active,
        "opted_out_on": contact.opted_out_on,
    }


@mailings.on(ContactAdded, ContactChanged)
def contact_stored(e: ContactAdded | ContactChanged, rows: Rows) -> None:
    values = _contact_values(str(e.originator_id), e.contact)
    if isinstance(e, ContactAdded):
        rows.insert("contacts", contact_id=str(e.contact.id), **values)
    else:
        rows.update("contacts", {"contact_id": str(e.contact.id)}, **values)


@mailings.on(ContactRemoved)
def contact_removed(e: ContactRemoved, rows: Rows) -> None:
    rows.delete("contacts", contact_id=str(e.contact_id))


@mailings.on(ContactOptedOut, ContactOptedIn)
def contact_consent(e: ContactOptedOut | ContactOptedIn, rows: Rows) -> None:
    on = e.on if isinstance(e, ContactOptedOut) else None
    rows.update("contacts", {"contact_id": str(e.contact_id)}, opted_out_on=on)


@mailings.on(PartnerAbsorbed)
def absorbed(e: PartnerAbsorbed, rows: Rows) -> None:
    for contact in e.contacts:
        rows.update("contacts", {"contact_id": str(contact.id)}, partner_id=str(e.originator_id))


# -- mailings and their recipients -----------------------------------------------------------------


def _wall(e: DomainEvent) -> datetime:
    return utc(e.timestamp) or datetime.now(UTC)


@mailings.on(MailingStarted)
def started(e: MailingStarted, rows: Rows) -> None:
    rows.insert(
        "mailings",
        id=str(e.originator_id),
        template=e.template,
        campaign=e.campaign,
        targets=json.dumps(e.targets.model_dump(mode="json")),
        prepared=False,
        batches=0,
        recipients=0,
        queued=0,
        skipped=0,
        started_at=utc(e.at),
        prepared_at=None,
        progressed_at=_wall(e),
        version=e.originator_version,
        created_position=rows.position,
    )


@mailings.on(RecipientsQueued)
def recipients_queued(e: RecipientsQueued, rows: Rows) -> None:
    mailing_id = str(e.originator_id)
    row = rows.get("mailings", id=mailing_id)
    assert row is not None, f"mailing {mailing_id} missing"
    base = rows.position * PER_EVENT
    for i, r in enumerate(e.recipients):
        rows.insert(
            "recipients",
            mailing_id=mailing_id,
            contact_id=str(r.contact),
            partner_id=str(r.partner),
            email=r.email,
            areas=json.dumps(list(r.areas)),
            message_id=str(r.message) if r.message else None,
            unsubscribe_hash=r.unsubscribe_hash,
            pixel_hash=r.pixel_hash,
            delivery="queued" if r.message else "error",
            unsubscribed=False,
            error=r.error,
            seq=base + i,
        )
    for i, s in enumerate(e.skipped):
        rows.insert(
            "skipped",
            mailing_id=mailing_id,
            contact_id=str(s.contact),
            partner_id=str(s.partner),
            reason=s.reason.value,
            seq=base + len(e.recipients) + i,
        )
    rows.update(
        "mailings",
        {"id": mailing_id},
        batches=e.batch,
        recipients=row["recipients"] + len(e.recipients),
        queued=row["queued"] + sum(1 for r in e.recipients if r.message),
        skipped=row["skipped"] + len(e.skipped),
        progressed_at=_wall(e),
        version=e.originator_version,
    )


@mailings.on(MailingPrepared)
def prepared(e: MailingPrepared, rows: Rows) -> None:
    rows.update(
        "mailings",
        {"id": str(e.originator_id)},
        prepared=True,
        prepared_at=utc(e.at),
        progressed_at=_wall(e),
        version=e.originator_version,
    )


@mailings.on(RecipientUnsubscribed, RecipientResubscribed)
def link_used(e: RecipientUnsubscribed | RecipientResubscribed, rows: Rows) -> None:
    mailing_id = str(e.originator_id)
    key = {"mailing_id": mailing_id, "contact_id": str(e.contact)}
    rows.update("recipients", key, unsubscribed=isinstance(e, RecipientUnsubscribed))
    rows.update("mailings", {"id": mailing_id}, version=e.originator_version)


# Where a message's delivery leaves its recipient (a started delivery is still on its way).
DELIVERY = {MessageSent: "sent", MessageRead: "read", MessageBounced: "error"}


@mailings.on(MessageSent, MessageRead, MessageBounced, DeliveryFailed)
def delivered(e: MessageSent | MessageRead | MessageBounced | DeliveryFailed, rows: Rows) -> None:
    if isinstance(e, DeliveryFailed):
        if e.retry_at is not None:
            return
        delivery = "error"
    else:
        delivery = DELIVERY[type(e)]
    rows.update("recipients", {"message_id": str(e.originator_id)}, delivery=delivery)


@mailings.on(PersonalDataErased)
def personal_data_erased(e: PersonalDataErased, rows: Rows) -> None:
    """The contacts' names and addresses read as the log gives them after the erasure."""
    for subject in map(str, e.subjects):
        contact = rows.get("contacts", contact_id=subject)
        if contact is not None:
            erased = {k: ERASED for k in ("name", "email") if is_personal(contact[k])}
            if erased:
                rows.update("contacts", {"contact_id": subject}, **erased)
        for recipient in rows.all("recipients", contact_id=subject):
            if is_personal(recipient["email"]):
                where = {"mailing_id": recipient["mailing_id"], "contact_id": subject}
                rows.update("recipients", where, email=ERASED)
