"""Erasure of personal data (API.md "Erasure of personal data"): admin only."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response
from pydantic import BaseModel

from commands.erasure import EraseContact, ErasePartner, Reason, erase_contact, erase_partner
from services.api.deps import Admin, Cmd, Cont, ReadModels
from services.api.partners import ContactPublic, PartnerPublic

router = APIRouter(prefix="/v1/partners", tags=["partners"])


class ErasureRequest(BaseModel):
    reason: Reason


@router.post("/{partner}/erase", response_model=PartnerPublic, summary="Erase a person's personal data")
def erase(partner: str, body: ErasureRequest, _admin: Admin, cmd: Cmd, reads: ReadModels, c: Cont) -> Response:
    """Destroys the encryption keys of a `person` partner and its contacts: every read shows `"[erased]"`, the log's
    bytes and hash chain stay. 409 `not_a_person`, `retention_required` (an issued invoice younger than the
    retention period)."""
    command = ErasePartner(partner=partner, reason=body.reason, retention_years=c.settings.retention_years)
    return cmd.run(erase_partner, command, lambda r: reads.partners.get(str(r.id)))


@router.post(
    "/{partner}/contacts/{contact}/erase", response_model=ContactPublic, summary="Erase a contact's personal data"
)
def erase_one_contact(
    partner: str, contact: UUID, body: ErasureRequest, _admin: Admin, cmd: Cmd, reads: ReadModels
) -> Response:
    """Destroys the contact's key: its name, e-mail, mobile and phone read `"[erased]"`; messages to it are refused
    with 409 `subject_erased`."""
    pid = reads.partners.partner_id(partner)
    command = EraseContact(partner=partner, contact=contact, reason=body.reason)
    return cmd.run(
        erase_contact,
        command,
        lambda r: next(c for c in reads.partners.get(str(pid))["contacts"] if c["id"] == str(r.id)),
    )
