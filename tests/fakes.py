"""Fakes (working stand-ins, not mocks) for the ports of commands and process managers.

``InMemoryStore`` is the commands' ``Store`` over lists: one global order, optimistic concurrency
per stream (a save whose versions do not follow its streams is refused whole, as the real store
refuses it), and every event kept as the JSON the real store writes, so what a handler records must
survive the round trip. ``FakeReads`` answers the questions process managers ask of read models,
from the aggregates in such a store."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, TypeVar, cast
from uuid import UUID

from aggregates.account import Account, ItemKind
from aggregates.base import Aggregate, DomainEvent, Snapshot
from aggregates.collection_case import CaseStatus, CollectionCase
from aggregates.collection_run import CollectionRun
from aggregates.errors import NotFound
from aggregates.sales_document import SalesDocument
from aggregates.sales_document_values import DocStatus, DocType
from commands.context import ConcurrencyConflict
from projections.log import LoggedEvent

A = TypeVar("A", bound=Aggregate)


def _stored(e: DomainEvent) -> tuple[type[DomainEvent], dict[str, Any]]:
    return type(e), e.model_dump(mode="json")


def _loaded(stored: tuple[type[DomainEvent], dict[str, Any]]) -> DomainEvent:
    cls, state = stored
    return cls.model_validate(state)


class InMemoryStore:
    """What a command handler sees of the log (``commands.context.Store``), and a log to read."""

    def __init__(self) -> None:
        self._log: list[tuple[type[DomainEvent], dict[str, Any]]] = []
        self._streams: dict[UUID, list[int]] = {}
        self._snapshots: dict[UUID, tuple[type[DomainEvent], dict[str, Any]]] = {}

    # -- the commands' Store port --------------------------------------------------------------

    def get(self, aggregate_id: UUID, version: int | None = None) -> Aggregate:
        """The aggregate from its snapshot (if any, and not past ``version``) and the events after it."""
        aggregate: Any = None
        after = 0
        snapshot = self._snapshots.get(aggregate_id)
        if snapshot is not None:
            restored = cast(Snapshot, _loaded(snapshot))
            if version is None or restored.originator_version <= version:
                aggregate, after = restored.mutate(None), restored.originator_version
        for e in self.stream(aggregate_id)[after:version]:
            aggregate = e.mutate(aggregate)
        if aggregate is None:
            raise NotFound(f"{aggregate_id} not found")
        return cast(Aggregate, aggregate)

    def existing(self, ids: Sequence[UUID]) -> set[UUID]:
        return {i for i in ids if i in self._streams}

    def get_many(self, ids: Iterable[UUID]) -> dict[UUID, Aggregate]:
        return {i: self.get(i) for i in ids if i in self._streams}

    def save(self, events: Sequence[DomainEvent]) -> int:
        """Appends ``events`` in one go, or none of them when a version is not the next of its stream."""
        versions = {stream: len(positions) for stream, positions in self._streams.items()}
        for e in events:
            expected = versions.get(e.originator_id, 0) + 1
            if e.originator_version != expected:
                raise ConcurrencyConflict(
                    f"{e.originator_id} is at version {expected - 1}, not {e.originator_version - 1}"
                )
            versions[e.originator_id] = expected
        for e in events:
            self._log.append(_stored(e))
            self._streams.setdefault(e.originator_id, []).append(len(self._log) - 1)
        return self.head()

    def save_apart(self, batches: Sequence[Sequence[DomainEvent]]) -> list[int | ConcurrencyConflict]:
        """Each batch as ``save`` records it, on its own: a refused one leaves the others saved."""
        outcomes: list[int | ConcurrencyConflict] = []
        for events in batches:
            try:
                outcomes.append(self.save(events))
            except ConcurrencyConflict as conflict:
                outcomes.append(conflict)
        return outcomes

    def snapshot(self, aggregate: Aggregate) -> None:
        self._snapshots[aggregate.id] = _stored(aggregate.snapshot())

    # -- reading it, as the projections' LogReader port does -------------------------------------

    def head(self) -> int:
        return len(self._log)

    def read(self, after: int, limit: int = 1000, upto: int | None = None) -> list[LoggedEvent]:
        stop = min(after + limit, upto if upto is not None else len(self._log))
        return [LoggedEvent(position=i + 1, event=_loaded(self._log[i])) for i in range(after, stop)]

    def iterate(self, after: int = 0) -> list[LoggedEvent]:
        return self.read(after, limit=len(self._log))

    def stream(self, aggregate_id: UUID) -> list[DomainEvent]:
        return [_loaded(self._log[i]) for i in self._streams.get(aggregate_id, [])]

    def all(self, cls: type[A]) -> list[A]:
        """Every aggregate of ``cls`` in the store, in the order their streams began."""
        found = [self.get(stream) for stream in self._streams]
        return [a for a in found if isinstance(a, cls)]


class FakeCollectionReads:
    """``queries.collection.CollectionQueries`` as the collection process manager asks it."""

    def __init__(self, store: InMemoryStore) -> None:
        self.store = store

    def open_cases(self, partners: list[UUID] | None = None) -> dict[UUID, list[UUID]]:
        found: dict[UUID, list[UUID]] = {}
        for case in sorted(self.store.all(CollectionCase), key=lambda c: str(c.id)):
            if case.status is CaseStatus.OPEN and (partners is None or case.partner in partners):
                found.setdefault(case.partner, []).append(case.id)
        return found

    def partners_to_collect(self) -> dict[UUID, list[UUID]]:
        candidates: dict[UUID, list[UUID]] = {
            account.partner: []
            for account in self.store.all(Account)
            if any(amount > 0 and account.items[i].kind is ItemKind.INVOICE for i, amount in account.open.items())
        }
        candidates.update(self.open_cases())
        return dict(sorted(candidates.items(), key=lambda kv: str(kv[0])))

    def run_completed(self, day: date) -> bool:
        return any(run.day == day and run.completed for run in self.store.all(CollectionRun))


class FakeDocumentReads:
    """``queries.documents.DocumentQueries`` as the sales process manager asks it."""

    def __init__(self, store: InMemoryStore) -> None:
        self.store = store

    def quotes_to_expire(self, day: date) -> list[UUID]:
        return [
            d.id
            for d in self.store.all(SalesDocument)
            if d.doc_type is DocType.QUOTE
            and d.status is DocStatus.SENT
            and d.terms.valid_until is not None
            and d.terms.valid_until < day
        ]


class FakeReads:
    """The read models a process manager may consult (``ProcessReads``), as far as faked."""

    def __init__(self, store: InMemoryStore) -> None:
        self.collection = FakeCollectionReads(store)
        self.documents = FakeDocumentReads(store)
