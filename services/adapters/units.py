"""The commands running in this process, each a unit of work in its own thread.

A command holds each stream it loads from the load until its save is queued (or until it ends),
so two commands of this process never build the same next version of a stream: the second one
loads the stream after the first queued its events, and builds on them (``GroupCommitter.pending``).
What it read from queued saves it must come after (``Unit.read``).

Streams are held through a fixed set of re-entrant locks (a stream's lock is chosen by its id),
so holding costs no bookkeeping per stream, and a command holds at most ``MAX_HELD`` of them. Two
commands that load two streams in opposite orders could wait for each other: a command that waits
too long gives up with ``ConcurrencyConflict``, which releases what it holds, and is run again like
any lost race.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from uuid import UUID

from commands.context import ConcurrencyConflict
from services.adapters.group_commit import Save

STRIPES = 1024
# Longer than any command holds a stream, also on a busy machine; reached only by a deadlock.
HOLD_WAIT = 3.0
# A command that loads more streams than this (a mailing's batch of recipients) holds only the
# first ones: the rest it reads as before, with the store's version check as the only guard, so
# that it never keeps a large part of the process waiting.
MAX_HELD = 32


@dataclass(eq=False)
class Unit:
    held: list[threading.RLock] = field(default_factory=list)
    # The queued saves whose events this command loaded.
    read: set[Save] = field(default_factory=set)


class Units:
    def __init__(self) -> None:
        self._stripes = [threading.RLock() for _ in range(STRIPES)]
        self._local = threading.local()

    @contextmanager
    def unit(self) -> Iterator[Unit]:
        outer = self.current()
        unit = self._local.unit = Unit()
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
        lock = self._stripes[stream_id.int % STRIPES]
        if not lock.acquire(timeout=HOLD_WAIT):
            raise ConcurrencyConflict(f"stream {stream_id} is held by another command")
        unit.held.append(lock)

    def release(self, unit: Unit) -> None:
        while unit.held:
            unit.held.pop().release()
