"""Given-when-then for aggregates, after EventSourcing.NetCore's ``Given(events).When(cmd).Then(events)``.

``given(*events)`` folds the events into an aggregate, ``when(command)`` runs a command method on it
(a command that creates the aggregate may return it), and ``then(*expected)`` checks the events the
command recorded. Every successful ``then`` also replays given + new events from scratch and checks
that the replay has the very state the command left behind, so an ``@event`` body that forgets
something the public method did is caught; ``then_raises`` checks that a refusal changed nothing.

    given(registered()).when(lambda p: p.place_credit_hold("fraud", ON)).then(like(CreditHoldPlaced, reason="fraud"))
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

from aggregates.base import Aggregate, DomainEvent
from aggregates.errors import DomainError

A = TypeVar("A", bound=Aggregate)
E = TypeVar("E", bound=DomainError)


@dataclass(frozen=True)
class Like:
    """Matches an event of ``type`` whose named fields equal ``fields`` exactly."""

    type: type[DomainEvent]
    fields: dict[str, Any]

    def __call__(self, e: DomainEvent) -> bool:
        return type(e) is self.type and all(getattr(e, k) == v for k, v in self.fields.items())

    def __repr__(self) -> str:
        return f"{self.type.__name__}({', '.join(f'{k}={v!r}' for k, v in self.fields.items())})"


def like(event_type: type[DomainEvent], **fields: Any) -> Like:
    return Like(event_type, fields)


Expected = type[DomainEvent] | Callable[[DomainEvent], bool]


def replay(events: Iterable[DomainEvent]) -> Aggregate | None:
    """The aggregate as the store's repository builds it: ``mutate`` folded over the events."""
    aggregate: Any = None
    for e in events:
        aggregate = e.mutate(aggregate)
    return cast(Aggregate | None, aggregate)


def from_snapshot(aggregate: Aggregate) -> Aggregate:
    """The aggregate rebuilt from its snapshot, after the snapshot's own JSON round trip."""
    snapshot = aggregate.snapshot()
    stored = snapshot.model_dump(mode="json")
    restored = type(snapshot).model_validate(
        {**stored, "originator_id": snapshot.originator_id, "originator_version": snapshot.originator_version}
    )
    return cast(Aggregate, restored.mutate(None))


def assert_same_state(replayed: Aggregate | None, aggregate: Aggregate) -> None:
    assert replayed is not None, "the events replay to no aggregate"
    want, got = replayed.state(), aggregate.state()
    missing = "<missing>"
    pairs = {k: (want.get(k, missing), got.get(k, missing)) for k in want.keys() | got.keys()}
    diff = {k: pair for k, pair in pairs.items() if pair[0] != pair[1]}
    assert not diff, f"replay differs from the aggregate (replayed, live): {diff}"


@dataclass
class Scenario(Generic[A]):
    history: list[DomainEvent]
    aggregate: A | None = None
    new: list[DomainEvent] = field(default_factory=list)
    result: Any = None
    error: BaseException | None = None

    def when(self, command: Callable[[A], Any]) -> Scenario[A]:
        try:
            result = command(cast(A, self.aggregate))
        except Exception as error:  # kept for then_raises; then() re-raises it
            self.error = error
            return self
        if isinstance(result, Aggregate):
            self.aggregate = cast(A, result)
        else:
            self.result = result
        self.new = self.aggregate.collect_events() if self.aggregate is not None else []
        return self

    def then(self, *expected: Expected) -> A:
        """The command recorded exactly ``expected`` (types or predicates, in order); replay agrees."""
        if self.error is not None:
            raise AssertionError(f"expected events, the command raised {self.error!r}") from self.error
        assert len(self.new) == len(expected), f"expected {list(expected)}, recorded {self.new}"
        for e, want in zip(self.new, expected, strict=True):
            ok = type(e) is want if isinstance(want, type) else want(e)
            assert ok, f"expected {want!r}, recorded {e!r}"
        assert self.aggregate is not None, "no aggregate: given nothing and the command created nothing"
        versions = [e.originator_version for e in [*self.history, *self.new]]
        assert versions == list(range(1, len(versions) + 1)), f"versions are not contiguous: {versions}"
        assert_same_state(replay([*self.history, *self.new]), self.aggregate)
        if self.aggregate.SNAPSHOT_EVERY:
            assert_same_state(from_snapshot(self.aggregate), self.aggregate)
        return self.aggregate

    def then_raises(self, error: type[E], code: str | None = None) -> E:
        """The command was refused with ``error`` (and ``code``) and left the aggregate as given."""
        assert isinstance(self.error, error), f"expected {error.__name__}, got {self.error!r}"
        if code is not None:
            assert self.error.code == code
        if self.aggregate is not None:
            assert self.aggregate.pending_events == []
            assert_same_state(replay(self.history), self.aggregate)
        return self.error


def given(*events: DomainEvent) -> Scenario[Any]:
    """The aggregate folded from ``events`` (none: the command creates it)."""
    aggregate = replay(events)
    return Scenario(history=list(events), aggregate=aggregate)
