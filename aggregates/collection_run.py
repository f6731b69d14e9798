"""The record of one collection run date: what it skipped and why, and its counts. The actions
themselves are recorded on the cases (each names its run date)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from aggregates.base import Aggregate, CreatedEvent, DomainEvent, event, natural_id


class Skip(BaseModel):
    model_config = ConfigDict(frozen=True)

    document: UUID
    number: str | None
    partner: UUID
    level: int
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

    def complete(self, partners: int, invoices: int, skipped: list[Skip], counts: dict[str, int]) -> None:
        if not self.completed:
            self._completed(
                day=self.day, partners=partners, invoices=invoices, skipped=tuple(skipped), counts=dict(counts)
            )

    @event(CollectionRunCompleted)
    def _completed(self) -> None:
        self.completed = True
