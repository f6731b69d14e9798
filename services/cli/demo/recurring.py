"""Recurring invoices: at the start of the sales year a few established customers subscribe to a
maintenance contract, support, an inspection, a rental or licences (data/sales.toml); the day jobs
make their invoices as the clock passes each next date, most of which are collected by direct
debit. The second subscription is suspended half-way through the year."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from uuid import UUID

from commands.recurring_invoices import (
    CreateRecurringInvoice,
    SuspendRecurringInvoice,
    create_recurring_invoice,
    suspend_recurring_invoice,
)
from services.cli.demo.context import EUR, FINANCE
from services.cli.demo.market import Customer, Year, tax_rate
from services.cli.demo.payments import Payments
from services.cli.demo.reference import SALES, Product, tuples


@dataclass(frozen=True)
class Subscription:
    """What a recurring invoice bills: one line, every ``interval`` months, ``max_count`` times."""

    item: Product
    quantities: tuple[int, int] = (1, 1)
    interval: int = 1
    max_count: int | None = None


SERVICES = {entry["code"]: Product.of(entry) for entry in SALES["service"]}
SUBSCRIPTIONS = tuple(
    Subscription(
        SERVICES[entry["service"]],
        tuples(entry.get("quantities", [1, 1])),
        entry.get("interval", 1),
        entry.get("max_count"),
    )
    for entry in SALES["recurring"]["subscriptions"]
)


@dataclass
class Template:
    id: str
    customer: Customer
    seen: int = 0  # invoices already planned for payment


class Recurring:
    def __init__(self, year: Year, payments: Payments) -> None:
        self.demo = year.demo
        self.rng = year.rng
        self.agenda = year.agenda
        self.customers = year.customers
        self.end = year.end
        self.payments = payments
        self.templates: list[Template] = []
        self.counts = dict.fromkeys(("templates", "recurring", "suspended"), 0)  # recurring: invoices made

    def create_templates(self) -> None:
        rng = self.rng
        candidates = [
            c
            for c in self.customers
            if c.buyer
            and not c.held
            and c.plan.kind in ("org", "public", "child")
            and c.plan.command is not None
            and (c.plan.command.currency or EUR) == EUR
        ]
        wanted = max(4, min(10, len(self.customers) // 22))
        chosen = rng.sample(candidates, min(wanted, len(candidates)))
        for n, customer in enumerate(chosen):
            subscription = SUBSCRIPTIONS[n % len(SUBSCRIPTIONS)]
            item = subscription.item
            first = self.demo.today() + timedelta(days=rng.randint(3, 30))
            command = CreateRecurringInvoice.model_validate(
                {
                    "partner": customer.ref,
                    "lines": [
                        {
                            "product": item.code,
                            "description": item.description,
                            "quantity": str(rng.randint(*subscription.quantities)),
                            "unit_price": str(item.price),
                            "tax_rate": str(tax_rate(customer, item)),
                            "unit_cost": str(item.cost),
                        }
                    ],
                    "frequency": {"unit": "month", "interval": subscription.interval},
                    "next_date": first.isoformat(),
                    "max_count": subscription.max_count,
                    "payment_terms_days": rng.choice((14, 30)),
                }
            )
            template = str(self.demo.run(create_recurring_invoice, command, customer.rep).id)
            self.templates.append(Template(template, customer))
            self.counts["templates"] += 1
            if n == 1:
                halfway = (self.end - self.demo.today()).days // 2
                self.agenda.later(halfway, partial(self.suspend, template))

    def suspend(self, template: str, _day: date) -> None:
        self.demo.run(suspend_recurring_invoice, SuspendRecurringInvoice(template=UUID(template)), FINANCE)
        self.counts["suspended"] += 1

    def collect(self) -> None:
        """Plans the payments of the invoices the templates made at the day starts just run."""
        for template in self.templates:
            made = self.demo.get(template.id).invoices
            for invoice_id in made[template.seen :]:
                self.counts["recurring"] += 1
                invoice = self.payments.invoice(template.customer, str(invoice_id))
                self.payments.plan_invoice(invoice, direct_debit=self.rng.random() < 0.7)
            template.seen = len(made)
