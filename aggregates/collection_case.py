"""A collection case: one invoice's escalation, every step of it explained."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import Enum
from uuid import UUID

from aggregates.base import Aggregate, CreatedEvent, DomainEvent, event, natural_id
from aggregates.collection_scheme import ActionType


class CaseStatus(Enum):
    OPEN = "open"
    CLOSED = "closed"


class CaseOpened(CreatedEvent):
    TOPIC = "counterparty.collection.CaseOpened.v1"
    document: UUID
    number: str | None
    partner: UUID
    scheme: str
    currency: str
    on: date


class LevelReached(DomainEvent):
    TOPIC = "counterparty.collection.LevelReached.v1"
    level: int
    name: str
    on: date
    run: date


class ActionRecorded(DomainEvent):
    """An action of a level, executed or skipped as ``status`` says, in logs written before
    ``ActionExecuted`` and ``ActionSkipped``. Nothing records it any more; every reader still
    understands it."""

    TOPIC = "counterparty.collection.ActionRecorded.v1"
    level: int
    action: ActionType
    status: str  # executed | skipped
    reason: str | None = None
    fallback_from: str | None = None
    amount: Decimal | None = None
    message: UUID | None = None
    task: UUID | None = None
    item: UUID | None = None
    on: date

    @property
    def taken(self) -> ActionType:
        """The action as it happened: an e-mail that fell back to a letter was recorded with
        ``action: email``, but what went out (or failed to) was a letter."""
        return ActionType.LETTER if self.fallback_from else self.action


class ActionExecuted(DomainEvent):
    """An action of a level took effect, with what it made: a charge (``item``, ``amount``), a
    message, a task. A letter sent because the contact has no e-mail address has
    ``action: letter, fallback_from: email``."""

    TOPIC = "counterparty.collection.ActionExecuted.v1"
    level: int
    action: ActionType
    fallback_from: ActionType | None = None
    amount: Decimal | None = None
    message: UUID | None = None
    task: UUID | None = None
    item: UUID | None = None
    on: date


class ActionSkipped(DomainEvent):
    """An action of a level could not be taken, and why (``no_mobile``, ``template_missing``, …)."""

    TOPIC = "counterparty.collection.ActionSkipped.v1"
    level: int
    action: ActionType
    reason: str
    fallback_from: ActionType | None = None
    on: date


class PromiseKept(DomainEvent):
    TOPIC = "counterparty.collection.PromiseKept.v1"
    promised_for: date | None = None
    on: date


class PromiseBroken(DomainEvent):
    TOPIC = "counterparty.collection.PromiseBroken.v1"
    promised_for: date
    on: date


class CollectionStatusSet(DomainEvent):
    TOPIC = "counterparty.collection.CollectionStatusSet.v1"
    status: str
    on: date


class CaseClosed(DomainEvent):
    TOPIC = "counterparty.collection.CaseClosed.v1"
    reason: str  # paid | settled
    on: date


class CollectionCase(Aggregate):
    TOPIC = "counterparty.collection.CollectionCase"

    document: UUID
    number: str | None
    partner: UUID
    scheme: str
    currency: str
    level: int
    times_dunned: int
    status: CaseStatus
    opened_on: date
    closed_on: date | None
    close_reason: str | None
    last_level_on: date | None
    charges: list[UUID]
    blocked: bool
    collection_status: str | None
    promise_broken_for: date | None
    promise_kept_for: date | None

    @staticmethod
    def id_for(document: UUID) -> UUID:
        return natural_id("collection-case", document)

    @classmethod
    def open(
        cls, document: UUID, number: str | None, partner: UUID, scheme: str, currency: str, on: date
    ) -> CollectionCase:
        return cls._create(
            CaseOpened,
            id=cls.id_for(document),
            document=document,
            number=number,
            partner=partner,
            scheme=scheme,
            currency=currency,
            on=on,
        )

    @event(CaseOpened)
    def _opened(self, document: UUID, number: str | None, partner: UUID, scheme: str, currency: str, on: date) -> None:
        self.document = document
        self.number = number
        self.partner = partner
        self.scheme = scheme
        self.currency = currency
        self.level = 0
        self.times_dunned = 0
        self.status = CaseStatus.OPEN
        self.opened_on = on
        self.closed_on = None
        self.close_reason = None
        self.last_level_on = None
        self.charges = []
        self.blocked = False
        self.collection_status = None
        self.promise_broken_for = None
        self.promise_kept_for = None

    def reach(self, level: int, name: str, on: date, run: date) -> bool:
        """Records the level once; a repeated run of the same date finds it reached."""
        if self.status is CaseStatus.CLOSED or level <= self.level:
            return False
        self._level_reached(level=level, name=name, on=on, run=run)
        return True

    @event(LevelReached)
    def _level_reached(self, level: int, on: date) -> None:
        self.level = level
        self.times_dunned += 1
        self.last_level_on = on

    def record_executed(
        self,
        level: int,
        action: ActionType,
        on: date,
        *,
        amount: Decimal | None = None,
        message: UUID | None = None,
        task: UUID | None = None,
        item: UUID | None = None,
        fallback_from: ActionType | None = None,
    ) -> None:
        self._action_executed(
            level=level,
            action=action,
            fallback_from=fallback_from,
            amount=amount,
            message=message,
            task=task,
            item=item,
            on=on,
        )

    @event(ActionExecuted)
    def _action_executed(self, action: ActionType, item: UUID | None) -> None:
        if action is ActionType.BLOCK_SALES:
            self.blocked = True
        if item is not None:
            self.charges.append(item)

    def record_skipped(
        self, level: int, action: ActionType, reason: str, on: date, fallback_from: ActionType | None = None
    ) -> None:
        self._action_skipped(level=level, action=action, reason=reason, fallback_from=fallback_from, on=on)

    @event(ActionSkipped)
    def _action_skipped(self) -> None:
        """A skipped action changes nothing on the case: it is its history only."""

    @event(ActionRecorded)
    def _action_recorded(self, action: ActionType, status: str, item: UUID | None) -> None:
        if status == "executed" and action is ActionType.BLOCK_SALES:
            self.blocked = True
        if item is not None:
            self.charges.append(item)

    def note_promise(self, kept: bool, promised_for: date, on: date) -> None:
        """Once per promise date: kept or broken, never both."""
        if promised_for in (self.promise_kept_for, self.promise_broken_for):
            return
        if kept:
            self._promise_kept(promised_for=promised_for, on=on)
        else:
            self._promise_broken(promised_for=promised_for, on=on)

    @event(PromiseKept)
    def _promise_kept(self, promised_for: date | None) -> None:
        self.promise_kept_for = promised_for

    @event(PromiseBroken)
    def _promise_broken(self, promised_for: date) -> None:
        self.promise_broken_for = promised_for

    def set_collection_status(self, status: str, on: date) -> None:
        if status != self.collection_status:
            self._status_set(status=status, on=on)

    @event(CollectionStatusSet)
    def _status_set(self, status: str) -> None:
        self.collection_status = status

    def close(self, reason: str, on: date) -> None:
        if self.status is CaseStatus.OPEN:
            self._closed(reason=reason, on=on)

    @event(CaseClosed)
    def _closed(self, reason: str, on: date) -> None:
        self.status = CaseStatus.CLOSED
        self.close_reason = reason
        self.closed_on = on
