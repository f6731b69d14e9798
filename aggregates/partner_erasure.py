"""Erasing a data subject's personal data: a ``person`` partner (with its contacts) or one
contact. The fact records who was erased and why, never what was erased; the store destroys the
subjects' keys once it is written, so every value they had in the log reads ``[erased]``."""

from __future__ import annotations

from datetime import date
from typing import TypeVar
from uuid import UUID

from aggregates.base import DomainEvent, Value
from aggregates.partner_addresses import ADDRESS_FIELDS, Address
from aggregates.partner_contacts import CONTACT_FIELDS, Contact
from aggregates.partner_details import ATTACHMENT, PERSON_DETAILS, Attachment, PartnerDetails
from aggregates.personal import ERASED, is_personal


class PersonalDataErased(DomainEvent):
    """``subjects``: the partner (a person) and contacts whose keys are destroyed. Recorded again
    when an erasure is asked again, so that a key left behind by a crash is destroyed then."""

    TOPIC = "counterparty.partner.PersonalDataErased.v1"
    subjects: tuple[UUID, ...]
    reason: str
    on: date


V = TypeVar("V", bound=Value)


def _erased(value: V, fields: tuple[str, ...]) -> V:
    update = {f: ERASED for f in fields if is_personal(getattr(value, f))}
    return value.model_copy(update=update) if update else value


def erased_details(details: PartnerDetails) -> PartnerDetails:
    return _erased(details, PERSON_DETAILS.fields)


def erased_contact(contact: Contact) -> Contact:
    return _erased(contact, CONTACT_FIELDS)


def erased_address(address: Address) -> Address:
    return _erased(address, ADDRESS_FIELDS)


def erased_attachment(attachment: Attachment) -> Attachment:
    return _erased(attachment, ATTACHMENT.fields)
