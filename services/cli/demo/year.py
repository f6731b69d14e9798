"""The sales year: quotes, orders, invoices, credit notes, payments, recurring invoices, dunning,
requests and activities, made through the commands while the manual clock walks forward a few
days at a time up to ``end``. Every decision comes from a seeded generator, and whatever happens
later is put on the agenda for the day it is due, so each step first collects what the recurring
invoices made, then does what fell due and then what is new. The day jobs run on their own as
the clock passes each day start: quotes expire, recurring invoices are made, dunning runs."""

from __future__ import annotations

import random
from datetime import date, time, timedelta
from decimal import Decimal

from sqlalchemy import case, func, select

from commands.documents import QuoteSettings, set_quote_settings
from services.cli.demo.activities import Activities
from services.cli.demo.collection import collection_summary, define_collection
from services.cli.demo.context import SEED, SUPERVISOR, Agenda, Demo
from services.cli.demo.market import Year, cents, choose_customers
from services.cli.demo.payments import Payments
from services.cli.demo.plans import Plan
from services.cli.demo.recurring import Recurring
from services.cli.demo.selling import Selling
from services.cli.demo.service_desk import ServiceDesk

SALES_SEED = SEED + 365


class SalesYear:
    def __init__(self, demo: Demo, plans: list[Plan], end: date) -> None:
        self.demo = demo
        self.start = demo.today()
        rng = random.Random(SALES_SEED)
        self.year = Year(demo, rng, Agenda(demo.today), choose_customers(plans, rng), end)
        self.payments = Payments(self.year)
        self.selling = Selling(self.year, self.payments)
        self.recurring = Recurring(self.year, self.payments)
        self.desk = ServiceDesk(self.year)
        self.activities = Activities(self.year)

    def steps(self) -> list[date]:
        days = []
        day = self.demo.today()
        while day < self.year.end:
            day = min(self.year.end, day + timedelta(days=self.year.rng.randint(2, 5)))
            days.append(day)
        return days

    def walk(self) -> str:
        demo, rng = self.demo, self.year.rng
        steps = self.steps()
        task = demo.bar.add_task("Sales year", total=len(steps))
        if steps:
            demo.run(set_quote_settings, QuoteSettings(order_on_accept=False), SUPERVISOR)
            define_collection(demo)
            self.recurring.create_templates()
            self.desk.plan()
            self.activities.plan()
        previous = demo.today()
        for day in steps:
            demo.tick(day, time(rng.randint(8, 16), rng.randint(0, 59)))
            self.recurring.collect()
            self.year.agenda.run_due(day)
            self.selling.new_business((day - previous).days)
            previous = day
            demo.bar.advance(task)
        demo.container.runner.drain()
        demo.bar.update(task, description="Sales year loaded")
        return self.summary(len(steps))

    def summary(self, steps: int) -> str:
        today = self.demo.today()
        catalog, engine = self.demo.container.catalog, self.demo.container.engine
        docs = catalog.table("documents", "documents")
        items, movements = catalog.table("receivables", "items"), catalog.table("receivables", "movements")
        with engine.connect() as conn:
            statuses = conn.execute(
                select(docs.c.type, docs.c.status, func.count()).group_by(docs.c.type, docs.c.status)
            ).all()
            open_items, overdue = conn.execute(
                select(
                    func.coalesce(func.sum(items.c.open_amount), 0),
                    func.coalesce(func.sum(case((items.c.due_date < today, items.c.open_amount), else_=0)), 0),
                ).where(items.c.status == "open")
            ).one()
            unapplied = conn.execute(select(func.coalesce(func.sum(movements.c.unapplied), 0))).scalar_one()
        issued: dict[str, int] = {}
        quotes: dict[str, int] = {}
        for doc_type, status, n in statuses:
            if status not in ("draft", "cancelled"):
                issued[doc_type] = issued.get(doc_type, 0) + n
            if doc_type == "quote":
                quotes[status] = n
        accepted = sum(quotes.get(s, 0) for s in ("accepted", "partially_ordered", "ordered"))
        balance = Decimal(open_items) - Decimal(unapplied)
        r, p, s = self.recurring.counts, self.payments.counts, self.selling.counts
        return (
            f"sales year {self.start} → {today} in {steps} steps: "
            f"{issued.get('quote', 0)} quotes ({accepted} accepted, {quotes.get('refused', 0)} refused, "
            f"{quotes.get('expired', 0)} expired), {issued.get('order', 0)} orders, "
            f"{issued.get('invoice', 0)} invoices ({r['recurring']} from {r['templates']} recurring templates, "
            f"{r['suspended']} suspended), {issued.get('credit_note', 0)} credit notes, {p['payments']} payments "
            f"({p['overpayments']} overpaid), {p['disputes']} disputes, {p['promises']} promises, "
            f"{p['graces']} grace periods; "
            f"{s['credit_limit'] + s['credit_stop']} order confirmations refused by credit control "
            f"({s['credit_limit']} credit_limit, {s['credit_stop']} credit_stop; {s['cancelled']} orders cancelled); "
            f"open balance {cents(balance)} EUR ({cents(Decimal(open_items))} open, "
            f"{cents(Decimal(overdue))} overdue, {cents(Decimal(unapplied))} unapplied credit); "
            f"{collection_summary(self.demo)}; {self.desk.summary()}; {self.activities.summary()}"
        )
