"""Merging two partners: the survivor absorbs the other, and API.md's rules for their master data."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from aggregates.base import DomainEvent
from aggregates.errors import DomainError
from aggregates.partner_addresses import ADDRESS_FIELDS, Address
from aggregates.partner_contacts import CONTACT_FIELDS, Contact
from aggregates.partner_details import DETAIL_FIELDS, PERSON_DETAILS, PartnerDetails, Role
from aggregates.personal import Personal


class PartnerAbsorbed(DomainEvent):
    """The survivor's side of a merge: its master data after filling blanks, and what moved."""

    TOPIC = "counterparty.partner.PartnerAbsorbed.v1"
    PERSONAL = (
        PERSON_DETAILS,
        Personal("contacts.*", CONTACT_FIELDS, subject="id"),
        Personal("addresses.*", ADDRESS_FIELDS, known_only=True),
    )
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
