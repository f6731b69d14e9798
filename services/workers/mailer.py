"""The mailing preparer: a loop that finishes mailings (and balance confirmation series) whose
preparation stopped.

A mailing is prepared in the request that sends it (or, with ``Prefer: respond-async``, in a
thread of that process), batch by batch. If that process dies in between, the mailing stays
``preparing``; once it has not moved for the lease (wall clock, far longer than one batch takes),
this loop resumes it from its last recorded batch. Two preparers racing on one mailing (a slow
original and a resumer) cannot both record a batch: the mailing refuses a batch number twice, and
the messages' ids are derived from the mailing and the contact, so nobody gets it twice. A
balance confirmation series is resumed the same way (commands/balance_confirmations.py)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from aggregates.balance_confirmation import BalanceConfirmationSeries
from aggregates.mailing import Mailing
from commands.balance_confirmations import SeriesProgress, prepare_series
from commands.balance_confirmations import progress_of as series_progress
from commands.campaign_launch import LaunchCampaign, audience
from commands.context import Result
from commands.mailings import BATCH, Candidate, MailingProgress, first_recipient, prepare_mailing, progress_of
from queries.balance_confirmations import BalanceConfirmationQueries
from queries.campaigns import CampaignQueries
from queries.mailings import MailingQueries
from services.workers.ports import Ports, Request

log = logging.getLogger("counterparty.mailer")
ACTOR = "process:mailer"
LEASE = timedelta(minutes=2)


def prepare(
    ports: Ports,
    mailing_id: UUID,
    actor: str = ACTOR,
    candidates: list[Candidate] | None = None,
    batch: int = BATCH,
) -> MailingProgress:
    """Queues what is left of the mailing's plan (the whole plan made again, unless given), and
    answers once the read models show it, like a command."""

    def run(handler: Any, command: Any) -> Result:
        return ports.execute(handler, command, Request(actor=actor))

    mailing = ports.store.get(mailing_id)
    assert isinstance(mailing, Mailing)
    progress = prepare_mailing(run, MailingQueries(ports.catalog), progress_of(mailing), candidates, batch)
    ports.wait(ports.store.head(), ports.settings.consistency_timeout)
    return progress


def prepare_confirmations(ports: Ports, series_id: UUID, actor: str = ACTOR) -> SeriesProgress:
    """Sends what is left of the balance confirmation series' plan, then completes it."""

    def run(handler: Any, command: Any) -> Result:
        return ports.execute(handler, command, Request(actor=actor))

    series = ports.store.get(series_id)
    assert isinstance(series, BalanceConfirmationSeries)
    progress = prepare_series(run, BalanceConfirmationQueries(ports.catalog), series_progress(series))
    ports.wait(ports.store.head(), ports.settings.consistency_timeout)
    return progress


def campaign_launch(ports: Ports, code: str) -> tuple[LaunchCampaign, list[Candidate]]:
    """What launching the campaign now sends: the command (the target list its criteria select,
    and a recipient to render the template for first) and its mailing's plan (who is mailed,
    who is skipped, consent applied), to queue once the launch is recorded."""
    campaigns = CampaignQueries(ports.catalog)
    targets = campaigns.target_ids(code)
    plan = MailingQueries(ports.catalog).candidates(audience(code, campaigns.target(code), targets))
    command = LaunchCampaign(code=code, targets=targets, links=ports.settings.public_url, sample=first_recipient(plan))
    return command, plan


class MailingPreparer:
    def __init__(
        self,
        ports: Ports,
        wall: Callable[[], datetime] | None = None,
        lease: timedelta = LEASE,
        poll_interval: float = 5.0,
    ) -> None:
        self.ports = ports
        self.wall = wall or (lambda: datetime.now(UTC))
        self.lease = lease
        self.poll_interval = poll_interval
        self.queries = MailingQueries(ports.catalog)
        self.confirmations = BalanceConfirmationQueries(ports.catalog)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        """Resumes every stalled mailing and balance confirmation series; returns how many. One
        that cannot go on is logged and tried again next round; it does not keep the others waiting."""
        before = self.wall() - self.lease
        stalled = self.queries.stalled(before)
        for mailing_id in stalled:
            log.warning("resuming a stalled mailing", extra={"mailing": str(mailing_id)})
            try:
                prepare(self.ports, mailing_id)
            except Exception:
                log.exception("resuming the mailing failed; retrying next round", extra={"mailing": str(mailing_id)})
        series = self.confirmations.stalled(before)
        for series_id in series:
            log.warning("resuming a stalled balance confirmation series", extra={"series": str(series_id)})
            try:
                prepare_confirmations(self.ports, series_id)
            except Exception:
                log.exception("resuming the series failed; retrying next round", extra={"series": str(series_id)})
        return len(stalled) + len(series)

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="mailing-preparer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # a lost connection, or a mailing that cannot go on: log, go on
                log.exception("mailing preparer round failed; retrying")
            self._stop.wait(self.poll_interval)

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=60)
            self._thread = None
