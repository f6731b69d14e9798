"""Portal token commands (the caller hashes the secret; the log only ever sees the hash), and
opening a request from the portal. Otherwise a customer's portal actions run the ordinary
commands (accepting a quote, commenting on a request), recorded with the contact as actor."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel

from aggregates.errors import Invalid, conflict, not_found
from aggregates.portal_token import PortalToken
from aggregates.request import Priority, Source
from commands.context import CommandContext, Result
from commands.partners import load_partner
from commands.references import named_by
from commands.request_types import default_request_type
from commands.requests import OpenRequest, Subject, start_request
from commands.types import Code, Strict, Text


class IssuePortalToken(Strict):
    partner: str
    contact: UUID
    token_hash: str


def issue_portal_token(cmd: IssuePortalToken, ctx: CommandContext) -> Result:
    with named_by("body", "partner"):
        partner = load_partner(ctx, cmd.partner)
    contact = partner.contacts.get(cmd.contact)
    if contact is None:
        raise Invalid(["body", "contact"], "the contact is not one of the partner's")
    if not contact.active:
        raise conflict("contact_inactive", "the contact is inactive; activate it before opening the portal to it")
    token = PortalToken.issue(partner.id, contact.id, cmd.token_hash, ctx.today)
    return Result(ctx.save(token), token.id)


class RevokePortalToken(BaseModel):
    token: UUID


def revoke_portal_token(cmd: RevokePortalToken, ctx: CommandContext) -> Result:
    token = ctx.find(PortalToken, cmd.token)
    if token is None:
        raise not_found("portal token", str(cmd.token))
    token.revoke(ctx.today)
    return Result(ctx.save(token), token.id)


class OpenPortalRequest(Strict):
    """A request a customer files through the portal, for the token's partner and contact."""

    partner: UUID
    contact: UUID
    type: Code | None = None
    subject: Subject
    description: Text = ""
    priority: Priority = Priority.MEDIUM
    document: UUID | None = None


def open_portal_request(cmd: OpenPortalRequest, ctx: CommandContext) -> Result:
    """Opens it like any request (numbered, routed, acknowledged); without a type, of the
    default type, the one requests that arrive by e-mail get."""
    opened = OpenRequest(
        type=cmd.type or default_request_type(ctx, "from the portal"),
        partner=str(cmd.partner),
        contact=cmd.contact,
        subject=cmd.subject,
        description=cmd.description,
        priority=cmd.priority,
        document=str(cmd.document) if cmd.document else None,
        source=Source.PORTAL,
    )
    touched = start_request(ctx, opened)
    return Result(ctx.save(*touched), touched[0].id)
