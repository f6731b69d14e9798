"""One leader per job family: the process that holds the family's lock runs its job, the others
stand by and try the lock every second, so a worker that dies (its session ends with it) is
replaced within a few seconds.

A leader checks its lock connection every round; when it is lost (the database restarted, the
session was terminated), the leader stops its jobs at once and competes again like the others.
The jobs are safe to overlap for the moment this takes: process managers act by idempotent
commands, a sender wins a message by a version race, the relay moves its position by
compare-and-set and the payments consumer commits after the log."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger("counterparty.leader")

# The families, in the order they are taken: the read models and process managers first.
FAMILIES = ("processes", "clock", "sender", "mailer", "relay", "payments")


@dataclass(frozen=True)
class Job:
    family: str
    start: Callable[[], None]
    stop: Callable[[], None]


class Locks(Protocol):
    def try_acquire(self, family: str) -> bool: ...

    def alive(self) -> bool: ...

    def close(self) -> None: ...


class SoleProcess:
    """SQLite: one process, so it holds every lock."""

    def try_acquire(self, family: str) -> bool:
        return True

    def alive(self) -> bool:
        return True

    def close(self) -> None:
        pass


class Leadership:
    def __init__(self, locks: Locks, jobs: list[Job], interval: float = 1.0) -> None:
        self.locks = locks
        self.jobs = jobs
        self.interval = interval
        self._held: list[str] = []
        self._lock = threading.Lock()
        self._unreachable = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def families(self) -> list[str]:
        return [job.family for job in self.jobs]

    def leading(self) -> list[str]:
        with self._lock:
            return list(self._held)

    def start(self) -> None:
        """Takes what it can at once (a lone process starts its jobs before it answers), then
        keeps trying in the background."""
        self._round()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="leadership", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self._round()
            except Exception:  # never let the thread die: a process without it leads nothing
                log.exception("leadership round failed")

    def _round(self) -> None:
        with self._lock:
            if self._held and not self.locks.alive():
                log.warning("leader locks lost: stopping their jobs", extra={"families": self._held})
                self._stop_jobs()
            for job in self.jobs:
                if job.family in self._held or self._stop.is_set():
                    continue
                try:
                    acquired = self.locks.try_acquire(job.family)
                except Exception as error:  # the database is away: try again next round
                    if not self._unreachable:
                        log.warning("leader locks unavailable; retrying", extra={"error": str(error)})
                    self._unreachable = True
                    self.locks.close()
                    return
                self._unreachable = False
                if acquired:
                    log.info("leading", extra={"family": job.family})
                    job.start()
                    self._held.append(job.family)

    def _stop_jobs(self) -> None:
        """Stops the held jobs side by side: each may wait for a call under way (a transport, a
        broker), and the sooner all have stopped, the shorter they overlap with a new leader's."""

        def stop(job: Job) -> None:
            try:
                job.stop()
            except Exception:
                log.exception("stopping a job failed", extra={"family": job.family})

        stopping = [threading.Thread(target=stop, args=(j,)) for j in self.jobs if j.family in self._held]
        for thread in stopping:
            thread.start()
        for thread in stopping:
            thread.join()
        self._held.clear()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        with self._lock:
            self._stop_jobs()
        self.locks.close()
