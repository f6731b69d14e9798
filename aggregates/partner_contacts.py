"""A partner's contacts: who they are, when they can be reached, their portal access and their
consent to mailings."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from aggregates.base import DomainEvent, Value
from aggregates.personal import Personal


class Availability(Value):
    weekday: int
    start: str
    end: str


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


# A contact is a data subject of its own (its id names it), whatever its partner is.
CONTACT_FIELDS = ("name", "email", "mobile", "phone")
CONTACT = Personal("contact", CONTACT_FIELDS, subject="id")


class ContactAdded(DomainEvent):
    TOPIC = "counterparty.partner.ContactAdded.v1"
    PERSONAL = (CONTACT,)
    contact: Contact


class ContactChanged(DomainEvent):
    """A clerk's edit of the contact. Since ``PortalAccessGranted``/``Revoked`` exist, its
    ``portal_access`` is the contact's current one (older events may also change it)."""

    TOPIC = "counterparty.partner.ContactChanged.v1"
    PERSONAL = (CONTACT,)
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
