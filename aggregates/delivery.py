"""Deliveries: what an order has allotted to delivery notes, and a delivery note's steps from
planned to shipped and delivered (API.md, "Deliveries, balance confirmations and interest notes").

A delivery note is a sales document of type ``delivery`` drafted from an order: its lines copy the
order's and name them as ``source_line``. The order keeps, per line, the quantity allotted to
deliveries that are not cancelled, so that two deliveries drafted at once can never pass it.
``SalesDocument`` inherits these steps; they live here to keep each module to one room."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from aggregates.base import Aggregate, DomainEvent, event, natural_id
from aggregates.errors import Invalid, conflict
from aggregates.money import ZERO
from aggregates.sales_document_values import ConvertedLine, DocStatus, DocType, DocumentTerms, Line, Link

DELIVERABLE = (DocStatus.CONFIRMED, DocStatus.PARTIALLY_INVOICED, DocStatus.INVOICED)


class DeliveryAllotted(DomainEvent):
    """On the order: these quantities of its lines go out with delivery note ``delivery``."""

    TOPIC = "counterparty.document.DeliveryAllotted.v1"
    delivery: UUID
    lines: tuple[ConvertedLine, ...]


class DeliveryReleased(DomainEvent):
    """On the order: the delivery note was cancelled, its quantities are to deliver again."""

    TOPIC = "counterparty.document.DeliveryReleased.v1"
    delivery: UUID
    lines: tuple[ConvertedLine, ...]


class DeliveryPlanned(DomainEvent):
    """The delivery note was numbered: it goes to ``address`` on ``planned_date``."""

    TOPIC = "counterparty.document.DeliveryPlanned.v1"
    partner: UUID
    number: str
    issue_date: date
    planned_date: date | None
    address: UUID | None
    order: UUID | None


class DeliveryShipped(DomainEvent):
    TOPIC = "counterparty.document.DeliveryShipped.v1"
    partner: UUID
    on: date


class DeliveryDelivered(DomainEvent):
    TOPIC = "counterparty.document.DeliveryDelivered.v1"
    partner: UUID
    on: date


class DeliveryCancelled(DomainEvent):
    TOPIC = "counterparty.document.DeliveryCancelled.v1"
    partner: UUID
    reason: str
    on: date


class DeliverySteps(Aggregate):
    """The delivery behaviour of a sales document (an order's allotments, a note's steps)."""

    doc_type: DocType
    terms: DocumentTerms
    lines: dict[UUID, Line]
    status: DocStatus
    number: str | None
    issue_date: date | None
    links: list[Link]
    delivered: dict[UUID, Decimal]
    allotments: dict[UUID, tuple[ConvertedLine, ...]]
    shipped_on: date | None
    delivered_on: date | None

    @property
    def source(self) -> UUID | None:
        return next((link.document for link in self.links if link.rel == "source"), None)

    # -- the order ------------------------------------------------------------------------------

    def remaining_to_deliver(self, line_id: UUID) -> Decimal:
        return self.lines[line_id].quantity - self.delivered.get(line_id, ZERO)

    def allot_delivery(self, delivery: UUID, wanted: list[ConvertedLine]) -> list[Line]:
        """Checks and records the quantities a delivery note takes; returns the note's lines."""
        if self.doc_type is not DocType.ORDER:
            raise Invalid(["body", "source"], f"a delivery is drafted from an order, not a {self.doc_type.value}")
        if self.status not in DELIVERABLE:
            raise conflict("order_not_confirmed", f"the order is {self.status.value}; only confirmed orders deliver")
        seen: set[UUID] = set()
        for i, w in enumerate(wanted):
            if w.line_id not in self.lines:
                raise Invalid(["body", "lines", i, "source_line"], f"line {w.line_id} is not on the order")
            if w.line_id in seen:
                raise Invalid(["body", "lines", i, "source_line"], f"line {w.line_id} is listed twice")
            seen.add(w.line_id)
            if w.quantity <= 0:
                raise Invalid(["body", "lines", i, "quantity"], "a delivered quantity must be positive")
            left = self.remaining_to_deliver(w.line_id)
            if w.quantity > left:
                raise conflict("over_delivery", f"line {w.line_id}: {w.quantity} asked, {left} left to deliver")
        self._delivery_allotted(delivery=delivery, lines=tuple(wanted))
        result = []
        for w in wanted:
            fields = self.lines[w.line_id].model_dump(exclude={"line_id", "net", "tax", "cost", "source_line"})
            result.append(
                Line.priced(
                    **{**fields, "quantity": w.quantity},
                    line_id=natural_id("document-line", delivery, w.line_id),
                    source_line=w.line_id,
                )
            )
        return result

    @event(DeliveryAllotted)
    def _delivery_allotted(self, delivery: UUID, lines: tuple[ConvertedLine, ...]) -> None:
        for w in lines:
            self.delivered[w.line_id] = self.delivered.get(w.line_id, ZERO) + w.quantity
        self.allotments[delivery] = lines
        self.links.append(Link(rel="derived", document=delivery, type=DocType.DELIVERY))

    def release_delivery(self, delivery: UUID) -> None:
        lines = self.allotments.get(delivery)
        if lines is not None:
            self._delivery_released(delivery=delivery, lines=lines)

    @event(DeliveryReleased)
    def _delivery_released(self, delivery: UUID, lines: tuple[ConvertedLine, ...]) -> None:
        for w in lines:
            self.delivered[w.line_id] -= w.quantity
        del self.allotments[delivery]

    # -- the delivery note ----------------------------------------------------------------------

    def plan(self, number: str, issue_date: date) -> None:
        self._planned(
            partner=self.terms.partner,
            number=number,
            issue_date=issue_date,
            planned_date=self.terms.planned_date,
            address=self.terms.shipping_address,
            order=self.source,
        )

    @event(DeliveryPlanned)
    def _planned(self, number: str, issue_date: date) -> None:
        self.number = number
        self.issue_date = issue_date
        self.status = DocStatus.PLANNED

    def ship(self, on: date) -> None:
        if self.doc_type is not DocType.DELIVERY:
            raise conflict("wrong_document_type", f"this applies to a delivery, not a {self.doc_type.value}")
        if self.status is not DocStatus.PLANNED:
            raise conflict("delivery_not_planned", f"the delivery is {self.status.value}; only a planned one ships")
        if self.issue_date is not None and on < self.issue_date:
            raise Invalid(["body", "date"], f"the delivery was issued on {self.issue_date.isoformat()}")
        self._shipped(partner=self.terms.partner, on=on)

    @event(DeliveryShipped)
    def _shipped(self, on: date) -> None:
        self.shipped_on = on
        self.status = DocStatus.SHIPPED

    def deliver(self, on: date) -> None:
        if self.doc_type is not DocType.DELIVERY:
            raise conflict("wrong_document_type", f"this applies to a delivery, not a {self.doc_type.value}")
        if self.status is not DocStatus.SHIPPED:
            raise conflict("delivery_not_shipped", f"the delivery is {self.status.value}; only a shipped one arrives")
        if self.shipped_on is not None and on < self.shipped_on:
            raise Invalid(["body", "date"], f"the delivery was shipped on {self.shipped_on.isoformat()}")
        self._delivered(partner=self.terms.partner, on=on)

    @event(DeliveryDelivered)
    def _delivered(self, on: date) -> None:
        self.delivered_on = on
        self.status = DocStatus.DELIVERED

    def cancel_delivery(self, reason: str, on: date) -> None:
        if self.status is DocStatus.CANCELLED:
            return
        if self.status not in (DocStatus.DRAFT, DocStatus.PLANNED):
            raise conflict("not_cancellable", f"a {self.status.value} delivery cannot be cancelled")
        self._delivery_cancelled(partner=self.terms.partner, reason=reason, on=on)

    @event(DeliveryCancelled)
    def _delivery_cancelled(self, reason: str, on: date) -> None:
        self.status = DocStatus.CANCELLED
