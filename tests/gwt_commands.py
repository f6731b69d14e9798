"""Given-when-then for command handlers and process managers, on the in-memory store.

``Flow`` holds a log (``tests.fakes.InMemoryStore``) and a business date. ``given`` puts events
into their streams (or ``given_command`` lets a handler record them), ``when(handler, command)``
runs a handler as the API would, and ``then(*expected)`` checks exactly the events recorded since,
in order. The process managers named at construction react to every new event, as the runner makes
them react, and their commands' events count as new events too: ``when(receive_payment, ...)``
also records the case closed by the collection process. ``day(d)`` starts every day up to ``d``.

    flow = Flow(processes=[collection_process])
    flow.given_command(define_scheme, DefineScheme(...))
    flow.day(date(2026, 1, 22)).then(..., like(LevelReached, level=1), ...)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar

from aggregates.base import Aggregate, DomainEvent
from aggregates.business_clock import CLOCK_ID, BusinessClock
from aggregates.errors import DomainError
from commands.clock import StartDay, start_day
from commands.context import CommandContext, Result
from processes.base import ProcessManager, Reactions
from tests.fakes import FakeReads, InMemoryStore
from tests.gwt import Expected

E = TypeVar("E", bound=DomainError)
T = TypeVar("T", bound=DomainEvent)
A = TypeVar("A", bound=Aggregate)

Handler = Callable[[Any, CommandContext], Result]
CLOCK_START = datetime(2026, 1, 15, tzinfo=UTC)
DAY_START = time(6, 0)


class Flow:
    def __init__(self, processes: Iterable[Reactions] = (), today: date = CLOCK_START.date()) -> None:
        self.store = InMemoryStore()
        self.today = today
        self.reads = FakeReads(self.store)
        self.managers: list[ProcessManager] = [p.manager(self._process_execute, self.reads) for p in processes]
        self.reacted = 0
        self.mark = 0
        self.result: Any = None
        self.error: BaseException | None = None

    # -- given ---------------------------------------------------------------------------------

    def given(self, *events: DomainEvent) -> Flow:
        """Events as they were stored (an old stream, say); the process managers do not react."""
        self.store.save(list(events))
        self.reacted = self.store.head()
        return self

    def given_command(self, handler: Handler, command: Any) -> Result:
        """A handler's events as history; the process managers react to them."""
        result = self.run(handler, command)
        self.mark = self.store.head()
        return result

    # Under the container's name, so that one setup helper serves a flow and a container.
    execute = given_command

    def on(self, day: date) -> Flow:
        """Commands from now on act on ``day`` (the business date)."""
        self.today = day
        return self

    # -- when ----------------------------------------------------------------------------------

    def when(self, handler: Handler, command: Any) -> Flow:
        self.mark = self.store.head()
        self.result, self.error = None, None
        try:
            self.result = self.run(handler, command)
        except DomainError as error:  # kept for then_raises; then() reports it
            self.error = error
        return self

    def when_run(self, function: Callable[..., Any], *args: Any) -> Flow:
        """Runs a process manager's step directly (a collection run on demand, say)."""
        self.mark = self.store.head()
        self.result, self.error = None, None
        try:
            self.result = function(*args)
            self._react()
        except DomainError as error:
            self.error = error
        return self

    def day(self, last: date) -> Flow:
        """Every day start after the business date up to ``last``, each one reacted to in turn."""
        self.mark = self.store.head()
        self.result, self.error = None, None
        clock = self.store.existing([CLOCK_ID]) and self.load(BusinessClock, CLOCK_ID)
        day = clock.last_day_run + timedelta(days=1) if clock and clock.last_day_run else CLOCK_START.date()
        while day <= last:
            self.today = day
            at = datetime.combine(day, DAY_START, UTC)
            self.run(start_day, StartDay(day=day, at=at, clock_start=CLOCK_START))
            day += timedelta(days=1)
        return self

    def run(self, handler: Handler, command: Any, actor: str = "test", causation: str | None = None) -> Result:
        """Runs a handler now, then lets the process managers react to what it and they record."""
        result = handler(command, self.context(actor, causation))
        self._react()
        return result

    def context(self, actor: str = "test", causation: str | None = None) -> CommandContext:
        now = datetime.combine(self.today, DAY_START, UTC)
        return CommandContext(store=self.store, today=self.today, now=now, actor=actor, causation=causation)

    def _process_execute(
        self, handler: Handler, command: Any, *, actor: str, causation: str, correlation: str | None
    ) -> Result:
        return handler(command, self.context(actor, causation))

    def _react(self) -> None:
        while self.reacted < self.store.head():
            for logged in self.store.read(self.reacted, limit=1):
                for manager in self.managers:
                    if manager.handles(logged):
                        manager.react(logged)
                self.reacted = logged.position

    # -- then ----------------------------------------------------------------------------------

    @property
    def new(self) -> list[DomainEvent]:
        return [logged.event for logged in self.store.iterate(self.mark)]

    def then(self, *expected: Expected) -> list[DomainEvent]:
        """The handler (and the reactions) recorded exactly ``expected`` (types or predicates), in order."""
        if self.error is not None:
            raise AssertionError(f"expected events, the command raised {self.error!r}") from self.error
        new = self.new
        assert len(new) == len(expected), f"expected {list(expected)}, recorded {[_show(e) for e in new]}"
        for e, want in zip(new, expected, strict=True):
            ok = type(e) is want if isinstance(want, type) else want(e)
            assert ok, f"expected {want!r}, recorded {_show(e)}"
        return new

    def then_nothing(self) -> None:
        self.then()

    def then_raises(self, error: type[E], code: str | None = None) -> E:
        """The command was refused with ``error`` (and ``code``), and nothing was recorded."""
        assert isinstance(self.error, error), f"expected {error.__name__}, got {self.error!r}"
        if code is not None:
            assert self.error.code == code, self.error.code
        assert self.new == [], f"a refused command recorded {self.new}"
        return self.error

    # -- looking around ------------------------------------------------------------------------

    def events(self, cls: type[T]) -> list[T]:
        """Every event of ``cls`` in the log, in order."""
        return [logged.event for logged in self.store.iterate() if type(logged.event) is cls]  # type: ignore[misc]

    def load(self, cls: type[A], aggregate_id: Any) -> A:
        aggregate = self.store.get(aggregate_id)
        assert isinstance(aggregate, cls), aggregate
        return aggregate


def _show(e: DomainEvent) -> str:
    fields = e.model_dump(exclude={"originator_id", "originator_version", "timestamp", "meta", "originator_topic"})
    return f"{type(e).__name__}({', '.join(f'{k}={v!r}' for k, v in fields.items())})"
