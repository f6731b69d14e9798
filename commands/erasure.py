"""Erasure of personal data: a ``person`` partner with all its contacts, or one contact. The
handlers check the rules and record ``PersonalDataErased``; the store destroys the keys."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from pydantic import Field, StringConstraints

from aggregates.account import Account, ItemKind
from aggregates.errors import conflict
from aggregates.partner import Partner
from aggregates.partner_details import PartnerKind
from commands.context import CommandContext, Result
from commands.partners import load_partner_for_update
from commands.types import Strict

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class ErasePartner(Strict):
    partner: str = Field(exclude=True)
    reason: Reason
    # CPTY_RETENTION_YEARS: how long issued invoices (and so their partner's name) must be kept.
    retention_years: int = Field(default=10, ge=0, exclude=True)


class EraseContact(Strict):
    partner: str = Field(exclude=True)
    contact: UUID = Field(exclude=True)
    reason: Reason


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def erase_partner(cmd: ErasePartner, ctx: CommandContext) -> Result:
    partner = load_partner_for_update(ctx, cmd.partner)
    account = ctx.find(Account, Account.id_for(partner.id))
    cutoff = years_before(ctx.today, cmd.retention_years)
    kept = sorted(
        i.number or str(i.document)
        for i in (account.items.values() if account else ())
        if i.kind is ItemKind.INVOICE and i.booked_on > cutoff
    )
    if kept:
        raise conflict(
            "retention_required",
            f"invoices issued after {cutoff.isoformat()} must be kept with their partner: {', '.join(kept)}",
        )
    partner.erase(cmd.reason, ctx.today, absorbed=absorbed_persons(ctx, partner))
    return Result(ctx.save(partner), partner.id)


def absorbed_persons(ctx: CommandContext, partner: Partner) -> tuple[UUID, ...]:
    """The persons merged into ``partner``, directly or through another merged partner: their
    messages and master data stay in their own streams, under their own keys."""
    found: list[UUID] = []
    todo = list(partner.absorbed)
    while todo:
        other = ctx.load(Partner, todo.pop())
        todo += other.absorbed
        if other.details.kind is PartnerKind.PERSON:
            found.append(other.id)
    return tuple(sorted(found, key=str))


def erase_contact(cmd: EraseContact, ctx: CommandContext) -> Result:
    partner = load_partner_for_update(ctx, cmd.partner)
    partner.erase_contact(cmd.contact, cmd.reason, ctx.today)
    return Result(ctx.save(partner), cmd.contact)
