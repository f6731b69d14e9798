"""A bank statement line that matched no partner: kept in the log with the reason, so a clerk can
assign it later (once). Lines that match are booked as payments straight away and need no stream
of their own; their payment's id derives from the line's id (``payment_id``), so the consumer and a
clerk can never book one line twice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from uuid import UUID

from aggregates.base import Aggregate, CreatedEvent, DomainEvent, event, natural_id
from aggregates.errors import conflict


class BankLineUnmatched(CreatedEvent):
    TOPIC = "counterparty.bank_line.BankLineUnmatched.v1"
    line: str
    date: dt.date
    amount: Decimal
    currency: str
    reference: str
    partner_code: str | None
    iban: str | None
    reason: str


class BankLineAssigned(DomainEvent):
    TOPIC = "counterparty.bank_line.BankLineAssigned.v1"
    partner: UUID
    payment: UUID
    on: dt.date


class BankLine(Aggregate):
    TOPIC = "counterparty.bank_line.BankLine"

    line: str
    date: dt.date
    amount: Decimal
    currency: str
    reference: str
    reason: str
    payment: UUID | None

    @staticmethod
    def id_for(line: str) -> UUID:
        return natural_id("bank-line", line)

    @staticmethod
    def payment_id(line: str) -> UUID:
        """The id of the payment a line is booked as, by the consumer or by a clerk."""
        return natural_id("bank-line-payment", line)

    @classmethod
    def unmatched(
        cls,
        line: str,
        on: dt.date,
        amount: Decimal,
        currency: str,
        reference: str,
        partner_code: str | None,
        iban: str | None,
        reason: str,
    ) -> BankLine:
        return cls._create(
            BankLineUnmatched,
            id=cls.id_for(line),
            line=line,
            date=on,
            amount=amount,
            currency=currency,
            reference=reference,
            partner_code=partner_code,
            iban=iban,
            reason=reason,
        )

    @event(BankLineUnmatched)
    def _unmatched(
        self,
        line: str,
        date: dt.date,
        amount: Decimal,
        currency: str,
        reference: str,
        reason: str,
    ) -> None:
        self.line = line
        self.date = date
        self.amount = amount
        self.currency = currency
        self.reference = reference
        self.reason = reason
        self.payment = None

    def assign(self, partner: UUID, on: dt.date) -> UUID:
        """Books the line for ``partner``; answers the payment's id."""
        if self.payment is not None:
            raise conflict("already_assigned", f"bank line {self.line} is already booked as payment {self.payment}")
        self._assigned(partner=partner, payment=self.payment_id(self.line), on=on)
        return self.payment_id(self.line)

    @event(BankLineAssigned)
    def _assigned(self, payment: UUID) -> None:
        self.payment = payment
