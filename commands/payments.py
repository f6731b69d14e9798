"""Payments and receivables: receive a payment (explicit or oldest-first allocation) and waive a
fee or interest charge."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID, uuid4

from pydantic import Field, StringConstraints

from aggregates.account import Account, Allocation
from aggregates.base import Aggregate
from aggregates.errors import not_found
from aggregates.payment import Payment
from commands.context import CommandContext, Result
from commands.documents import DOCUMENT_NUMBERS, load_account, not_after_today
from commands.numbering import claim_owner, draw_unique
from commands.partners import load_partner, parse_uuid
from commands.references import named_by
from commands.types import Currency, Money, Ref, Strict

Day = date


class AllocationIn(Strict):
    document: Ref
    amount: Annotated[Money, Field(gt=0)]


Allocations = Annotated[list[AllocationIn], Field(max_length=1000)]


class ReceivePayment(Strict):
    partner: Ref
    amount: Annotated[Money, Field(gt=0)]
    date: Day | None = None
    currency: Currency | None = None
    reference: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    allocations: Allocations | None = None


def _item_id(ctx: CommandContext, account: Account, ref: str) -> UUID:
    """An allocation names an invoice (id or number) or a fee/interest item (id)."""
    item_id = parse_uuid(ref) or claim_owner(ctx, DOCUMENT_NUMBERS, ref.strip())
    if item_id is None or item_id not in account.items:
        raise not_found("open item", ref)
    return item_id


def receive_payment(cmd: ReceivePayment, ctx: CommandContext) -> Result:
    with named_by("body", "partner"):
        partner = load_partner(ctx, cmd.partner)
    payment_id = uuid4()
    booked = book_payment(ctx, payment_id, partner.id, cmd, cmd.currency or partner.details.currency)
    return Result(ctx.save(*booked), payment_id)


def book_payment(
    ctx: CommandContext, payment_id: UUID, partner: UUID, cmd: ReceivePayment, currency: str
) -> list[Aggregate]:
    """The payment, the partner's account with its money placed (as ``cmd.allocations`` say, or
    oldest due first) and the claimed number: what a command that books a payment saves."""
    on = cmd.date or ctx.today
    not_after_today(ctx, on, "date")
    account = load_account(ctx, partner)
    allocations = None
    if cmd.allocations is not None:
        allocations = []
        for i, a in enumerate(cmd.allocations):
            with named_by("body", "allocations", i, "document"):
                allocations.append(Allocation(item_id=_item_id(ctx, account, a.document), amount=a.amount))
    number, claimed = draw_unique(ctx, "payment", on, "payment", payment_id)
    payment = Payment.receive(payment_id, number, partner, cmd.amount, currency, on, cmd.reference)
    account.receive_payment(payment.id, cmd.amount, allocations, on)
    return [payment, account, *claimed]


class WaiveCharge(Strict):
    item: UUID
    partner: UUID  # whose account the item is on
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


def waive_charge(cmd: WaiveCharge, ctx: CommandContext) -> Result:
    account = ctx.find(Account, Account.id_for(cmd.partner))
    if account is None:
        raise not_found("open item", cmd.item)
    account.waive(cmd.item, cmd.reason, ctx.today)
    return Result(ctx.save(account), cmd.item)
