"""A partner's receivables ledger: open items (invoices, fees, interest), payments and credits
allocated to them, and unapplied credit. One stream per partner, so concurrent payments against
one invoice are serialised by the store and can never over-allocate it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import Enum
from uuid import UUID

from aggregates.base import Aggregate, CreatedEvent, DomainEvent, Value, event, natural_id
from aggregates.errors import conflict, not_found
from aggregates.money import ZERO


class ItemKind(Enum):
    INVOICE = "invoice"
    FEE = "fee"
    INTEREST = "interest"


class ItemStatus(Enum):
    OPEN = "open"
    SETTLED = "settled"
    CANCELLED = "cancelled"
    WAIVED = "waived"


class OpenItem(Value):
    item_id: UUID
    kind: ItemKind
    document: UUID | None
    number: str | None
    due_date: date
    amount: Decimal
    currency: str
    booked_on: date


class Allocation(Value):
    item_id: UUID
    amount: Decimal


class Settled(Value):
    """Money that reached an item on a day (``how``: paid or credited): how late an invoice was
    paid, which interest notes charge for."""

    on: date
    amount: Decimal
    how: str


class AccountOpened(CreatedEvent):
    TOPIC = "counterparty.account.AccountOpened.v1"
    partner: UUID


class ReceivableBooked(DomainEvent):
    TOPIC = "counterparty.account.ReceivableBooked.v1"
    partner: UUID
    item: OpenItem


class PaymentAllocated(DomainEvent):
    """A payment's money: what went to which item, and what is left as unapplied credit."""

    TOPIC = "counterparty.account.PaymentAllocated.v1"
    partner: UUID
    payment: UUID
    amount: Decimal
    allocations: tuple[Allocation, ...]
    unapplied: Decimal
    on: date


class CreditNoteAllocated(DomainEvent):
    TOPIC = "counterparty.account.CreditNoteAllocated.v1"
    partner: UUID
    credit_note: UUID
    amount: Decimal
    allocations: tuple[Allocation, ...]
    unapplied: Decimal
    on: date


class UnappliedCreditUsed(DomainEvent):
    """Earlier unapplied credit consumed by an item booked later."""

    TOPIC = "counterparty.account.UnappliedCreditUsed.v1"
    partner: UUID
    allocations: tuple[Allocation, ...]
    on: date


class ItemCancelled(DomainEvent):
    TOPIC = "counterparty.account.ItemCancelled.v1"
    partner: UUID
    item_id: UUID
    on: date


class ChargeWaived(DomainEvent):
    TOPIC = "counterparty.account.ChargeWaived.v1"
    partner: UUID
    item_id: UUID
    amount: Decimal
    reason: str
    on: date


class MovedItem(Value):
    item: OpenItem
    open: Decimal
    paid: Decimal
    credited: Decimal


class AccountAbsorbed(DomainEvent):
    """The survivor's side of a partner merge: the absorbed account's open items and credit."""

    TOPIC = "counterparty.account.AccountAbsorbed.v1"
    partner: UUID
    absorbed_partner: UUID
    items: tuple[MovedItem, ...]
    unapplied: Decimal
    on: date


class AccountMergedAway(DomainEvent):
    TOPIC = "counterparty.account.AccountMergedAway.v1"
    partner: UUID
    survivor: UUID
    on: date


