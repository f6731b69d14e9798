"""Selling through the sales year: the reps quote to customers and prospects, more in the busy
months; a quote is accepted, refused or left to expire; an accepted quote becomes an order
(confirmed unless credit control refuses it), delivered and invoiced, some in two parts; and some
spare parts, service hours and training are invoiced directly. Each delivery of an order has its
delivery note to the customer's warehouse (or shipping) address: planned when the order is
confirmed (or the first part leaves), shipped on the day and delivered a few days later, so the
last weeks' notes are still planned or on their way."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from aggregates.errors import Conflict
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
    AcceptQuote,
    CancelDocument,
    ConvertDocument,
    IssueDocument,
    LineQuantity,
    RefuseQuote,
    accept_quote,
    cancel_document,
    convert_document,
    issue_document,
    refuse_quote,
)
from services.cli.demo.context import FINANCE
from services.cli.demo.market import Customer, Year, draft, tax_rate
from services.cli.demo.payments import Payments
from services.cli.demo.reference import CATALOGUE, FREIGHT, SALES, Product
from services.cli.demo.seasons import Seasons

REFUSALS = SALES["reasons"]["refusals"]
SEASON = {1: 0.9, 2: 1.0, 3: 1.2, 4: 1.2, 5: 1.1, 6: 1.0, 7: 0.8, 8: 0.6, 9: 1.1, 10: 1.2, 11: 1.1, 12: 0.7}
QUOTES_PER_YEAR = 1.6  # per customer or prospect
INVOICES_PER_YEAR = 0.55  # invoiced directly, without a quote, per customer


class Selling:
    def __init__(self, year: Year, payments: Payments) -> None:
        self.demo = year.demo
        self.rng = year.rng
        self.agenda = year.agenda
        self.customers = year.customers
        self.payments = payments
        self.seasons = Seasons(year.demo)
        self.counts = {"credit_limit": 0, "credit_stop": 0, "cancelled": 0}  # order confirmations refused

    def new_business(self, days: int) -> None:
        """The quotes and direct invoices of ``days`` days, as many as the season brings."""
        rng = self.rng
        factor = SEASON[self.demo.today().month] * days / 365
        weights = [c.weight for c in self.customers]
        expected = QUOTES_PER_YEAR * len(self.customers) * factor
        for customer in rng.choices(self.customers, weights, k=self.count(expected)):
            self.new_quote(customer)
        buyers = [c for c in self.customers if c.buyer and not c.held]
        if buyers:
            expected = INVOICES_PER_YEAR * len(buyers) * factor
            for customer in rng.choices(buyers, [c.weight for c in buyers], k=self.count(expected)):
                self.direct_invoice(customer)

    def count(self, expected: float) -> int:
        whole = int(expected)
        return whole + (1 if self.rng.random() < expected - whole else 0)

    def line(self, customer: Customer, item: Product, campaign: str | None) -> dict[str, Any]:
        rng = self.rng
        group = customer.plan.command.group if customer.plan.command else None
        quantity = rng.randint(*item.quantities)
        if customer.person:
            quantity = max(1, quantity // 4)
        elif group == "G-VIP":
            quantity *= rng.choice((1, 2, 2, 3))
        if group == "G-VIP":
            discount = rng.choice((5, 8, 10, 12))
        elif group == "G-WHOLESALE":
            discount = rng.choice((0, 3, 5, 5, 8))
        elif group == "G-PUBLIC":
            discount = rng.choice((0, 0, 3))
        else:
            discount = rng.choices((0, 2, 3, 5), (70, 10, 10, 10))[0]
        if campaign and item is not FREIGHT:
            discount += 5
        return {
            "product": item.code,
            "description": item.description,
            "quantity": str(quantity),
            "unit_price": str(item.price),
            "discount_percent": str(discount if item is not FREIGHT else 0),
            "tax_rate": str(tax_rate(customer, item)),
            "unit_cost": str(item.cost),
        }

    def lines(self, customer: Customer, campaign: str | None, few: int = 2, many: int = 6) -> list[dict[str, Any]]:
        rng = self.rng
        top = min(many, 3) if customer.person else many
        count = rng.randint(few, max(few, top))
        items = rng.sample(CATALOGUE, count)
        if rng.random() < 0.4 and count < many:
            items.append(FREIGHT)
        lines = [self.line(customer, item, campaign) for item in items]
        command = customer.plan.command
        limit = command.credit_limit if command is not None and command.credit_check else None
        if limit:
            # The rep sizes the offer to the customer: mostly well within the credit limit.
            self.fit(lines, limit * Decimal(rng.choice((15, 25, 35, 45, 60))) / 100, few)
        return lines

    @staticmethod
    def fit(lines: list[dict[str, Any]], budget: Decimal, few: int) -> None:
        """Scales the quantities down (and drops the dearest lines) until the net fits the budget."""

        def net(line: dict[str, Any]) -> Decimal:
            price = Decimal(line["quantity"]) * Decimal(line["unit_price"])
            return price * (100 - Decimal(line["discount_percent"])) / 100

        total = sum((net(line) for line in lines), Decimal(0))
        if total <= budget:
            return
        factor = budget / total
        for line in lines:
            if line["product"] != FREIGHT.code:
                line["quantity"] = str(max(1, int(Decimal(line["quantity"]) * factor)))
        while len(lines) > few and sum((net(line) for line in lines), Decimal(0)) > budget:
            lines.remove(max(lines, key=net))

    def new_quote(self, customer: Customer) -> None:
        rng = self.rng
        today = self.demo.today()
        validity = rng.randint(14, 28)
        campaign = self.seasons.promotion(today) if rng.random() < 0.25 else None
        quote = draft(
            self.demo,
            "quote",
            customer,
            self.lines(customer, campaign),
            valid_until=(today + timedelta(days=validity)).isoformat(),
            campaign=campaign,
        )
        self.demo.run(issue_document, IssueDocument(document=quote), customer.rep)
        roll = rng.random()
        if roll < 0.55:
            self.agenda.later(rng.randint(2, validity - 6), lambda day: self.accept(customer, quote))
        elif roll < 0.75:
            self.agenda.later(rng.randint(3, validity - 6), lambda day: self.refuse(customer, quote))
        # else: nobody answers and the quote expires at a day start after its valid_until

    def accept(self, customer: Customer, quote: str) -> None:
        self.demo.run(accept_quote, AcceptQuote(document=quote), customer.rep)
        customer.buyer = True
        partial = self.rng.random() < 0.2
        self.agenda.later(self.rng.randint(1, 6), lambda day: self.order(customer, quote, partial))

    def refuse(self, customer: Customer, quote: str) -> None:
        self.demo.run(refuse_quote, RefuseQuote(document=quote, reason=self.rng.choice(REFUSALS)), customer.rep)

    def part_of(self, document: str) -> list[LineQuantity] | None:
        """About half of what remains of a document's lines, or None when it cannot be split."""
        source = self.demo.get(document)
        remaining = [(lid, q) for lid, q in source.remaining.items() if q > 0]
        if len(remaining) > 1:
            return [LineQuantity(line_id=lid, quantity=q) for lid, q in remaining[: len(remaining) // 2]]
        if remaining and remaining[0][1] >= 2:
            lid, q = remaining[0]
            return [LineQuantity(line_id=lid, quantity=Decimal(int(q) // 2))]
        return None

    def order(self, customer: Customer, quote: str, partial: bool) -> None:
        """Converts the accepted quote to an order (some in two deliveries) and confirms it."""
        lines = self.part_of(quote) if partial else None
        order = str(self.demo.run(convert_document, ConvertDocument(document=quote, to="order", lines=lines)).id)
        if lines is not None:
            self.agenda.later(self.rng.randint(14, 35), lambda day: self.order(customer, quote, False))
        self.confirm(customer, order, 0)

    def confirm(self, customer: Customer, order: str, attempt: int) -> None:
        try:
            self.demo.run(issue_document, IssueDocument(document=order), customer.rep)
        except Conflict as refusal:
            if refusal.code not in ("credit_limit", "credit_stop"):
                raise
            if refusal.code == "credit_limit":
                self.counts["credit_limit"] += 1
            else:
                self.counts["credit_stop"] += 1
            if refusal.code == "credit_limit" and attempt == 0:
                # Credit control holds the order until the customer's open invoices are paid.
                self.agenda.later(self.rng.randint(10, 21), lambda day: self.confirm(customer, order, 1))
            else:
                reason = f"Refused by credit control ({refusal.code.replace('_', ' ')})"
                self.demo.run(cancel_document, CancelDocument(document=order, reason=reason), FINANCE)
                self.counts["cancelled"] += 1
            return
        customer.buyer = True
        partial = self.rng.random() < 0.15
        self.schedule_delivery(customer, order, self.part_of(order) if partial else None, self.rng.randint(2, 18))

    def schedule_delivery(self, customer: Customer, order: str, lines: list[LineQuantity] | None, days: int) -> None:
        """Plans the delivery note of ``lines`` (all that is left when None) for ``days`` ahead,
        and delivers it then."""
        source = self.demo.get(order)
        wanted = (
            [DeliveryLineIn(source_line=q.line_id, quantity=q.quantity) for q in lines]
            if lines is not None
            else [
                DeliveryLineIn(source_line=lid, quantity=left)
                for lid in source.lines
                if (left := source.remaining_to_deliver(lid)) > 0
            ]
        )
        planned = self.demo.today() + timedelta(days=days)
        command = DraftDelivery(type="delivery", partner=customer.ref, source=order, planned_date=planned, lines=wanted)
        note = str(self.demo.run(draft_delivery, command, customer.rep).id)
        self.demo.run(issue_document, IssueDocument(document=note), customer.rep)
        self.agenda.later(days, lambda day: self.deliver(customer, order, lines, note))

    def deliver(self, customer: Customer, order: str, lines: list[LineQuantity] | None, note: str) -> None:
        """The goods leave (the customer receives them a few days later) and the order is invoiced;
        after a first part, the rest is planned."""
        self.demo.run(ship_delivery, ShipDelivery(document=note), customer.rep)
        self.agenda.later(self.rng.randint(1, 5), lambda day: self.received(customer, note))
        invoice = str(self.demo.run(convert_document, ConvertDocument(document=order, to="invoice", lines=lines)).id)
        if lines is not None:
            self.schedule_delivery(customer, order, None, self.rng.randint(7, 21))
        self.issue_invoice(customer, invoice)

    def received(self, customer: Customer, note: str) -> None:
        self.demo.run(deliver_delivery, DeliverDelivery(document=note), customer.rep)

    def direct_invoice(self, customer: Customer) -> None:
        """Spare parts, service hours and training, invoiced without a quote."""
        rng = self.rng
        campaign = self.seasons.promotion(self.demo.today()) if rng.random() < 0.1 else None
        invoice = draft(self.demo, "invoice", customer, self.lines(customer, campaign, 1, 4), campaign=campaign)
        self.issue_invoice(customer, invoice)

    def issue_invoice(self, customer: Customer, invoice: str) -> None:
        self.demo.run(issue_document, IssueDocument(document=invoice), customer.rep)
        self.payments.plan_invoice(self.payments.invoice(customer, invoice))
