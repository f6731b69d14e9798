"""Applying a page of the log to a projection exactly once, and rebuilding read models from the
log in one pass (``Runner`` inherits this; ``replay --verify`` builds scratch copies with it)."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor

from sqlalchemy import text, update
from sqlalchemy.engine import Connection

from projections.catalog import Catalog, Projection, Rows, tracking, tracking_key
from projections.log import LoggedEvent, LogReader

REBUILD_THREADS = 4  # read models applying a page at the same time in a rebuild on PostgreSQL
# What a rebuild hands one projection of a page: the version, where it stands, the events after that.
Part = tuple[Projection, int, int, list[LoggedEvent]]


class PageTaken(Exception):
    """Another process applied this page first."""


class Rebuilds:
    # Set by ``Runner.__init__``.
    catalog: Catalog
    log: LogReader
    page: int
    _is_postgres: bool
    _drain_lock: threading.RLock

    def _apply(
        self, conn: Connection, projection: Projection, version: int, start: int, batch: list[LoggedEvent]
    ) -> None:
        """Applies ``batch`` and moves the position past it, if it still stands at ``start``."""
        name = projection.name
        rows = Rows(conn, self.catalog.table_set(name, version), self.catalog.statements(name, version))
        for logged in batch:
            rows.position = logged.position
            projection.apply(logged.event, rows)
        rows.flush()
        moved = conn.execute(
            update(tracking)
            .where(tracking.c.key == tracking_key(name, version), tracking.c.position == start)
            .values(position=batch[-1].position)
        ).rowcount
        if moved != 1:
            # Another process applied this page first: roll ours back.
            raise PageTaken()

    def _no_commit_flush(self, conn: Connection) -> None:
        """On PostgreSQL, lets this transaction commit without waiting for its WAL flush. Safe
        here: a page's rows and its tracking position commit atomically, so a server crash can
        only lose both, and the page is applied again from the log (a process manager's
        reactions are idempotent by design). It saves an fsync per page and per reaction."""
        if self._is_postgres:
            conn.execute(text("SET LOCAL synchronous_commit = off"))

    # -- rebuild and verify --------------------------------------------------------------------

    def rebuild(self, name: str, progress: Callable[[int], None] | None = None) -> int:
        """Rebuilds one projection (see ``rebuild_all``)."""
        return self.rebuild_all([name], progress)

    def rebuild_all(self, names: Iterable[str], progress: Callable[[int], None] | None = None) -> int:
        """Fills a new version of each projection from the log while the live ones serve, then
        switches the queries to them and drops the old tables. Each page of the log is read and
        decoded once for all of them; returns how many events were read."""
        old = {name: self.catalog.version(name) for name in names}
        new = {name: version + 1 for name, version in old.items()}
        events = self.build_copies(new, progress)
        with self._drain_lock:
            events += self.catch_up_all(new, progress)
            with self.catalog.engine.begin() as conn:
                for name, version in new.items():
                    self.catalog.switch(conn, name, version)
        for name, version in old.items():
            self.catalog.drop(name, version)
        return events

    def build_copies(self, versions: dict[str, int], progress: Callable[[int], None] | None = None) -> int:
        """Builds the given versions of projections afresh from the log (for a rebuild, and for
        ``replay --verify``, which compares scratch versions with the live ones)."""
        for name, version in versions.items():
            self.catalog.drop(name, version)  # leftovers of an interrupted build
            self.catalog.ensure(name, version)
        return self.catch_up_all(versions, progress)

    def catch_up_all(self, versions: dict[str, int], progress: Callable[[int], None] | None = None) -> int:
        """Brings the given versions of projections to the head, reading and decoding each page of
        the log once and handing it to every one of them that has not passed it. Each moves its
        position in the same transaction as its rows, only if it still stands where the page
        starts for it (exactly once, as ``apply_page``); those with nothing to do in the page only
        move their positions. ``progress`` hears of every page read; returns how many events were read.

        On SQLite one transaction holds the whole page for all of them. On PostgreSQL each read
        model applies the page in a transaction of its own, side by side with the others, and the
        next page is read meanwhile: much of their time is spent waiting for the server, which
        works on another core."""
        if not versions:
            return 0
        keys = {name: tracking_key(name, version) for name, version in versions.items()}
        pool = ThreadPoolExecutor(REBUILD_THREADS, "rebuild") if self._is_postgres else None
        ahead: tuple[int, Future[list[LoggedEvent]]] | None = None  # the page read in advance
        read = 0
        # Each page's events live until the page is applied, long enough to set off the garbage
        # collector's full passes, and each would walk every object of the process: the objects
        # that lived before the rebuild are left out of them until it ends.
        gc.freeze()
        try:
            while True:
                positions = self.catalog.positions()
                starts = {name: positions.get(key, 0) for name, key in keys.items()}
                after = min(starts.values())
                batch = ahead[1].result() if ahead and ahead[0] == after else self.log.read(after, self.page)
                ahead = None
                if not batch:
                    return read
                if pool and len(batch) == self.page:
                    ahead = (batch[-1].position, pool.submit(self.log.read, batch[-1].position, self.page))
                skips: list[tuple[str, int, int]] = []  # (key, from, to) of the positions that only move
                work: list[Part] = []
                types = {type(x.event) for x in batch}
                for name, start in starts.items():
                    part = batch if start == after else [x for x in batch if x.position > start]
                    if not part:
                        continue
                    projection = self.catalog.projections[name]
                    found = types if part is batch else {type(x.event) for x in part}
                    if projection.every or not found.isdisjoint(projection.handlers):
                        work.append((projection, versions[name], start, part))
                    else:
                        skips.append((keys[name], start, part[-1].position))
                if pool:
                    for future in [pool.submit(self._apply_parts, [w], []) for w in work]:
                        future.result()
                    self._apply_parts([], skips)
                else:
                    self._apply_parts(work, skips)
                read += len(batch)
                if progress:
                    progress(len(batch))
                if len(batch) < self.page:
                    # A short page reached the head: skip the round that would confirm it.
                    return read
        finally:
            gc.unfreeze()
            if pool:
                pool.shutdown(cancel_futures=True)

    def _apply_parts(self, work: list[Part], skips: list[tuple[str, int, int]]) -> None:
        """Applies parts of a page and moves the positions of ``skips``, in one transaction."""
        try:
            with self.catalog.engine.begin() as conn:
                self._no_commit_flush(conn)
                for projection, version, start, part in work:
                    self._apply(conn, projection, version, start, part)
                for key, start, end in skips:
                    stmt = update(tracking).where(tracking.c.key == key, tracking.c.position == start)
                    conn.execute(stmt.values(position=end))
        except PageTaken:
            pass  # another process applied a part first: the next round starts from the positions
