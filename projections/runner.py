"""The batching runner: reads the log in pages and applies each page to a projection in one
transaction together with the projection's new position (exactly once), then lets the process
managers react. One instance per process; several processes may run it against one database,
because a page only commits if the position it started from is still the stored one."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial

from sqlalchemy import and_, case, func, or_, select, text, update
from sqlalchemy import exc as sql

from projections.catalog import Catalog, Projection, failures, tracking, tracking_key
from projections.log import LoggedEvent, LogReader
from projections.rebuilds import PageTaken, Rebuilds

log = logging.getLogger("counterparty.runner")

PAGE = 1000
# How many times in a row a process manager tries an event that fails before it records the event
# as failed and goes on with the next (see ``Runner.react``).
MAX_ATTEMPTS = 3
# Failures of the database or the network: retried until they pass, never a reason to skip an event.
TRANSIENT: tuple[type[BaseException], ...] = (OSError, sql.OperationalError, sql.InterfaceError, sql.TimeoutError)

# Pages of the log read during one drain round, by (after, limit).
Pages = dict[tuple[int, int], list[LoggedEvent]]


class Reactor:
    """A process manager as the runner sees it: a name and a function for one event."""

    name: str

    def react(self, logged: LoggedEvent) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def handles(self, logged: LoggedEvent) -> bool:
        """Whether ``react`` may act on this event. The runner records its progress past events
        that are not handled with one write per page instead of one per event."""
        return True


@dataclass(frozen=True)
class Skip:
    """A projection whose next page holds nothing for it: move ``key`` from ``start`` to ``end``."""

    name: str  # as ``errors`` knows it
    key: str
    start: int
    end: int
    events: int


@dataclass
class Progress:
    name: str
    position: int
    head: int
    status: str
    # ``read_model``, ``process`` or ``relay``: a process manager may bear its read model's name.
    kind: str
    # Why it is failing now, else why it last passed over an event (a process manager).
    error: str | None = None
    # How many events a process manager passed over because they failed (recorded, for good).
    failures: int = 0


class Runner(Rebuilds):
    def __init__(
        self,
        log_reader: LogReader,
        catalog: Catalog,
        reactors: Iterable[Reactor] = (),
        poll_interval: float = 0.5,
        page: int = PAGE,
    ) -> None:
        self.log = log_reader
        self.catalog = catalog
        self.reactors = list(reactors)
        self.poll_interval = poll_interval
        self.page = page
        self._drain_lock = threading.RLock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # What every processor had passed when the last round of the drain began; the requests
        # waiting for a position sleep on ``_round`` until a round reaches it.
        self._round = threading.Condition()
        self._passed = 0
        # Told what every processor has passed after each round (the API's asynchronous waits).
        self.round_listeners: list[Callable[[int], None]] = []
        # What each processor (by its tracking key's name, ``process:<name>`` for a process
        # manager) failed with in its last round, while it is retrying.
        self.errors: dict[str, str] = {}
        # The failures a process manager would not recover from, and the event (by position) it
        # keeps failing on: after ``MAX_ATTEMPTS`` the event is recorded as failed and passed.
        self.transient = TRANSIENT
        self._attempts: dict[str, tuple[int, int]] = {}
        self._is_postgres = catalog.engine.dialect.name == "postgresql"
        # Whether this process applies the pages and runs the reactors. One that does not (an API
        # process, a worker standing by) follows: each round it only reads where the leading
        # process stands and tells its waiting requests. ``announce`` is called after a drain that
        # moved anything, so that the followers in other processes look at once.
        self.applying = True
        self.announce: Callable[[], None] | None = None

    # -- applying pages ------------------------------------------------------------------------

    def apply_page(
        self, projection: Projection, version: int, limit: int | None = None, reads: Pages | None = None
    ) -> int:
        """Applies the next page to one version of a projection; returns how many events.
        ``reads`` shares pages already read from the log between the projections of one drain."""
        key = tracking_key(projection.name, version)
        with self.catalog.engine.begin() as conn:
            self._no_commit_flush(conn)
            stmt = select(tracking.c.position).where(tracking.c.key == key)
            if self._is_postgres:
                stmt = stmt.with_for_update()
            start = int(conn.execute(stmt).scalar_one())
            batch = self._read(start, limit or self.page, reads)
            if batch:
                self._apply(conn, projection, version, start, batch)
            return len(batch)

    def _read(self, start: int, limit: int, reads: Pages | None) -> list[LoggedEvent]:
        """A page of the log; with ``reads``, each page is read and decoded once per drain round.
        A page read earlier in the round may be shorter than one read now, which is still a
        correct prefix of the log: the rest is applied in the next round."""
        if reads is None:
            return self.log.read(start, limit)
        key = (start, limit)
        if key not in reads:
            reads[key] = self.log.read(start, limit)
        return reads[key]

    def catch_up(
        self,
        projection: Projection,
        version: int,
        progress: Callable[[int], None] | None = None,
        reads: Pages | None = None,
    ) -> int:
        total = 0
        while True:
            try:
                n = self.apply_page(projection, version, reads=reads)
            except PageTaken:
                continue
            if not n:
                return total
            total += n
            if progress:
                progress(n)
            if n < self.page:
                # A short page reached the head: skip the empty transaction that would confirm it.
                return total

    def react(self, reactor: Reactor, reads: Pages | None = None) -> int:
        key = f"process:{reactor.name}"
        done = 0
        while True:
            start = self.catalog.position(key)
            batch = self._read(start, self.page, reads)
            if not batch:
                return done
            passed = None  # the last event not handled since the last recorded position
            for logged in batch:
                if reactor.handles(logged):
                    self._react_to(reactor, key, logged)
                    passed = None
                else:
                    passed = logged.position
                done += 1
            if passed is not None:
                self._track(key, passed)

    def _react_to(self, reactor: Reactor, key: str, logged: LoggedEvent) -> None:
        """One event for a process manager, then its position past it. An event it fails on is
        tried again (in the next rounds) up to ``MAX_ATTEMPTS`` times in all; then the failure is
        recorded with the event's position and the process manager goes on with the next event:
        one poisoned event, partner or template never stops it for the others. A transient
        failure (the database, the network) is retried until it passes, never skipped."""
        try:
            reactor.react(logged)
        except self.transient:
            raise
        except Exception as error:
            position, attempts = self._attempts.get(key, (logged.position, 0))
            attempts = attempts + 1 if position == logged.position else 1
            if attempts < MAX_ATTEMPTS:
                self._attempts[key] = (logged.position, attempts)
                raise
            log.exception(
                "process manager passed over an event it failed on",
                extra={"processor": reactor.name, "position": logged.position, "attempts": attempts},
            )
            self._pass_over(key, logged, f"{type(error).__name__}: {error}")
        else:
            self._track(key, logged.position)
        self._attempts.pop(key, None)

    def _pass_over(self, key: str, logged: LoggedEvent, error: str) -> None:
        """Records the failure and moves the position past the event, in one transaction."""
        with self.catalog.engine.begin() as conn:
            where = (failures.c.processor == key) & (failures.c.position == logged.position)
            if conn.execute(select(failures.c.position).where(where)).first() is None:
                conn.execute(
                    failures.insert().values(
                        processor=key,
                        position=logged.position,
                        event_type=type(logged.event).__name__,
                        error=error[:2000],
                    )
                )
            conn.execute(update(tracking).where(tracking.c.key == key).values(position=logged.position))

    def _track(self, key: str, position: int) -> None:
        with self.catalog.engine.begin() as conn:
            self._no_commit_flush(conn)
            conn.execute(update(tracking).where(tracking.c.key == key).values(position=position))

    def ensure_reactors(self) -> None:
        for reactor in self.reactors:
            key = f"process:{reactor.name}"
            try:
                with self.catalog.engine.begin() as conn:
                    if conn.execute(select(tracking.c.key).where(tracking.c.key == key)).first() is None:
                        conn.execute(tracking.insert().values(key=key, position=0))
            except sql.IntegrityError:
                pass  # another process starting at the same moment created the row first

    def drain(self) -> None:
        """Brings every projection and process manager to the head, including what the process
        managers' own commands add, before returning."""
        with self._drain_lock:
            done = 0
            while True:
                # One look at the head and the positions skips the processors already there,
                # instead of a page transaction each that finds nothing.
                head = self.log.head()
                positions = self.catalog.positions()
                self._publish(min((positions.get(k, 0) for k in self.keys()), default=head))
                if not self.applying:
                    return
                reads: Pages = {}
                skips: list[Skip] = []
                moved = 0
                for projection in self.catalog.projections.values():
                    key = tracking_key(projection.name, self.catalog.version(projection.name))
                    start = positions.get(key, 0)
                    if start < head:
                        work = partial(self._catch_up_or_skip, projection, key, start, reads, skips)
                        moved += self._guarded(projection.name, work)
                for reactor in self.reactors:
                    key = f"process:{reactor.name}"
                    start = positions.get(key, 0)
                    if start < head:
                        batch = self._read(start, self.page, reads)
                        if batch and not any(reactor.handles(x) for x in batch):
                            # Nothing to react to: its position moves with the projections' skips.
                            skips.append(Skip(key, key, start, batch[-1].position, len(batch)))
                        else:
                            moved += self._guarded(key, partial(self.react, reactor, reads))
                moved += self._skip(skips)
                done += moved
                if not moved:
                    if done and self.announce is not None:
                        self.announce()
                    return

    def _catch_up_live(self, projection: Projection, reads: Pages | None = None) -> int:
        return self.catch_up(projection, self.catalog.version(projection.name), reads=reads)

    def _catch_up_or_skip(self, projection: Projection, key: str, start: int, reads: Pages, skips: list[Skip]) -> int:
        """Catches up, unless the next page holds no event the projection handles: then there
        are no rows to write, only the position to move, which ``_skip`` does for all such
        projections in one transaction."""
        batch = self._read(start, self.page, reads)
        if batch and not projection.every and not any(type(x.event) in projection.handlers for x in batch):
            skips.append(Skip(projection.name, key, start, batch[-1].position, len(batch)))
            return 0
        return self._catch_up_live(projection, reads)

    def _skip(self, skips: list[Skip]) -> int:
        """Moves the positions of projections past pages they have nothing to do with; each
        only if it still stands where the page starts (another process may have moved it)."""
        if not skips:
            return 0
        # One statement for all of them: on PostgreSQL each statement is a round trip.
        stmt = (
            update(tracking)
            .where(or_(*(and_(tracking.c.key == s.key, tracking.c.position == s.start) for s in skips)))
            .values(position=case({s.key: s.end for s in skips}, value=tracking.c.key))
            .returning(tracking.c.key)
        )
        try:
            with self.catalog.engine.begin() as conn:
                self._no_commit_flush(conn)
                done = set(conn.execute(stmt).scalars())
            moved = sum(s.events for s in skips if s.key in done)
        except Exception:  # a lost connection: the next round tries again
            log.exception("moving positions failed")
            return 0
        for skip in skips:
            self.errors.pop(skip.name, None)
        return moved

    def _guarded(self, name: str, work: Callable[[], int]) -> int:
        try:
            n = work()
            self.errors.pop(name, None)
            return n
        except Exception as error:  # a poison event must not stop the other read models
            if self.errors.get(name) != repr(error):
                log.exception("processor failed", extra={"processor": name})
            self.errors[name] = repr(error)
            return 0

    # -- waiting -------------------------------------------------------------------------------

    def keys(self) -> list[str]:
        return [tracking_key(n, self.catalog.version(n)) for n in self.catalog.projections] + [
            f"process:{r.name}" for r in self.reactors
        ]

    def lowest_position(self) -> int:
        positions = self.catalog.positions()
        return min((positions.get(k, 0) for k in self.keys()), default=0)

    def reached(self, position: int) -> bool:
        return self.lowest_position() >= position

    def wait(self, position: int, timeout: float, drive: bool = True) -> bool:
        """Waits until every processor has passed ``position``. While the background thread
        runs, the caller sleeps until a round of that thread has got there: all the requests
        waiting at one moment share one round. Without the thread (tests, command-line tools)
        the caller drives the runner itself, so the answer is immediate and deterministic."""
        deadline = time.monotonic() + timeout
        thread = self._thread
        if thread is not None and thread.is_alive() and thread is not threading.current_thread():
            return self._wait_for_round(position, deadline)
        delay = 0.01
        while True:
            if drive and self._drain_lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
                try:
                    self.drain()
                finally:
                    self._drain_lock.release()
            if self.reached(position):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(delay)
            delay = min(delay * 2, 0.2)

    def _publish(self, passed: int) -> None:
        """Tells the waiting requests what every processor has passed (read as a round of the
        drain begins, so the round that ends a drain tells where all of them stand)."""
        with self._round:
            self._passed = passed
            self._round.notify_all()
        for listener in self.round_listeners:
            listener(passed)

    @property
    def passed(self) -> int:
        """What every processor had passed when the last round of the background thread began."""
        return self._passed

    @property
    def running(self) -> bool:
        """Whether the background thread runs the rounds (else a waiting caller drives them)."""
        return self._thread is not None and self._thread.is_alive()

    def _wait_for_round(self, position: int, deadline: float) -> bool:
        with self._round:
            if self._passed < position:
                self.wake()  # a position another process wrote: look now, not at the next poll
            while self._passed < position and self._thread is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._round.wait(remaining)
            if self._passed >= position:
                return True
        return self.reached(position)  # the positions themselves, which other processes move too

    # -- the background thread -----------------------------------------------------------------

    def wake(self, _position: int | None = None) -> None:
        self._wake.set()

    def start(self) -> None:
        self.ensure_reactors()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="projection-runner", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            # Cleared before the round: a save during the round wakes the next one at once.
            self._wake.clear()
            try:
                self.catalog.refresh()
                self.drain()
            except Exception:  # a lost connection: log, back off, go on
                log.exception("runner loop failed; retrying")
                self._stop.wait(1.0)
            self._wake.wait(self.poll_interval)

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=10)
            self._thread = None
        with self._round:  # nobody sleeps for a round that will not come
            self._round.notify_all()

    def status(self) -> list[Progress]:
        head = self.log.head()
        positions = self.catalog.positions()
        result = []
        for name in self.catalog.projections:
            position = positions.get(tracking_key(name, self.catalog.version(name)), 0)
            state = self._state(name, position, head)
            result.append(Progress(name, position, head, state, "read_model", self.errors.get(name)))
        passed_over = self.failures()
        for reactor in self.reactors:
            key = f"process:{reactor.name}"
            position = positions.get(key, 0)
            count, last = passed_over.get(key, (0, None))
            state = self._state(key, position, head, degraded=count > 0)
            error = self.errors.get(key, last)
            result.append(Progress(reactor.name, position, head, state, "process", error, count))
        return result

    def _state(self, key: str, position: int, head: int, degraded: bool = False) -> str:
        """``failed`` while it fails (and retries), ``degraded`` once it passed over an event it
        failed on (for good: those events' effects did not happen), else where it stands."""
        if key in self.errors:
            return "failed"
        if degraded:
            return "degraded"
        return "live" if position >= head else "catching_up"

    def failures(self) -> dict[str, tuple[int, str]]:
        """Per process manager (by tracking key): how many events it passed over, and the last."""
        with self.catalog.engine.connect() as conn:
            counts = conn.execute(
                select(failures.c.processor, func.count(), func.max(failures.c.position)).group_by(failures.c.processor)
            ).all()
            if not counts:
                return {}
            last = or_(*((failures.c.processor == k) & (failures.c.position == p) for k, _, p in counts))
            rows = conn.execute(
                select(failures.c.processor, failures.c.position, failures.c.event_type, failures.c.error).where(last)
            )
            errors = {k: f"position {p} ({t}): {e}" for k, p, t, e in rows.all()}
        return {k: (int(n), errors[k]) for k, n, _ in counts}

    def ping(self) -> None:
        with self.catalog.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

