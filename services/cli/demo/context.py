"""What every chapter of the demo shares: the container, the progress bar, a command run as one of
the demo's actors, the manual business clock, and the agenda of what falls due later."""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar
from uuid import UUID

from rich.progress import Progress

from commands.context import CommandContext, Result
from services.bootstrap.container import Container
from services.workers.ports import Request

ACTOR = "demo"
SEED = 20260115  # each chapter seeds its own generator from it, so the same size gives the same data
SUPERVISOR = "mhoffmann"
REPS = ("anna", "luca", "sofia", "pierre")
FINANCE = "tkowalski"  # credit control books payments, disputes, promises and grace
EUR = "EUR"

C = TypeVar("C")


@dataclass
class Demo:
    container: Container
    bar: Progress

    def run(self, handler: Callable[[C, CommandContext], Result], command: C, actor: str = ACTOR) -> Result:
        return self.container.execute(handler, command, Request(actor=actor))

    def get(self, ref: str) -> Any:
        """The aggregate with this id, as the store has it now."""
        return self.container.store.get(UUID(ref))

    def today(self) -> date:
        return self.container.clock.today()

    def tick(self, day: date, at: time) -> None:
        """Moves the manual clock forward to ``at`` on ``day`` (the day jobs run at each day start on
        the way); a clock that is not manual, or already later, stays."""
        clock = self.container.clock
        if clock.mode != "manual":
            return
        target = datetime.combine(day, at)
        if clock.to_instant(target) > clock.now():
            clock.tick(target, ACTOR)


@dataclass
class Agenda:
    """Whatever happens later (an acceptance, a delivery, a payment), on the day it is due; each step
    of the walk first does what fell due."""

    today: Callable[[], date]
    entries: list[tuple[date, int, Callable[[date], None]]] = field(default_factory=list)
    seq: int = 0  # the order of entries due on the same day: the order they were put on

    def at(self, day: date, action: Callable[[date], None]) -> None:
        """Puts an action on the agenda for a day (tomorrow at the earliest); it is handed the day
        it was due, which a payment takes as its value date."""
        self.seq += 1
        heapq.heappush(self.entries, (max(day, self.today() + timedelta(days=1)), self.seq, action))

    def later(self, days: int, action: Callable[[date], None]) -> None:
        self.at(self.today() + timedelta(days=days), action)

    def run_due(self, day: date) -> None:
        """Does what fell due by ``day``, in order."""
        while self.entries and self.entries[0][0] <= day:
            due, _, action = heapq.heappop(self.entries)
            action(due)
