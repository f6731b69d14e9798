"""The composition root: builds the store, the read-model database, the runner, the clock and the
command executor from the settings. Everything else receives what it needs from here."""

from __future__ import annotations

import importlib
import logging
import os
import pkgutil
import random
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from eventsourcing.persistence import PersistenceError
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine

from aggregates.errors import DomainError, VersionConflict, conflict
from aggregates.idempotency import IdempotencyRecord
from commands.context import CommandContext, ConcurrencyConflict, IdempotencyReplay, Result
from processes.activity_reminders import activity_reminders
from processes.base import ProcessManager, Reactions
from processes.collection import collection_process
from processes.recurring_invoices import recurring
from processes.requests import requests_process
from processes.sales import sales
from projections.activities import activities
from projections.api_keys import api_keys
from projections.audit_index import audit_index
from projections.balance_confirmations import balance_confirmations
from projections.bank_lines import bank_lines
from projections.campaigns import campaigns
from projections.catalog import Catalog, Projection
from projections.collection import collection
from projections.custom_fields import custom_fields
from projections.documents import documents
from projections.interest_areas import interest_areas
from projections.interest_notes import interest_notes
from projections.mailings import mailings
from projections.messages import messages
from projections.partner_directory import directory
from projections.partner_groups import partner_groups
from projections.portal_tokens import portal_tokens
from projections.profitability import profitability
from projections.receivables import receivables
from projections.recurring_invoices import recurring_invoices
from projections.requests import requests
from projections.runner import TRANSIENT, Progress, Runner
from projections.timeline import timeline
from projections.users import users
from queries.activities import ActivityQueries
from queries.collection import CollectionQueries
from queries.documents import DocumentQueries
from queries.messages import MessageQueries
from queries.recurring_invoices import RecurringQueries
from queries.requests import RequestQueries
from services.adapters.attachment_files import AttachmentFiles
from services.adapters.letters import Letters
from services.adapters.personal_data import master_key
from services.adapters.rebuild_locks import RebuildLock, RebuildLocks
from services.adapters.store import EventStore
from services.bootstrap.jobs import WorkerJobs, job_families
from services.settings import Settings
from services.workers.clock import ClockService
from services.workers.leader import Leadership, Locks, SoleProcess
from services.workers.ports import Ports, Request

log = logging.getLogger("counterparty")
# The log's NOTIFY channel (the event table's name): every append, and every drain of the leading
# runner, wakes the runners and relays of the other processes.
CHANNEL = "counterparty_events"

PROJECTIONS: list[Projection] = [
    directory,
    partner_groups,
    users,
    custom_fields,
    api_keys,
    portal_tokens,
    documents,
    receivables,
    bank_lines,
    profitability,
    recurring_invoices,
    collection,
    messages,
    requests,
    activities,
    campaigns,
    interest_areas,
    interest_notes,
    balance_confirmations,
    mailings,
    timeline,
    audit_index,
]
PROCESSES: list[Reactions] = [sales, recurring, collection_process, activity_reminders, requests_process]


class ProcessReads:
    """The read models a process manager may consult."""

    def __init__(self, catalog: Catalog) -> None:
        self.documents = DocumentQueries(catalog)
        self.recurring = RecurringQueries(catalog)
        self.messages = MessageQueries(catalog)
        self.collection = CollectionQueries(catalog)
        self.activities = ActivityQueries(catalog)
        self.requests = RequestQueries(catalog)


C = TypeVar("C")
ATTEMPTS = 25


def read_model_engine(url: str, pool_size: int = 8) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_engine(
        url.replace("postgresql://", "postgresql+psycopg://", 1).replace("postgres://", "postgresql+psycopg://", 1),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
    )


@contextmanager
def schema_lock(url: str) -> Iterator[None]:
    """Serialises start-up DDL across processes on PostgreSQL: concurrent CREATE … IF NOT EXISTS
    statements can fail there with "tuple concurrently updated"."""
    if url.startswith("sqlite"):
        yield
        return
    with _first_connection(url) as conn:
        conn.execute("SELECT pg_advisory_lock(727274)")
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(727274)")


STARTUP_WAIT = 60.0


def _first_connection(url: str) -> Any:
    """A process's first connection to PostgreSQL, waited for up to ``STARTUP_WAIT`` seconds: a
    server still starting, or one at ``max_connections`` while other processes start beside this
    one, is a moment's condition that a deployment's processes should ride out, not die of."""
    import psycopg

    from services.adapters.store import postgres_conninfo

    deadline = time.monotonic() + STARTUP_WAIT
    while True:
        try:
            return psycopg.connect(postgres_conninfo(url), autocommit=True)
        except psycopg.OperationalError as error:
            if time.monotonic() > deadline:
                raise
            log.warning("database not reachable yet; retrying", extra={"error": str(error).strip()})
            time.sleep(1.0)


