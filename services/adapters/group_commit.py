"""Group commit: the saves of concurrent commands of one process share one transaction.

A caller queues its events and, if no save is under way, becomes the writer: it takes everything
queued at that moment (its own events and those of the callers who arrived while the previous
transaction ran) and records them in one transaction, so one commit (one fsync on SQLite, one
table lock and one commit on PostgreSQL) serves them all. Nobody waits for a batch window: a lone
caller finds the queue holding only its own events and writes them at once; batches form by
themselves as soon as a commit takes longer than the arrival of the next command.

Each caller gets the position of its own last event. When a shared transaction fails (one
command's events conflict with the log, or with another command's in the same batch, as two
transactions would), it is rolled back whole and each command is recorded again alone, so only the
command at fault sees the error and its neighbours never do.

Queued events are visible (``pending``) to the next command of this process that loads their
stream, so commands on one busy stream (a number series) follow each other into the same batch
instead of failing on each other's versions. A command that built on a queued save records it
(``after``): it is written only if that save was, in the same batch or a later one, and is refused
with ``Superseded`` if that save failed, so no stream ever gets a version whose predecessor is not
stored.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from uuid import UUID

from aggregates.base import DomainEvent

# A batch stops growing past this many events (a mailing's thousands of messages come alone).
MAX_BATCH_EVENTS = 2000


class Superseded(Exception):
    """The command built on state another command was saving, and that save failed."""


@dataclass(eq=False)
class Save:
    """One command's events on their way into the log."""

    events: Sequence[DomainEvent]
    after: frozenset[Save] = field(default_factory=frozenset)
    position: int = 0
    error: BaseException | None = None
    done: bool = False

    @property
    def failed(self) -> bool:
        return self.done and self.error is not None


class GroupCommitter:
    """``record`` writes events in one transaction and returns the log position of each, in order."""

    def __init__(
        self, record: Callable[[Sequence[DomainEvent]], list[int]], max_events: int = MAX_BATCH_EVENTS
    ) -> None:
        self.record = record
        self._max_events = max_events
        self._lock = threading.Lock()
        self._written = threading.Condition(self._lock)
        self._queue: list[Save] = []
        self._writing = False
        # The queued and in-flight events of each stream, in the order they were queued.
        self._pending: dict[UUID, list[tuple[Save, DomainEvent]]] = {}
        # How many transactions served how many commands: for tests and metrics.
        self.transactions = 0
        self.commands = 0

    def commit(self, events: Sequence[DomainEvent], after: Iterable[Save] = ()) -> int:
        """Records ``events`` atomically; returns the position of the last of them."""
        return self.wait(self.submit(events, after))

    def submit(self, events: Sequence[DomainEvent], after: Iterable[Save] = ()) -> Save:
        """Queues ``events`` (visible to ``pending`` from now on); ``wait`` gets them written."""
        save = Save(events, frozenset(after))
        with self._lock:
            self._queue.append(save)
            for e in events:
                self._pending.setdefault(e.originator_id, []).append((save, e))
        return save

    def wait(self, save: Save) -> int:
        """Waits until ``save`` is written, writing a batch itself if no one else is."""
        with self._lock:
            while self._writing and not save.done:
                self._written.wait()
            if save.done:
                batch: list[Save] = []
            else:
                self._writing = True
                batch = self._take()
        if batch:
            try:
                self._write(batch)
            finally:
                with self._lock:
                    for s in batch:
                        if not s.done:  # the writer was interrupted: nobody may take 0 for a position
                            s.error, s.done = RuntimeError("the save was interrupted"), True
                        for e in s.events:
                            self._forget(s, e.originator_id)
                        s.after = frozenset()  # decided: no chain of saves is kept alive through it
                    self._writing = False
                    self._written.notify_all()
        if save.error is not None:
            raise save.error
        return save.position

    def pending(self, stream_id: UUID) -> list[tuple[Save, DomainEvent]]:
        """The stream's queued and in-flight events, in the order they were queued."""
        with self._lock:
            return list(self._pending.get(stream_id, ()))

    def settled(self, saves: Iterable[Save]) -> bool:
        """Waits until the saves are written or refused; whether all were written."""
        saves = list(saves)
        with self._lock:
            while not all(s.done for s in saves):
                self._written.wait()
        return not any(s.failed for s in saves)

    def _forget(self, save: Save, stream_id: UUID) -> None:
        queued = [q for q in self._pending.get(stream_id, ()) if q[0] is not save]
        if queued:
            self._pending[stream_id] = queued
        else:
            self._pending.pop(stream_id, None)

    def _take(self) -> list[Save]:
        """What is queued now, up to the batch limit (the first save always)."""
        size = 0
        n = len(self._queue)
        for i, save in enumerate(self._queue):
            size += len(save.events)
            if i and size > self._max_events:
                n = i
                break
        batch, self._queue = self._queue[:n], self._queue[n:]
        return batch

    def _write(self, batch: list[Save]) -> None:
        live: list[Save] = []
        for s in batch:  # in queue order: what a save built on comes before it
            if not self._refused(s, along=live):
                live.append(s)
        if len(live) > 1:
            try:
                positions = self.record([e for s in live for e in s.events])
            except Exception:
                pass  # someone's events were refused: find out whose, one transaction each
            else:
                self._count(len(live))
                start = 0
                for s in live:
                    end = start + len(s.events)
                    s.position = max(positions[start:end])
                    s.done = True
                    start = end
                return
        for s in live:
            if self._refused(s):  # what it built on failed just now
                continue
            try:
                s.position = max(self.record(s.events))
                self._count(1)
            except Exception as error:
                s.error = error
            s.done = True

    @staticmethod
    def _refused(save: Save, along: Sequence[Save] = ()) -> bool:
        """Refuses a save built on one that failed (or, which cannot happen in queue order, on
        one neither written nor in the same transaction): recording it would leave a gap in a
        stream's versions."""
        if all((a.done and not a.failed) or a in along for a in save.after):
            return False
        save.error, save.done = Superseded("it built on a save that failed"), True
        return True

    def _count(self, commands: int) -> None:
        self.transactions += 1
        self.commands += commands


def continuation(queued: Sequence[tuple[Save, DomainEvent]], version: int) -> tuple[list[DomainEvent], set[Save]]:
    """The queued events that continue a stream from ``version``, and the saves they belong to
    (which a command building on them must come after)."""
    events, saves = [], set()
    for save, e in queued:
        if e.originator_version == version + 1 and not save.failed:
            events.append(e)
            saves.add(save)
            version += 1
    return events, saves
