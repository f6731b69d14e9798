"""The workers' jobs by family (``services/workers/leader.py`` runs each while this process leads
it): what a ``counterparty worker`` and a ``serve`` of role ``all`` do besides the read models."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

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


class WorkerJobs:
    """Each job is started afresh when this process becomes its family's leader, and stopped when
    it stops leading (or closes)."""

    def __init__(self, c: Container, scheduler: bool = True, sender: bool = True) -> None:
        self.c = c
        self.sender: Sender | None = None
        self.mailer: MailingPreparer | None = None
        self.bank_lines: Any = None
        starts = {
            "processes": (self._lead_processes, self._follow_processes),
            "clock": (c.clock.start_scheduler, c.clock.stop_scheduler),
            "sender": (self._start_sender, self._stop_sender),
            "mailer": (self._start_mailer, self._stop_mailer),
            "relay": (c.relay.start, c.relay.stop) if c.relay is not None else None,
            "payments": (self._start_payments, self._stop_payments),
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

    def _start_sender(self) -> None:
        self.sender = Sender(self.c.ports, lease=timedelta(seconds=self.c.settings.delivery_lease))
        self.sender.start()

    def _stop_sender(self) -> None:
        if self.sender is not None:
            self.sender.stop()
            self.sender = None

    def _start_mailer(self) -> None:
        self.mailer = MailingPreparer(self.c.ports)
        self.mailer.start()

    def _stop_mailer(self) -> None:
        if self.mailer is not None:
            self.mailer.stop()
            self.mailer = None

    def _start_payments(self) -> None:
        from services.workers.bank_lines import BankLineConsumer

        self.bank_lines = BankLineConsumer(self.c.ports)
        self.bank_lines.start()

    def _stop_payments(self) -> None:
        if self.bank_lines is not None:
            self.bank_lines.stop()
            self.bank_lines = None