def import_aggregates() -> None:
    """Imports every module of ``aggregates``: an event's class registers its topic when its
    module is imported, and a process that runs no command (``replay``, ``projections``) must
    still decode every event in the log."""
    import aggregates

    for module in pkgutil.iter_modules(aggregates.__path__):
        importlib.import_module(f"aggregates.{module.name}")


class Container:
    def __init__(
        self,
        settings: Settings,
        *,
        store: EventStore | None = None,
        engine: Engine | None = None,
        projections: list[Projection] = PROJECTIONS,
        processes: list[Reactions] = PROCESSES,
    ) -> None:
        """``store``, ``engine``, ``projections`` and ``processes`` narrow it for a throw-away
        copy of the books (``services.bootstrap.simulation``): a log and a read-model database of
        its own, and only the read models and process managers that the daily jobs need."""
        import_aggregates()
        self.settings = settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        with schema_lock(settings.event_store_url):
            key = master_key(settings.master_key, settings.data_dir)
            self.store = store or EventStore(settings.event_store_url, key, settings.db_pool_size)
            self.engine = engine or read_model_engine(settings.read_model_url, settings.db_pool_size)
            self.catalog = Catalog(self.engine, projections)
        reads = ProcessReads(self.catalog)
        self.managers: list[ProcessManager] = [p.manager(self._process_execute, reads) for p in processes]
        self.runner = Runner(self.store, self.catalog, self.managers)
        # A process manager's command failing for these is retried, never passed over.
        self.runner.transient = (*TRANSIENT, PersistenceError, ConcurrencyConflict)
        self.store.on_saved(self.runner.wake)
        self.letters = Letters(self.store, self.catalog, settings)
        self.store.on_erased(self.letters.shred)
        self.store.on_erased(AttachmentFiles(self.catalog, self.letters.blobs).shred)
        self.clock = ClockService(settings, self.store, self.execute, self.wait, self.next_moment)
        self.ports = Ports(settings, self.store, self.catalog, self.execute, self.wait, self.clock.now)
        self._listener: Any = None
        self.rebuild_locks = RebuildLocks(settings.event_store_url, settings.data_dir)
        # What this process is (``all``, ``api`` or ``worker``), and its name as a leader.
        self.role: str = settings.role
        self.identity = f"{socket.gethostname()}:{os.getpid()}"
        self.jobs: WorkerJobs | None = None
        self.leadership: Leadership | None = None
        if self.store.is_postgres:
            self.runner.announce = self._announce
        # Kafka (docs/kafka.md); imported only when configured.
        self.relay: Any = None
        if settings.kafka_bootstrap:
            from services.workers.relay import KafkaRelay

            self.relay = KafkaRelay(self.ports)
            self.store.on_saved(self.relay.wake)

    # -- commands ------------------------------------------------------------------------------

    def context(self, request: Request) -> CommandContext:
        now = request.now or self.clock.now()
        kwargs: dict[str, Any] = {}
        if request.correlation:
            kwargs["correlation"] = request.correlation
        return CommandContext(
            store=self.store,
            today=self.clock.today(now),
            now=now,
            actor=request.actor,
            causation=request.causation,
            expected_version=request.expected_version,
            idempotency=request.idempotency,
            currency=self.settings.currency,
            zone=self.settings.zone,
            recorded_at=lambda: datetime.now(UTC),
            **kwargs,
        )

    def execute(
        self, handler: Callable[[C, CommandContext], Result], command: C, request: Request | None = None
    ) -> Result:
        """Runs a handler; a lost optimistic-concurrency race re-runs it on fresh state, unless
        the client pinned a version with ``If-Match`` (then it is a 412)."""
        request = request or Request()
        ticket = self.store.units.ticket()  # kept over the retries: the command ages until it goes through
        for attempt in range(ATTEMPTS):
            if attempt:
                # Jittered backoff, so racers on one hot stream (a number series) spread out.
                time.sleep(random.uniform(0, min(0.2, 0.005 * 2**attempt)))
            try:
                return self._attempt(handler, command, request, ticket)
            except ConcurrencyConflict:
                key = request.idempotency
                if key and self.store.stream_version(IdempotencyRecord.id_for(request.actor, key.key)):
                    raise IdempotencyReplay() from None
                if request.expected_version is not None:
                    raise VersionConflict("the resource changed while the request was handled") from None
                continue
        raise conflict("concurrent_update", "the resource is being changed by others; try again")

    def _attempt(
        self, handler: Callable[[C, CommandContext], Result], command: C, request: Request, ticket: int
    ) -> Result:
        """Runs the handler once, as a unit of work of the store (see ``services.adapters.units``).

        A refusal may rest on what is not so: an absence the stream index guessed (another
        process may have created the stream a moment ago), or events of another command that are
        still queued and may yet fail. Then the handler runs once more on the facts."""
        ctx = self.context(request)
        streams = self.store.streams
        streams.reset()
        with self.store.units.unit(ticket) as unit:
            try:
                return handler(command, ctx)
            except DomainError as error:
                if ctx.saved or not (streams.guessed() or unit.read):
                    raise
                refusal, read = error, set(unit.read)
        if not streams.guessed() and self.store.committer.settled(read):
            raise refusal
        with streams.verified(), self.store.units.unit(ticket):
            return handler(command, self.context(request))

    def _process_execute(
        self,
        handler: Callable[[Any, CommandContext], Result],
        command: Any,
        *,
        actor: str,
        causation: str,
        correlation: str | None,
    ) -> Result:
        return self.execute(handler, command, Request(actor=actor, causation=causation, correlation=correlation))

    def today(self) -> date:
        return self.clock.today()

    def rebuild_lock(self, name: str) -> RebuildLock:
        """The lock a rebuild of the read model ``name`` holds while it runs, in any process."""
        lock = self.rebuild_locks.take(name)
        if lock is None:
            raise conflict("rebuild_running", f"{name} is being rebuilt")
        return lock

    def wait(self, position: int, timeout: float) -> bool:
        return self.runner.wait(position, timeout)

    def next_moment(self, after: datetime) -> datetime | None:
        """The earliest moment after ``after`` that a process manager waits for."""
        found = [m for manager in self.managers if (m := manager.next_moment(after)) is not None]
        return min(found, default=None)

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self, scheduler: bool = True, sender: bool = True) -> None:
        """Starts the background work of a serving process. The runner thread always runs; unless
        the role is ``api``, so do the workers' jobs, each while this process leads its family
        (on PostgreSQL one process per family, by advisory lock; on SQLite this one). The runner
        applies the read models and runs the process managers while this process leads
        ``processes``; otherwise it follows the leader's positions for the waiting requests."""
        self.store.streams.load()
        self.follow()
        self.runner.start()
        if self.store.is_postgres:
            from services.adapters.listener import NotifyListener

            self._listener = NotifyListener(self.settings.event_store_url, CHANNEL, self._woken)
            self._listener.start()
        if self.role != "api":
            self.jobs = WorkerJobs(self, scheduler, sender)
            locks: Locks = SoleProcess()
            if self.store.is_postgres:
                from services.adapters.leader_locks import AdvisoryLocks

                locks = AdvisoryLocks(self.settings.event_store_url, self.identity)
            self.leadership = Leadership(locks, self.jobs.jobs)
            self.leadership.start()

    def follow(self) -> None:
        """The runner only follows the positions that the leader of ``processes`` moves."""
        self.runner.applying = False

    def _woken(self) -> None:
        self.runner.wake()
        if self.relay is not None:
            self.relay.wake()

    def _announce(self) -> None:
        """Tells the other processes that positions moved (the runners that follow look again)."""
        try:
            with self.engine.begin() as conn:
                conn.execute(text(f"NOTIFY {CHANNEL}"))
        except Exception:  # they poll too: a lost notification costs latency only
            log.warning("NOTIFY failed", exc_info=True)

    def leading(self) -> list[str]:
        """The job families this process leads."""
        return self.leadership.leading() if self.leadership is not None else []

    def leaders(self) -> dict[str, str | None]:
        """Who leads each job family of the deployment (a holder's ``host:pid``), None if nobody."""
        families = job_families(self.settings)
        if self.store.is_postgres:
            from services.adapters.leader_locks import holders

            with self.engine.connect() as conn:
                return holders(conn, families)
        leading = self.leading()
        return {family: self.identity if family in leading else None for family in families}

    def progress(self) -> list[Progress]:
        """Every follower of the log: read models, process managers and the Kafka relay."""
        return [*self.runner.status(), *([self.relay.status()] if self.relay is not None else [])]

    def close(self) -> None:
        if self.leadership is not None:
            self.leadership.stop()
        if self._listener is not None:
            self._listener.stop()
        self.runner.stop()
        self.store.close()
        self.engine.dispose()
