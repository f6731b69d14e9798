"""The commands running in this process, each a unit of work in its own thread.

A command holds each stream it loads from the load until its save is queued (or until it ends),
so two commands of this process never build the same next version of a stream: the second one
loads the stream after the first queued its events, and builds on them (``GroupCommitter.pending``).
What it read from queued saves it must come after (``Unit.read``).

Streams are held through a fixed set of stripes (a stream's stripe is chosen by its id), so
holding costs no bookkeeping per stream, and a command holds at most ``MAX_HELD`` of them.

Two commands that load two streams in opposite orders (an invoice's partner account, then the
number series; a payment the other way round) would wait for each other. Deadlock is prevented
by wait-die: every command has a ticket, drawn when it is first tried and kept over its retries.
An older command waits for a younger one's stripe; a younger one that meets an older one's
stripe gives up at once with ``ConcurrencyConflict``, which releases what it holds, and is run
again like any lost race. Waits only ever go from older to younger, so they cannot form a cycle,
and a retried command keeps its age until it is the oldest and goes through.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from uuid import UUID

from commands.context import ConcurrencyConflict
from services.adapters.group_commit import Save

STRIPES = 1024
# A safety net only: wait-die never lets a wait form a cycle, so an older command waits no longer
# than a younger one takes to finish its command.
HOLD_WAIT = 30.0
# A command that loads more streams than this (a mailing's batch of recipients) holds only the
# first ones: the rest it reads as before, with the store's version check as the only guard, so
# that it never keeps a large part of the process waiting.
MAX_HELD = 32


@dataclass(eq=False)
class Unit:
    ticket: int
    thread: int = field(default_factory=threading.get_ident)
    # The stripes held, once per hold (a stripe can be held again, by a stream that shares it).
    held: list[int] = field(default_factory=list)
    # The queued saves whose events this command loaded.
    read: set[Save] = field(default_factory=set)


class Units:
    def __init__(self) -> None:
        self._owners: dict[int, Unit] = {}
        self._changed = threading.Condition()
        self._tickets = itertools.count(1)
        self._local = threading.local()

    def ticket(self) -> int:
        """A command's age: lower is older."""
        return next(self._tickets)

    @contextmanager
    def unit(self, ticket: int | None = None) -> Iterator[Unit]:
        outer = self.current()
        unit = self._local.unit = Unit(ticket if ticket is not None else self.ticket())
        try:
            yield unit
        finally:
            self.release(unit)
            self._local.unit = outer

    def current(self) -> Unit | None:
        """The unit of work of this thread's command, if a command is running in it."""
        return getattr(self._local, "unit", None)

    def hold(self, unit: Unit, stream_id: UUID) -> None:
        if len(unit.held) >= MAX_HELD:
            return
        stripe = stream_id.int % STRIPES
        with self._changed:
            while (owner := self._owners.get(stripe)) is not None and owner.thread != unit.thread:
                if unit.ticket > owner.ticket:
                    raise ConcurrencyConflict(f"stream {stream_id} is held by an older command")
                if not self._changed.wait(HOLD_WAIT):
                    raise ConcurrencyConflict(f"stream {stream_id} is held by another command")
            if owner is None:
                # A command nested in another one of the same thread (a process manager's
                # reaction) shares what the outer one holds; the outer one releases it.
                self._owners[stripe] = unit
            unit.held.append(stripe)

    def release(self, unit: Unit) -> None:
        if not unit.held:
            return
        with self._changed:
            for stripe in unit.held:
                if self._owners.get(stripe) is unit:
                    del self._owners[stripe]
            unit.held.clear()
            self._changed.notify_all()
