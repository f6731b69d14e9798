"""A payment received from a partner. Where its money went is recorded on the partner's account
in the same transaction (``PaymentAllocated``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from uuid import UUID

from aggregates.base import Aggregate, CreatedEvent, event


class PaymentReceived(CreatedEvent):
    TOPIC = "counterparty.payment.PaymentReceived.v1"
    number: str
    partner: UUID
    amount: Decimal
    currency: str
    date: dt.date
    reference: str


class Payment(Aggregate):
    TOPIC = "counterparty.payment.Payment"

    number: str
    partner: UUID
    amount: Decimal
    currency: str
    date: dt.date
    reference: str

    @classmethod
    def receive(
        cls,
        id: UUID,
        number: str,
        partner: UUID,
        amount: Decimal,
        currency: str,
        on: dt.date,
        reference: str,
    ) -> Payment:
        return cls._create(
            PaymentReceived,
            id=id,
            number=number,
            partner=partner,
            amount=amount,
            currency=currency,
            date=on,
            reference=reference,
        )

    @event(PaymentReceived)
    def _received(
        self, number: str, partner: UUID, amount: Decimal, currency: str, date: dt.date, reference: str
    ) -> None:
        self.number = number
        self.partner = partner
        self.amount = amount
        self.currency = currency
        self.date = date
        self.reference = reference
