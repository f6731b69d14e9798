"""Process managers: follow the log and act only by issuing ordinary commands (with deterministic
ids or idempotent guards), so a crash between deciding and recording never duplicates an effect."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from aggregates.base import DomainEvent
from aggregates.errors import DomainError
from commands.context import CommandContext, Result
from projections.log import LoggedEvent
from projections.runner import Reactor


class Execute(Protocol):
    """Runs a command handler as ``actor``, caused by the event at a log position."""

    def __call__(
        self,
        handler: Callable[[Any, CommandContext], Result],
        command: Any,
        *,
        actor: str,
        causation: str,
        correlation: str | None,
    ) -> Result: ...


Reaction = Callable[[Any, "Acts"], None]
# When a process manager next needs the clock to move: the earliest moment after the given one at
# which something of its own falls due (a reminder), read from its read models.
NextMoment = Callable[[Any, datetime], datetime | None]
log = logging.getLogger("counterparty.process")


class Acts:
    """What a reaction may do: read the read models and issue commands on behalf of the process
    manager (the read models have reached at least the event being handled)."""

    def __init__(self, manager: ProcessManager, logged: LoggedEvent) -> None:
        self.manager = manager
        self.logged = logged
        self.reads = manager.reads

    def run(self, handler: Callable[[Any, CommandContext], Result], command: Any) -> Result | None:
        """Issues the command; a business rule that refuses it is logged and the process goes on
        (a refusal is an answer, not a failure to retry forever)."""
        meta = self.logged.event.meta
        try:
            return self.manager.execute(
                handler,
                command,
                actor=f"process:{self.manager.name}",
                causation=f"position:{self.logged.position}",
                correlation=meta.correlation if meta else None,
            )
        except DomainError as refusal:
            log.warning(
                "command refused",
                extra={
                    "manager": self.manager.name,  # "process" is a LogRecord attribute
                    "command": type(command).__name__,
                    "code": refusal.code,
                    "detail": refusal.detail,
                    "position": self.logged.position,
                },
            )
            return None


class ProcessManager(Reactor):
    def __init__(
        self,
        name: str,
        execute: Execute,
        reactions: dict[type[DomainEvent], list[Reaction]],
        reads: Any,
        moments: list[NextMoment] | None = None,
    ) -> None:
        self.name = name
        self.execute = execute
        self.reactions = reactions
        self.reads = reads
        self.moments = moments or []

    def next_moment(self, after: datetime) -> datetime | None:
        found = [m for moment in self.moments if (m := moment(self.reads, after)) is not None]
        return min(found, default=None)

    def handles(self, logged: LoggedEvent) -> bool:
        return type(logged.event) in self.reactions

    def react(self, logged: LoggedEvent) -> None:
        for reaction in self.reactions.get(type(logged.event), ()):
            reaction(logged.event, Acts(self, logged))


class Reactions:
    """Collects a process manager's reactions by event type, like a projection's handlers."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.by_type: dict[type[DomainEvent], list[Reaction]] = {}
        self.moments: list[NextMoment] = []

    def on(self, *event_classes: type[DomainEvent]) -> Callable[[Reaction], Reaction]:
        def register(func: Reaction) -> Reaction:
            for cls in event_classes:
                self.by_type.setdefault(cls, []).append(func)
            return func

        return register

    def moment(self, func: NextMoment) -> NextMoment:
        """Registers when the process next needs the clock to move between day starts: the
        clock records a ``ClockMoved`` at that moment (manual ticks stop there, the system
        scheduler records it once the wall clock has passed it), and the process reacts to it."""
        self.moments.append(func)
        return func

    def manager(self, execute: Execute, reads: Any = None) -> ProcessManager:
        return ProcessManager(self.name, execute, self.by_type, reads, self.moments)
