"""What a command handler is given: the store, the business date, who acts, and the request's
concurrency and idempotency guards. Handlers load aggregates, call their methods, and save all
they touched in one transaction through ``ctx.save``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, tzinfo
from typing import Any, Protocol, TypeVar
from uuid import UUID, uuid4

from aggregates.base import Aggregate, DomainEvent, EventMeta
from aggregates.errors import NotFound, VersionConflict
from aggregates.idempotency import IdempotencyRecord


class ConcurrencyConflict(Exception):
    """The store refused a save: another writer got there first (or the natural key is taken)."""


class IdempotencyReplay(Exception):
    """The request's Idempotency-Key was recorded by a concurrent request meanwhile."""


class Store(Protocol):
    def get(self, aggregate_id: UUID, version: int | None = None) -> Aggregate: ...

    def existing(self, ids: Sequence[UUID]) -> set[UUID]: ...

    def get_many(self, ids: Iterable[UUID]) -> dict[UUID, Aggregate]: ...

    def save(self, events: list[DomainEvent]) -> int: ...

    def save_apart(self, batches: Sequence[Sequence[DomainEvent]]) -> list[int | ConcurrencyConflict]: ...

    def snapshot(self, aggregate: Aggregate) -> None: ...


A = TypeVar("A", bound=Aggregate)


@dataclass
class Idempotency:
    key: str
    request_hash: str


