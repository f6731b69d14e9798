"""Delivery note commands: draft one from a confirmed order, ship it, deliver it. Issuing (it is then
planned) and cancelling go through the document commands like every other document."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Literal
from uuid import UUID, uuid4

from pydantic import Field

from aggregates.errors import Invalid
from aggregates.partner import Partner
from aggregates.sales_document import SalesDocument
from aggregates.sales_document_values import ConvertedLine, DocType
from commands.context import CommandContext, Result
from commands.documents import Quantity, default_address, load_document, load_document_for_update, not_after_today
from commands.partners import load_partner
from commands.references import named_by
from commands.types import Ref, Strict

DELIVERY_USAGES = ("warehouse", "shipping")
Day = date  # a field named ``date`` hides the type inside a model


class DeliveryLineIn(Strict):
    source_line: UUID
    quantity: Quantity


class DraftDelivery(Strict):
    type: Literal["delivery"]
    partner: Ref
    source: Ref
    shipping_address: UUID | None = None
    planned_date: date | None = None
    lines: Annotated[list[DeliveryLineIn], Field(min_length=1, max_length=1000)]


def delivery_address(partner: Partner, chosen: UUID | None) -> UUID | None:
    """The chosen address if it is the partner's and one to deliver to; else the default warehouse
    address, else the default shipping address."""
    if chosen is None:
        return default_address(partner, "warehouse") or default_address(partner, "shipping")
    address = partner.addresses.get(chosen)
    if address is None:
        raise Invalid(["body", "shipping_address"], "the address is not one of the partner's")
    if not set(address.usage) & set(DELIVERY_USAGES):
        raise Invalid(["body", "shipping_address"], "the address is neither a warehouse nor a shipping address")
    return chosen


def draft_delivery(cmd: DraftDelivery, ctx: CommandContext) -> Result:
    with named_by("body", "partner"):
        partner = load_partner(ctx, cmd.partner)
    with named_by("body", "source"):
        order = ctx.load_for_update(SalesDocument, load_document(ctx, cmd.source).id)
    if order.terms.partner != partner.id:
        raise Invalid(["body", "source"], "the order belongs to another partner")
    terms = order.terms.model_copy(
        update={
            "shipping_address": delivery_address(partner, cmd.shipping_address),
            "planned_date": cmd.planned_date,
            "issue_date": None,
            "due_date": None,
            "applies_to": None,
            "valid_until": None,
        }
    )
    delivery_id = uuid4()
    wanted = [ConvertedLine(line_id=w.source_line, quantity=w.quantity) for w in cmd.lines]
    lines = order.allot_delivery(delivery_id, wanted)
    delivery = SalesDocument.draft(delivery_id, DocType.DELIVERY, terms, lines, source=order)
    return Result(ctx.save(order, delivery), delivery.id)


class ShipDelivery(Strict):
    document: str
    date: Day | None = None


class DeliverDelivery(Strict):
    document: str
    date: Day | None = None


def _dated_step(
    cmd: ShipDelivery | DeliverDelivery, ctx: CommandContext, step: Callable[[SalesDocument, date], None]
) -> Result:
    """Ships or delivers on the given day (today without one), never a day still to come."""
    delivery = load_document_for_update(ctx, cmd.document)
    on = cmd.date or ctx.today
    not_after_today(ctx, on, "date")
    step(delivery, on)
    return Result(ctx.save(delivery), delivery.id)


def ship_delivery(cmd: ShipDelivery, ctx: CommandContext) -> Result:
    return _dated_step(cmd, ctx, SalesDocument.ship)


def deliver_delivery(cmd: DeliverDelivery, ctx: CommandContext) -> Result:
    return _dated_step(cmd, ctx, SalesDocument.deliver)
