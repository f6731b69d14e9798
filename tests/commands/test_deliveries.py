"""Deliveries from a confirmed order, on the in-memory store: the address a note goes to, the
quantities an order has left to deliver (cancelled notes give theirs back), and the steps from
planned to shipped and delivered, each a named event."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from aggregates.code_claim import CodeClaimed
from aggregates.delivery import (
    DeliveryAllotted,
    DeliveryCancelled,
    DeliveryDelivered,
    DeliveryPlanned,
    DeliveryReleased,
    DeliveryShipped,
)
from aggregates.errors import Conflict, Invalid
from aggregates.number_series import NumberDrawn, SeriesOpened
from aggregates.sales_document import SalesDocument
from aggregates.sales_document_events import DocumentDrafted
from aggregates.sales_document_values import DocStatus
from commands.deliveries import (
    DeliverDelivery,
    DeliveryLineIn,
    DraftDelivery,
    ShipDelivery,
    deliver_delivery,
    draft_delivery,
    ship_delivery,
)
from commands.documents import (
    CancelDocument,
    DraftDocument,
    IssueDocument,
    LineIn,
    cancel_document,
    draft_document,
    issue_document,
)
from commands.partners import AddAddress, RegisterPartner, add_address, register_partner
from tests.gwt import like
from tests.gwt_commands import Flow

D = Decimal
JAN_15 = date(2026, 1, 15)


def register(flow: Flow, code: str) -> UUID:
    result = flow.given_command(register_partner, RegisterPartner(name=f"{code} Ltd", code=code))
    assert result.id is not None
    return result.id


def address(flow: Flow, partner: str, *usage: str, default: bool = True) -> UUID:
    cmd = AddAddress(partner=partner, usage=list(usage), street=f"{usage[0]} road 1", is_default=default)
    result = flow.given_command(add_address, cmd)
    assert result.id is not None
    return result.id


def confirmed_order(flow: Flow, partner: str) -> SalesDocument:
    lines = [
        LineIn(product="BOLT", quantity=D("10"), unit_price=D("2.00")),
        LineIn(product="NUT", quantity=D("4"), unit_price=D("1.00")),
    ]
    order = flow.given_command(draft_document, DraftDocument(type="order", partner=partner, lines=lines)).id
    flow.given_command(issue_document, IssueDocument(document=str(order)))
    return flow.load(SalesDocument, order)


def lines_of(order: SalesDocument) -> list[UUID]:
    return list(order.lines)


def delivery(partner: str, order: SalesDocument, *quantities: str, **fields: Any) -> DraftDelivery:
    lines = [
        DeliveryLineIn(source_line=lid, quantity=D(q)) for lid, q in zip(lines_of(order), quantities, strict=False)
    ]
    return DraftDelivery(type="delivery", partner=partner, source=str(order.id), lines=lines, **fields)


@pytest.fixture
def flow() -> Flow:
    return Flow(today=JAN_15)


def test_a_delivery_goes_to_the_default_warehouse_and_takes_its_quantities_from_the_order(flow: Flow) -> None:
    register(flow, "ACME")
    address(flow, "ACME", "shipping")
    warehouse = address(flow, "ACME", "warehouse")
    order = confirmed_order(flow, "ACME")
    bolt, nut = lines_of(order)

    flow.when(draft_delivery, delivery("ACME", order, "6", "4", planned_date=date(2026, 1, 20)))

    allotted, drafted = flow.then(DeliveryAllotted, DocumentDrafted)
    assert [(w.line_id, w.quantity) for w in allotted.lines] == [(bolt, D("6")), (nut, D("4"))]  # type: ignore[attr-defined]
    assert (drafted.terms.shipping_address, drafted.terms.planned_date) == (warehouse, date(2026, 1, 20))  # type: ignore[attr-defined]
    assert [(line.source_line, line.quantity) for line in drafted.lines] == [(bolt, D("6")), (nut, D("4"))]  # type: ignore[attr-defined]
    order = flow.load(SalesDocument, order.id)
    assert (order.remaining_to_deliver(bolt), order.remaining_to_deliver(nut)) == (D("4"), D("0"))


def test_without_a_warehouse_the_default_shipping_address_is_used(flow: Flow) -> None:
    register(flow, "ACME")
    shipping = address(flow, "ACME", "shipping")
    order = confirmed_order(flow, "ACME")

    flow.when(draft_delivery, delivery("ACME", order, "1"))

    assert flow.then(DeliveryAllotted, DocumentDrafted)[1].terms.shipping_address == shipping  # type: ignore[attr-defined]


def test_more_than_is_left_to_deliver_is_over_delivery_and_a_cancelled_note_gives_it_back(flow: Flow) -> None:
    register(flow, "ACME")
    order = confirmed_order(flow, "ACME")
    bolt = lines_of(order)[0]
    first = flow.given_command(draft_delivery, delivery("ACME", order, "7")).id

    flow.when(draft_delivery, delivery("ACME", order, "4"))
    flow.then_raises(Conflict, "over_delivery")

    flow.when(cancel_document, CancelDocument(document=str(first), reason="wrong truck"))
    flow.then(
        like(DeliveryCancelled, reason="wrong truck", on=JAN_15),
        like(DeliveryReleased, delivery=first),
    )
    assert flow.load(SalesDocument, order.id).remaining_to_deliver(bolt) == D("10")

    flow.when(draft_delivery, delivery("ACME", order, "10"))
    flow.then(DeliveryAllotted, DocumentDrafted)


def test_a_delivery_is_planned_shipped_and_delivered_with_its_dates(flow: Flow) -> None:
    register(flow, "ACME")
    order = confirmed_order(flow, "ACME")
    note = flow.given_command(draft_delivery, delivery("ACME", order, "5", planned_date=date(2026, 1, 16))).id

    flow.when(issue_document, IssueDocument(document=str(note)))
    flow.then(
        like(DeliveryPlanned, number="DN2601-0001", issue_date=JAN_15, planned_date=date(2026, 1, 16), order=order.id),
        like(SeriesOpened, series="delivery", mask="DN{yy}{mm}-{0000}"),
        NumberDrawn,
        CodeClaimed,
    )

    flow.on(date(2026, 1, 17)).when(ship_delivery, ShipDelivery(document="DN2601-0001", date=date(2026, 1, 16)))
    flow.then(like(DeliveryShipped, on=date(2026, 1, 16)))

    flow.when(deliver_delivery, DeliverDelivery(document="DN2601-0001"))
    flow.then(like(DeliveryDelivered, on=date(2026, 1, 17)))
    assert flow.load(SalesDocument, note).status is DocStatus.DELIVERED

    flow.when(cancel_document, CancelDocument(document=str(note)))
    flow.then_raises(Conflict, "not_cancellable")


def test_a_delivery_is_shipped_before_it_is_delivered_and_not_before_it_was_issued(flow: Flow) -> None:
    register(flow, "ACME")
    order = confirmed_order(flow, "ACME")
    note = str(flow.given_command(draft_delivery, delivery("ACME", order, "5")).id)
    flow.given_command(issue_document, IssueDocument(document=note))

    flow.when(deliver_delivery, DeliverDelivery(document=note))
    flow.then_raises(Conflict, "delivery_not_shipped")
    flow.when(ship_delivery, ShipDelivery(document=note, date=date(2026, 1, 14)))
    assert flow.then_raises(Invalid).errors[0]["loc"] == ["body", "date"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"foreign_line": True}, ["body", "lines", 0, "source_line"]),
        ({"tax_address": True}, ["body", "shipping_address"]),
        ({"other_partner_address": True}, ["body", "shipping_address"]),
    ],
)
def test_bad_lines_and_addresses_are_refused_at_their_field(
    flow: Flow, change: dict[str, bool], field: list[Any]
) -> None:
    register(flow, "ACME")
    register(flow, "OTHER")
    tax = address(flow, "ACME", "tax")
    foreign = address(flow, "OTHER", "warehouse")
    order = confirmed_order(flow, "ACME")
    other_order = confirmed_order(flow, "OTHER")
    cmd = delivery("ACME", order, "1")
    if change.get("foreign_line"):
        cmd = cmd.model_copy(update={"lines": [DeliveryLineIn(source_line=lines_of(other_order)[0], quantity=D("1"))]})
    if change.get("tax_address"):
        cmd = cmd.model_copy(update={"shipping_address": tax})
    if change.get("other_partner_address"):
        cmd = cmd.model_copy(update={"shipping_address": foreign})

    flow.when(draft_delivery, cmd)

    assert flow.then_raises(Invalid).errors[0]["loc"] == field


def test_a_draft_order_delivers_nothing(flow: Flow) -> None:
    register(flow, "ACME")
    lines = [LineIn(product="BOLT", quantity=D("10"), unit_price=D("2.00"))]
    draft = flow.given_command(draft_document, DraftDocument(type="order", partner="ACME", lines=lines)).id

    flow.when(draft_delivery, delivery("ACME", flow.load(SalesDocument, draft), "1"))

    flow.then_raises(Conflict, "order_not_confirmed")
