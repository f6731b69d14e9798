"""What happens to an invoice once it is issued: most are paid (promptly, normally, late or slowly,
as the customer pays; in part, on account or rounded up; collected by direct debit for the
recurring invoices), a few get a credit note, are disputed, get a payment promise or grace."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

from aggregates.account import Account
from commands.documents import (
    DisputeInvoice,
    GrantGrace,
    IssueDocument,
    PromisePayment,
    ResolveDispute,
    dispute_invoice,
    grant_grace,
    issue_document,
    promise_payment,
    resolve_dispute,
)
from commands.payments import ReceivePayment, receive_payment
from services.cli.demo.context import EUR, FINANCE
from services.cli.demo.market import PAYERS, Customer, Invoice, Year, cents, draft
from services.cli.demo.reference import SALES

DISPUTES = SALES["reasons"]["disputes"]


class Payments:
    def __init__(self, year: Year) -> None:
        self.demo = year.demo
        self.rng = year.rng
        self.agenda = year.agenda
        # The rarer events: at most so many are planned (counts say how many happened).
        self.caps = {"disputes": 3, "promises": 5, "graces": 4, "overpayments": 5, "credit_notes": 25}
        self.planned = dict.fromkeys(self.caps, 0)
        self.counts = dict.fromkeys(("payments", "overpayments", "disputes", "promises", "graces"), 0)

    def allowed(self, event: str, chance: float) -> bool:
        """Whether one of the rarer events happens (with this chance, below its cap); if so it
        is planned."""
        if self.rng.random() >= chance or self.planned[event] >= self.caps[event]:
            return False
        self.planned[event] += 1
        return True

    def invoice(self, customer: Customer, invoice: str) -> Invoice:
        document = self.demo.get(invoice)
        return Invoice(invoice, customer, document.number, document.total, document.issue_date, document.due_date)

    def plan_invoice(self, invoice: Invoice, direct_debit: bool = False) -> None:
        """What happens to an invoice: a credit note, a dispute, a promise, grace, and payments."""
        rng = self.rng
        customer = invoice.customer
        if self.allowed("credit_notes", 0.035):
            self.agenda.later(rng.randint(2, 9), lambda day: self.credit_note(invoice))
        if not direct_debit and self.allowed("disputes", 0.02):
            resolved = rng.random() < 0.5
            # Raised once the first reminder came (L1 is 7 days past due), so its case records it.
            self.agenda.at(
                invoice.due + timedelta(days=rng.randint(9, 16)), lambda day: self.dispute(invoice, resolved)
            )
            return
        if direct_debit:
            pay_on = invoice.issued + timedelta(days=rng.randint(3, 8))
        else:
            low, high = PAYERS[customer.payer][1]
            if customer.payer == "slow" and rng.random() < 0.4:
                return  # not paid within the year: it ages
            pay_on = max(invoice.issued + timedelta(days=2), invoice.due + timedelta(days=rng.randint(low, high)))
        if customer.payer in ("late", "slow") and self.allowed("promises", 0.15):
            ask = invoice.due + timedelta(days=rng.randint(7, 15))
            self.agenda.at(ask, lambda day: self.promise(invoice))
            return
        if self.allowed("graces", 0.04):
            self.agenda.at(invoice.due - timedelta(days=3), lambda day: self.grace(invoice))
            return
        partial = rng.random() < 0.08
        allocate = rng.random() > 0.15
        extra = Decimal(0)
        if self.allowed("overpayments", 0.03):
            extra = Decimal(rng.choice((20, 50, 100, 150)))
        share = Decimal(rng.choice((30, 40, 50, 60))) / 100 if partial else None
        self.agenda.at(pay_on, lambda day: self.pay(invoice, day, share, allocate, extra))

    def open_amount(self, invoice: Invoice) -> Decimal:
        account = self.demo.container.store.get(Account.id_for(UUID(invoice.customer.ref)))
        return Decimal(account.open.get(UUID(invoice.id), Decimal(0)))  # type: ignore[attr-defined]

    def pay(self, invoice: Invoice, day: date, share: Decimal | None, allocate: bool, extra: Decimal) -> None:
        """A bank transfer booked with its value date; a share pays part now and the rest later."""
        open_amount = self.open_amount(invoice)
        if open_amount <= 0:
            return  # settled already (a payment on account went to it, or a credit note)
        amount = cents(open_amount * share) if share is not None else open_amount
        reference = f"Invoice {invoice.number}" if allocate else "Payment on account"
        if extra:
            reference = f"Invoice {invoice.number}, rounded up"
        command = ReceivePayment.model_validate(
            {
                "partner": invoice.customer.ref,
                "amount": str(amount + extra),
                "date": day.isoformat(),
                "currency": EUR,
                "reference": reference,
                "allocations": [{"document": invoice.id, "amount": str(amount)}] if allocate or extra else None,
            }
        )
        self.demo.run(receive_payment, command, FINANCE)
        self.counts["payments"] += 1
        self.counts["overpayments"] += 1 if extra else 0
        if share is not None:
            rest = day + timedelta(days=self.rng.randint(20, 50))
            self.agenda.at(rest, lambda later: self.pay(invoice, later, None, True, Decimal(0)))

    def credit_note(self, invoice: Invoice) -> None:
        """Goods sent back, or a price reduction for damaged goods, credited on the invoice."""
        rng = self.rng
        document = self.demo.get(invoice.id)
        line = rng.choice(list(document.lines.values()))
        if line.quantity >= 2 and rng.random() < 0.6:
            quantity = Decimal(max(1, int(line.quantity) // rng.randint(2, 4)))
            credited = {
                "product": line.product,
                "description": f"Returned: {line.description}",
                "quantity": str(quantity),
                "unit_price": str(line.unit_price),
                "discount_percent": str(line.discount_percent),
                "tax_rate": str(line.tax_rate),
                "unit_cost": str(line.unit_cost),
            }
        else:
            reduction = max(Decimal("1.00"), cents(line.net * Decimal(rng.choice((5, 10, 15))) / 100))
            credited = {
                "product": line.product,
                "description": f"Price reduction, damaged on delivery: {line.description}",
                "quantity": "1",
                "unit_price": str(reduction),
                "tax_rate": str(line.tax_rate),
            }
        note = draft(self.demo, "credit_note", invoice.customer, [credited], applies_to=invoice.id)
        self.demo.run(issue_document, IssueDocument(document=note), invoice.customer.rep)

    def dispute(self, invoice: Invoice, resolved: bool) -> None:
        rng = self.rng
        self.demo.run(dispute_invoice, DisputeInvoice(document=invoice.id, reason=rng.choice(DISPUTES)), FINANCE)
        self.counts["disputes"] += 1
        if resolved:
            self.agenda.later(rng.randint(20, 40), lambda day: self.settle_dispute(invoice))

    def settle_dispute(self, invoice: Invoice) -> None:
        """The dispute ends with a credit note for part of the invoice; the rest is paid."""
        self.credit_note(invoice)
        self.demo.run(resolve_dispute, ResolveDispute(document=invoice.id), FINANCE)
        self.agenda.later(self.rng.randint(5, 15), lambda day: self.pay(invoice, day, None, True, Decimal(0)))

    def promise(self, invoice: Invoice) -> None:
        open_amount = self.open_amount(invoice)
        if open_amount <= 0:
            return
        when = self.demo.today() + timedelta(days=self.rng.randint(7, 14))
        self.demo.run(promise_payment, PromisePayment(document=invoice.id, amount=open_amount, date=when), FINANCE)
        self.counts["promises"] += 1
        if self.rng.random() < 0.8:  # most promises are kept
            self.agenda.at(when, lambda day: self.pay(invoice, day, None, True, Decimal(0)))

    def grace(self, invoice: Invoice) -> None:
        until = invoice.due + timedelta(days=self.rng.randint(14, 28))
        self.demo.run(grant_grace, GrantGrace(document=invoice.id, until=until), FINANCE)
        self.counts["graces"] += 1
        pay_on = until - timedelta(days=self.rng.randint(0, 10))
        self.agenda.at(pay_on, lambda day: self.pay(invoice, day, None, True, Decimal(0)))

    # -- recurring invoices ----------------------------------------------------------------------
