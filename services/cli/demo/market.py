"""Who buys during the sales year, at which VAT, and what the year's chapters share: the demo, the
sales generator, the agenda, the customers and the last day."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from commands.documents import DraftDocument, draft_document
from services.cli.demo.context import ACTOR, EUR, Agenda, Demo
from services.cli.demo.plans import Plan
from services.cli.demo.reference import REDUCED_DE, SALES, TAX_RATES, Product

CENTS = Decimal("0.01")
VAT = SALES["vat"]
# Payment habits: share of the customers and (first, last) days after the due date they pay.
PAYERS = {"prompt": (35, (-12, -3)), "normal": (40, (-4, 6)), "late": (18, (10, 55)), "slow": (7, (35, 110))}
WEIGHTS = {"G-VIP": 3.5, "G-WHOLESALE": 2.2, "G-PUBLIC": 1.3, "G-RETAIL": 1.4}  # how much a group buys


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENTS, rounding=ROUND_HALF_UP)


@dataclass
class Customer:
    """A customer or prospect who buys during the sales year."""

    ref: str
    plan: Plan
    weight: float
    payer: str
    held: bool
    buyer: bool  # a customer (a prospect becomes one with its first accepted quote or order)

    @property
    def person(self) -> bool:
        return self.plan.kind == "person"

    @property
    def rep(self) -> str:
        command = self.plan.command
        return command.sales_reps[0] if command and command.sales_reps else ACTOR


@dataclass
class Invoice:
    id: str
    customer: Customer
    number: str
    total: Decimal
    issued: date
    due: date


@dataclass
class Year:
    """What the chapters of the sales year share."""

    demo: Demo
    rng: random.Random  # the sales generator: the chapters draw from it in turn, always in the same order
    agenda: Agenda
    customers: list[Customer]
    end: date  # the walk's last day


class LateChapter:
    """A chapter of the walk's last weeks with a generator of its own, so that the sales figures
    stay as they are."""

    def __init__(self, year: Year) -> None:
        self.demo = year.demo
        self.agenda = year.agenda
        self.customers = year.customers
        self.end = year.end

    def first_day(self, window: int) -> date:
        """The first day of the walk's last ``window`` days, tomorrow at the earliest."""
        return max(self.demo.today() + timedelta(days=1), self.end - timedelta(days=window))


def choose_customers(plans: list[Plan], rng: random.Random) -> list[Customer]:
    """The registered customers and prospects, each with how much it buys and how it pays."""
    payers = list(PAYERS)
    shares = [PAYERS[p][0] for p in payers]
    result = []
    for plan in plans:
        command = plan.command
        if command is None or plan.kind == "duplicate" or not plan.ref:
            continue
        roles = {r.value for r in command.roles}
        if not roles & {"customer", "prospect"}:
            continue
        weight = WEIGHTS.get(command.group or "", 1.0)
        if plan.kind == "person":
            weight = 0.45
        if "customer" not in roles:
            weight *= 0.7
        payer = rng.choices(payers, shares)[0]
        if plan.kind == "public" and payer == "prompt":
            payer = "normal"  # public bodies take their time
        result.append(Customer(plan.ref, plan, weight, payer, plan.held, "customer" in roles))
    return result


def tax_rate(customer: Customer, item: Product) -> Decimal:
    code = customer.plan.country.code
    if code == "DE" and item.reduced:
        return REDUCED_DE
    return TAX_RATES.get(code, Decimal("0"))


def vat_note(customer: Customer) -> str:
    """Why a document to a customer abroad charges no VAT."""
    code = customer.plan.country.code
    if code in TAX_RATES:
        return ""
    return VAT["export_note"] if code in VAT["outside_eu"] else VAT["intra_community_note"]


def draft(demo: Demo, doc_type: str, customer: Customer, lines: list[dict[str, Any]], **terms: Any) -> str:
    """A draft document in euros, by the customer's sales rep."""
    command = DraftDocument.model_validate(
        {
            "type": doc_type,
            "partner": customer.ref,
            "currency": EUR,
            "notes_public": vat_note(customer),
            "lines": lines,
            **terms,
        }
    )
    return str(demo.run(draft_document, command, customer.rep).id)