class Account(Aggregate):
    TOPIC = "counterparty.account.Account"
    SNAPSHOT_EVERY = 50

    partner: UUID
    items: dict[UUID, OpenItem]
    open: dict[UUID, Decimal]
    status: dict[UUID, ItemStatus]
    paid: dict[UUID, Decimal]
    credited: dict[UUID, Decimal]
    unapplied: Decimal
    order: list[UUID]
    # Added later: a snapshot taken before (or a merge) lacks the dates of the settlements it
    # folded in, so interest notes charge nothing for those (never more than is owed).
    settlements: dict[UUID, list[Settled]] = {}

    @staticmethod
    def id_for(partner: UUID) -> UUID:
        return natural_id("account", partner)

    @classmethod
    def open_for(cls, partner: UUID) -> Account:
        return cls._create(AccountOpened, id=cls.id_for(partner), partner=partner)

    @event(AccountOpened)
    def _opened(self, partner: UUID) -> None:
        self.partner = partner
        self.items = {}
        self.open = {}
        self.status = {}
        self.paid = {}
        self.credited = {}
        self.unapplied = ZERO
        self.order = []
        self.settlements = {}

    # -- reading ---------------------------------------------------------------------------------

    @property
    def open_total(self) -> Decimal:
        return sum(self.open.values(), ZERO)

    @property
    def balance(self) -> Decimal:
        return self.open_total - self.unapplied

    def open_items_oldest_first(self) -> list[UUID]:
        position = {item_id: i for i, item_id in enumerate(self.order)}
        candidates = [i for i, amount in self.open.items() if amount > 0]
        return sorted(candidates, key=lambda i: (self.items[i].due_date, position[i]))

    def item(self, item_id: UUID) -> OpenItem:
        if item_id not in self.items:
            raise not_found("open item", item_id)
        return self.items[item_id]

    # -- booking ---------------------------------------------------------------------------------

    def book(self, item: OpenItem, on: date) -> None:
        if item.item_id in self.items:
            return  # booked already: the command is being repeated
        if item.amount <= 0:
            raise conflict("amount_not_positive", "a receivable needs a positive amount")
        self._booked(partner=self.partner, item=item)
        self._use_unapplied(on)

    @event(ReceivableBooked)
    def _booked(self, item: OpenItem) -> None:
        self.items[item.item_id] = item
        self.open[item.item_id] = item.amount
        self.status[item.item_id] = ItemStatus.OPEN
        self.order.append(item.item_id)

    def _use_unapplied(self, on: date) -> None:
        if self.unapplied <= 0:
            return
        allocations = self._oldest_first(self.unapplied)
        if allocations:
            self._credit_used(partner=self.partner, allocations=tuple(allocations), on=on)

    @event(UnappliedCreditUsed)
    def _credit_used(self, allocations: tuple[Allocation, ...], on: date) -> None:
        for a in allocations:
            self._settle(a, "paid", on)
            self.unapplied -= a.amount

    def _oldest_first(self, amount: Decimal) -> list[Allocation]:
        allocations = []
        for item_id in self.open_items_oldest_first():
            if amount <= 0:
                break
            share = min(amount, self.open[item_id])
            allocations.append(Allocation(item_id=item_id, amount=share))
            amount -= share
        return allocations

    def _settle(self, allocation: Allocation, how: str, on: date) -> None:
        item_id = allocation.item_id
        self.settlements.setdefault(item_id, []).append(Settled(on=on, amount=allocation.amount, how=how))
        self.open[item_id] -= allocation.amount
        ledger = self.paid if how == "paid" else self.credited
        ledger[item_id] = ledger.get(item_id, ZERO) + allocation.amount
        if self.open[item_id] <= 0:
            self.status[item_id] = ItemStatus.SETTLED
            del self.open[item_id]

    # -- payments and credits ------------------------------------------------------------------

    def receive_payment(self, payment: UUID, amount: Decimal, allocations: list[Allocation] | None, on: date) -> None:
        if amount <= 0:
            raise conflict("amount_not_positive", "a payment needs a positive amount")
        chosen = self._checked(allocations, amount) if allocations is not None else self._oldest_first(amount)
        rest = amount - sum((a.amount for a in chosen), ZERO)
        self._payment_allocated(
            partner=self.partner, payment=payment, amount=amount, allocations=tuple(chosen), unapplied=rest, on=on
        )

    def _checked(self, allocations: list[Allocation], amount: Decimal) -> list[Allocation]:
        total = ZERO
        seen: set[UUID] = set()
        for a in allocations:
            self.item(a.item_id)
            if a.item_id in seen:
                raise conflict("duplicate_allocation", f"item {a.item_id} is allocated twice")
            seen.add(a.item_id)
            if a.amount <= 0:
                raise conflict("amount_not_positive", "an allocation needs a positive amount")
            if a.amount > self.open.get(a.item_id, ZERO):
                raise conflict(
                    "allocation_exceeds_open",
                    f"{a.amount} is more than the {self.open.get(a.item_id, ZERO)} open on {a.item_id}",
                )
            total += a.amount
        if total > amount:
            raise conflict("allocation_exceeds_payment", f"allocations of {total} exceed the payment of {amount}")
        return allocations

    @event(PaymentAllocated)
    def _payment_allocated(self, allocations: tuple[Allocation, ...], unapplied: Decimal, on: date) -> None:
        for a in allocations:
            self._settle(a, "paid", on)
        self.unapplied += unapplied

    def apply_credit_note(self, credit_note: UUID, amount: Decimal, applies_to: UUID | None, on: date) -> None:
        if amount <= 0:
            raise conflict("amount_not_positive", "a credit note needs a positive total")
        allocations = []
        if applies_to is not None and self.open.get(applies_to, ZERO) > 0:
            allocations.append(Allocation(item_id=applies_to, amount=min(amount, self.open[applies_to])))
        rest = amount - sum((a.amount for a in allocations), ZERO)
        self._credit_allocated(
            partner=self.partner,
            credit_note=credit_note,
            amount=amount,
            allocations=tuple(allocations),
            unapplied=rest,
            on=on,
        )

    @event(CreditNoteAllocated)
    def _credit_allocated(self, allocations: tuple[Allocation, ...], unapplied: Decimal, on: date) -> None:
        for a in allocations:
            self._settle(a, "credited", on)
        self.unapplied += unapplied

    # -- merging ---------------------------------------------------------------------------------

    def absorb(self, other: Account, on: date) -> None:
        moved = tuple(
            MovedItem(
                item=other.items[item_id],
                open=amount,
                paid=other.paid.get(item_id, ZERO),
                credited=other.credited.get(item_id, ZERO),
            )
            for item_id, amount in other.open.items()
        )
        self._absorbed(
            partner=self.partner, absorbed_partner=other.partner, items=moved, unapplied=other.unapplied, on=on
        )
        other._merged_away(partner=other.partner, survivor=self.partner, on=on)

    @event(AccountAbsorbed)
    def _absorbed(self, items: tuple[MovedItem, ...], unapplied: Decimal) -> None:
        for moved in items:
            item_id = moved.item.item_id
            self.items[item_id] = moved.item
            self.open[item_id] = moved.open
            self.status[item_id] = ItemStatus.OPEN
            self.paid[item_id] = moved.paid
            self.credited[item_id] = moved.credited
            self.order.append(item_id)
        self.unapplied += unapplied

    @event(AccountMergedAway)
    def _merged_away(self) -> None:
        self.open = {}
        self.unapplied = ZERO

    # -- cancelling and waiving ----------------------------------------------------------------

    def has_payments(self, item_id: UUID) -> bool:
        return self.paid.get(item_id, ZERO) > 0 or self.credited.get(item_id, ZERO) > 0

    def cancel_item(self, item_id: UUID, on: date) -> None:
        if item_id not in self.items or self.status[item_id] is ItemStatus.CANCELLED:
            return
        if self.has_payments(item_id):
            raise conflict("invoice_paid", "the item has payments; issue a credit note")
        self._item_cancelled(partner=self.partner, item_id=item_id, on=on)

    @event(ItemCancelled)
    def _item_cancelled(self, item_id: UUID) -> None:
        self.open.pop(item_id, None)
        self.status[item_id] = ItemStatus.CANCELLED

    def waive(self, item_id: UUID, reason: str, on: date) -> None:
        item = self.item(item_id)
        if item.kind is ItemKind.INVOICE:
            raise conflict("not_a_charge", "only fees and interest are waived; credit an invoice instead")
        if self.status[item_id] is not ItemStatus.OPEN:
            raise conflict("charge_not_open", f"the charge is {self.status[item_id].value}")
        self._waived(partner=self.partner, item_id=item_id, amount=self.open[item_id], reason=reason, on=on)

    @event(ChargeWaived)
    def _waived(self, item_id: UUID) -> None:
        self.open.pop(item_id, None)
        self.status[item_id] = ItemStatus.WAIVED
