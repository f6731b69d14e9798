"""The workers' jobs by family (``services/workers/leader.py`` runs each while this process leads
it): what a ``counterparty worker`` and a ``serve`` of role ``all`` do besides the read models."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Protocol

from services.settings import Settings
from services.workers.leader import FAMILIES, Job
from services.workers.mailer import MailingPreparer
from services.workers.sender import Sender

if TYPE_CHECKING:
    from services.bootstrap.container import Container


def job_families(settings: Settings) -> list[str]:
    """The families a deployment with these settings has."""
    present = {"relay": bool(settings.kafka_bootstrap)}
    present["payments"] = present["relay"] and bool(settings.kafka_payments_topic)
    return [family for family in FAMILIES if present.get(family, True)]


class Worker(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...


class Fresh:
    """A worker made anew each time this process starts leading its family, so that nothing of an
    earlier lead carries over; stopped and let go when the lead ends."""

    def __init__(self, make: Callable[[], Worker]) -> None:
        self.make = make
        self.worker: Worker | None = None

    def start(self) -> None:
        self.worker = self.make()
        self.worker.start()

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()
            self.worker = None


class WorkerJobs:
    """Each job is started afresh when this process becomes its family's leader, and stopped when
    it stops leading (or closes)."""

    def __init__(self, c: Container, scheduler: bool = True, sender: bool = True) -> None:
        self.c = c
        sender_job = Fresh(lambda: Sender(c.ports, lease=timedelta(seconds=c.settings.delivery_lease)))
        mailer_job = Fresh(lambda: MailingPreparer(c.ports))
        payments_job = Fresh(self._bank_lines)
        starts = {
            "processes": (self._lead_processes, self._follow_processes),
            "clock": (c.clock.start_scheduler, c.clock.stop_scheduler),
            "sender": (sender_job.start, sender_job.stop),
            "mailer": (mailer_job.start, mailer_job.stop),
            "relay": (c.relay.start, c.relay.stop) if c.relay is not None else None,
            "payments": (payments_job.start, payments_job.stop),
        }
        left_out = set() if scheduler else {"clock"}
        left_out |= set() if sender else {"sender", "mailer"}
        self.jobs = [
            Job(family, *pair)
            for family in job_families(c.settings)
            if family not in left_out and (pair := starts[family]) is not None
        ]

    def _lead_processes(self) -> None:
        self.c.runner.applying = True
        self.c.runner.wake()

    def _follow_processes(self) -> None:
        self.c.follow()

    def _bank_lines(self) -> Worker:
        from services.workers.bank_lines import BankLineConsumer

        return BankLineConsumer(self.c.ports)
