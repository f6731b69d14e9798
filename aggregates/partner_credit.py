"""What limits sales to a partner: a clerk's credit hold, a collection case's block of sales, and
the payment terms a collection level imposes."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from aggregates.base import DomainEvent


class CreditHoldPlaced(DomainEvent):
    TOPIC = "counterparty.partner.CreditHoldPlaced.v1"
    reason: str
    on: date


class CreditHoldLifted(DomainEvent):
    TOPIC = "counterparty.partner.CreditHoldLifted.v1"
    on: date


class SalesBlocked(DomainEvent):
    """A collection level stopped sales to the partner until its case is settled."""

    TOPIC = "counterparty.partner.SalesBlocked.v1"
    case: UUID
    on: date


class SalesUnblocked(DomainEvent):
    TOPIC = "counterparty.partner.SalesUnblocked.v1"
    case: UUID
    on: date


class PaymentTermsChangedByCollection(DomainEvent):
    """A collection level's ``set_payment_terms`` gave the partner new payment terms: ``days``
    instead of ``previous_days``, because the ``cases`` reached ``level`` in the run of ``run``."""

    TOPIC = "counterparty.partner.PaymentTermsChangedByCollection.v1"
    days: int
    previous_days: int
    cases: tuple[UUID, ...]
    level: int
    run: date
