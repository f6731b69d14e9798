"""Interest areas and consent: create an area, subscribe a contact, opt out (of an area, or of
every mailing), subscribe again."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from aggregates.errors import Invalid, conflict, not_found
from aggregates.interest_area import InterestArea, Subscription
from aggregates.partner import Partner
from commands.context import CommandContext, Result
from commands.partners import load_partner, load_partner_for_update
from commands.types import Code, Name, Strict

# Who recorded a consent change: staff through the API, or the contact through a mailing's link.
Via = Literal["api", "link"]


class CreateInterestArea(Strict):
    code: Code
    name: Name
    self_service: bool = True


def load_area(ctx: CommandContext, code: str) -> InterestArea:
    area = ctx.find(InterestArea, InterestArea.id_for(code.strip()))
    if area is None:
        raise not_found("interest area", code)
    return area


def create_interest_area(cmd: CreateInterestArea, ctx: CommandContext) -> Result:
    if ctx.find(InterestArea, InterestArea.id_for(cmd.code)) is not None:
        raise conflict("interest_area_exists", f"an interest area {cmd.code} already exists")
    area = InterestArea.create(cmd.code, cmd.name, cmd.self_service, ctx.today)
    return Result(ctx.save(area), area.id)


def _contact_partner(ctx: CommandContext, partner_ref: UUID, contact: UUID) -> Partner:
    partner = load_partner(ctx, str(partner_ref))
    if contact not in partner.contacts:
        raise Invalid(["body", "contact"], f"unknown contact {contact}")
    return partner


class Subscribe(Strict):
    """``partner``: the contact's partner (the caller looks it up; a merged one leads to its survivor)."""

    area: str
    contact: UUID
    partner: UUID
    via: Via = "api"


def subscribe(cmd: Subscribe, ctx: CommandContext) -> Result:
    """Subscribes the contact, today; a contact who opted out is subscribed again."""
    area = load_area(ctx, cmd.area)
    partner = _contact_partner(ctx, cmd.partner, cmd.contact)
    subscription = ctx.find(Subscription, Subscription.id_for(area.code, cmd.contact))
    if subscription is None:
        subscription = Subscription.subscribe_first(area.code, cmd.contact, partner.id, ctx.today, cmd.via)
    else:
        subscription.resubscribe(partner.id, ctx.today, cmd.via)
    return Result(ctx.save(subscription), subscription.id)


class OptOut(Strict):
    area: str
    contact: UUID
    # The contact's current partner (after a merge, the survivor), for the partner's timeline.
    partner: UUID | None = None
    via: Via = "api"


def opt_out(cmd: OptOut, ctx: CommandContext) -> Result:
    """Ends the contact's subscription today (404 if it never subscribed)."""
    area = load_area(ctx, cmd.area)
    subscription = ctx.find(Subscription, Subscription.id_for(area.code, cmd.contact))
    if subscription is None:
        raise not_found("subscription of contact", cmd.contact)
    subscription.opt_out(cmd.partner or subscription.partner, ctx.today, cmd.via)
    return Result(ctx.save(subscription), subscription.id)


class ContactConsent(Strict):
    partner: str
    contact: UUID
    via: Via = "api"


class OptOutContact(ContactConsent):
    pass


def opt_out_contact(cmd: OptOutContact, ctx: CommandContext) -> Result:
    """The contact receives no mailing any more, whatever targets it (dated today)."""
    partner = load_partner_for_update(ctx, cmd.partner)
    partner.opt_out_contact(cmd.contact, ctx.today, cmd.via)
    return Result(ctx.save(partner), cmd.contact)


class OptInContact(ContactConsent):
    pass


def opt_in_contact(cmd: OptInContact, ctx: CommandContext) -> Result:
    partner = load_partner_for_update(ctx, cmd.partner)
    partner.opt_in_contact(cmd.contact, ctx.today, cmd.via)
    return Result(ctx.save(partner), cmd.contact)