@dataclass
class CommandContext:
    store: Store
    today: date
    now: datetime
    actor: str = "system"
    correlation: str = field(default_factory=lambda: str(uuid4()))
    causation: str | None = None
    expected_version: int | None = None
    idempotency: Idempotency | None = None
    currency: str = "EUR"
    # The business time zone (CPTY_TIMEZONE): "n days later" is counted on its wall clock.
    zone: tzinfo = UTC
    recorded_at: Callable[[], datetime] | None = None
    # One instance per aggregate within a command (a unit of work), so that two steps of one
    # command that touch the same stream (a number series, an account) build on each other.
    loaded: dict[UUID, Aggregate] = field(default_factory=dict)
    # Ids known to have no stream (``expect_new``): finding one costs no query.
    absent: set[UUID] = field(default_factory=set)
    # Whether a save went through: such a command is not run again on a refusal after it.
    saved: bool = False

    def load(self, cls: type[A], aggregate_id: UUID) -> A:
        aggregate = self.loaded.get(aggregate_id)
        if aggregate is None:
            if aggregate_id in self.absent:
                raise NotFound(f"{cls.__name__} {aggregate_id} not found")
            aggregate = self.store.get(aggregate_id)
        self.loaded[aggregate_id] = aggregate
        if not isinstance(aggregate, cls):
            raise NotFound(f"{cls.__name__} {aggregate_id} not found")
        return aggregate

    def find(self, cls: type[A], aggregate_id: UUID) -> A | None:
        try:
            return self.load(cls, aggregate_id)
        except NotFound:
            return None

    def expect_new(self, ids: Iterable[UUID]) -> None:
        """Asks the store once which of ``ids`` exist: a command about to create many aggregates
        with derived ids (a mailing's messages) then finds the new ones without a load each."""
        unknown = [i for i in dict.fromkeys(ids) if i not in self.loaded]
        self.absent.update(set(unknown) - self.store.existing(unknown))

    def preload(self, ids: Iterable[UUID]) -> dict[UUID, Aggregate]:
        """Reads the streams in one batched read (``Store.get_many``): loading them later costs
        no query, and those without a stream are known absent. Answers the ones that exist."""
        ids = list(dict.fromkeys(ids))
        wanted = [i for i in ids if i not in self.loaded and i not in self.absent]
        if wanted:
            found = self.store.get_many(wanted)
            self.loaded.update(found)
            self.absent.update(i for i in wanted if i not in found)
        return {i: self.loaded[i] for i in ids if i in self.loaded}

    def part(self, aggregates: Iterable[Aggregate]) -> CommandContext:
        """A context for one independent part of this command (one partner of a collection
        chunk), starting from ``aggregates``: what it loads and changes is its own, so a part that
        fails leaves the others as they were. The parts are saved together with ``save_apart``."""
        return replace(self, loaded={a.id: a for a in aggregates}, absent=set(self.absent), saved=False)

    def track(self, aggregate: A) -> A:
        """Registers an aggregate the command creates, so later steps find it."""
        self.loaded[aggregate.id] = aggregate
        return aggregate

    def load_for_update(self, cls: type[A], aggregate_id: UUID) -> A:
        """Loads the aggregate a request names, checking the client's ``If-Match`` version."""
        aggregate = self.load(cls, aggregate_id)
        if self.expected_version is not None and aggregate.version != self.expected_version:
            raise VersionConflict(f"version is {aggregate.version}, the request expected {self.expected_version}")
        return aggregate

    def save(self, *aggregates: Aggregate) -> int:
        """Saves every pending event of ``aggregates`` in one transaction; returns the position."""
        stamp = self._stamp()
        collected = _collect(aggregates)
        events = [e.model_copy(update=stamp) for batch in collected.values() for e in batch]
        if self.idempotency is not None:
            record = IdempotencyRecord.use(self.actor, self.idempotency.key, self.idempotency.request_hash)
            events += [e.model_copy(update=stamp) for e in record.collect_events()]
            self.idempotency = None
        position = self.store.save(events)
        self.saved = True
        self._snapshot(aggregates, collected)
        return position

    def save_apart(self, parts: Sequence[Sequence[Aggregate]]) -> list[int | ConcurrencyConflict]:
        """Saves each part's aggregates in a transaction of its own, all submitted together so
        that the store can share its commits among them; answers each part's position (0 if it
        had nothing to save) or the conflict that refused it, which leaves the others saved."""
        assert self.idempotency is None, "a command that saves apart takes no Idempotency-Key"
        stamp = self._stamp()
        collected = [_collect(part) for part in parts]
        batches = [[e.model_copy(update=stamp) for batch in c.values() for e in batch] for c in collected]
        written = iter(self.store.save_apart([events for events in batches if events]))
        self.saved = True
        outcomes: list[int | ConcurrencyConflict] = []
        for part, events, part_collected in zip(parts, batches, collected, strict=True):
            outcome = next(written) if events else 0
            if not isinstance(outcome, ConcurrencyConflict):
                self._snapshot(part, part_collected)
            outcomes.append(outcome)
        return outcomes

    def _stamp(self) -> dict[str, Any]:
        meta = EventMeta(
            business_date=self.today,
            business_time=self.now,
            actor=self.actor,
            causation=self.causation,
            correlation=self.correlation,
        )
        return {"meta": meta, "timestamp": self.recorded_at() if self.recorded_at else self.now}

    def _snapshot(self, aggregates: Iterable[Aggregate], collected: dict[UUID, list[DomainEvent]]) -> None:
        for aggregate in {a.id: a for a in aggregates}.values():
            every, new = aggregate.SNAPSHOT_EVERY, len(collected[aggregate.id])
            if every and new and aggregate.version // every > (aggregate.version - new) // every:
                self.store.snapshot(aggregate)


def _collect(aggregates: Iterable[Aggregate]) -> dict[UUID, list[DomainEvent]]:
    """The pending events of each aggregate (the same aggregate may be named twice; its events
    count once)."""
    collected: dict[UUID, list[DomainEvent]] = {}
    for aggregate in aggregates:
        collected.setdefault(aggregate.id, []).extend(aggregate.collect_events())
    return collected


@dataclass(frozen=True)
class Result:
    """What a handler answers: the log position of its last event, and the id it made or changed."""

    position: int
    id: UUID | None = None
    # What else the handler has to tell its caller (a collection run's decisions, say).
    detail: Any = None
