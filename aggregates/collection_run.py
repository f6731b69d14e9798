"""The record of one collection run date: what it skipped and why, the partners it could not
collect and why, and its counts. The actions themselves are recorded on the cases (each names its
run date)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from aggregates.base import Aggregate, CreatedEvent, DomainEvent, Value, event, natural_id


class Skip(BaseModel):
    model_config = ConfigDict(frozen=True)

    document: UUID
    number: str | None
    partner: UUID
    level: int
    reason: str


class NotCollected(Value):
    """A partner the run could not collect (its decision failed), and why."""

    partner: UUID
    reason: str


class CollectionRunOpened(CreatedEvent):
    TOPIC = "counterparty.collection.CollectionRunOpened.v1"
    day: date


class CollectionRunCompleted(DomainEvent):
    TOPIC = "counterparty.collection.CollectionRunCompleted.v1"
    day: date
    partners: int
    invoices: int
    skipped: tuple[Skip, ...]
    counts: dict[str, int]


class PartnersNotCollected(DomainEvent):
    """The run went on without these partners: each one's collection failed. The next run
    visits them again."""

    TOPIC = "counterparty.collection.PartnersNotCollected.v1"
    day: date
    partners: tuple[NotCollected, ...]


class CollectionRun(Aggregate):
    TOPIC = "counterparty.collection.CollectionRun"

    day: date
    completed: bool

    @staticmethod
    def id_for(day: date) -> UUID:
        return natural_id("collection-run", day.isoformat())

    @classmethod
    def open(cls, day: date) -> CollectionRun:
        return cls._create(CollectionRunOpened, id=cls.id_for(day), day=day)

    @event(CollectionRunOpened)
    def _opened(self, day: date) -> None:
        self.day = day
        self.completed = False

    def complete(
        self,
        partners: int,
        invoices: int,
        skipped: list[Skip],
        counts: dict[str, int],
        not_collected: list[NotCollected] | None = None,
    ) -> None:
        if self.completed:
            return
        if not_collected:
            self._partners_not_collected(day=self.day, partners=tuple(not_collected))
        self._completed(day=self.day, partners=partners, invoices=invoices, skipped=tuple(skipped), counts=dict(counts))

    @event(PartnersNotCollected)
    def _partners_not_collected(self) -> None:
        pass

    @event(CollectionRunCompleted)
    def _completed(self) -> None:
        self.completed = True
