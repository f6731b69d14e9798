"""``counterparty bench``: throughput figures on SQLite and PostgreSQL, each against a baseline
measured in the same run on the same machine, so that the ratios (not the absolute numbers) are
what the performance budget in DESIGN.md is checked against.

(a) Partner commands through the command layer (``Container.execute``) and through HTTP (the
    FastAPI app in process, read-your-writes wait included), against the library's bare ``save``
    of one small aggregate per transaction and against the raw driver (``sqlite3`` / ``psycopg``
    INSERTs of stored-event-shaped rows, one transaction per row).
(b) Projection catch-up from zero of a partner-heavy log, against reading and decoding the same log
    (``select_notifications`` pages of 1,000 + ``to_domain_event``).
(c) Invoices through the command layer: ``draft_document`` and ``issue_document``, then
    ``receive_payment`` (oldest-first, one invoice each), in interleaved rounds with the raw driver
    and the bare save measured again in that group.
(d) Query latency (median of 20 runs) over read models of many invoice lines, built fast: aggregates
    constructed in memory, ``store.save`` in batches, then ``Runner.catch_up`` of the read models
    the queries use.
(e) A collection run (``run_collection``) at two sizes built the same way: seconds per run, events
    written per second, and how the time grows with the size.
(f) Campaign target selection (median of 5 runs) over 100,000 partners with 300,000 contacts and
    their sales facts, the read-model rows written directly in bulk.
(g) Mailing preparation over 100,000 partners with 300,000 contacts (built like (d)): the plan
    (recipients and skip list) and the whole ``send_mailing`` (plan, then every message queued
    through the command layer), in seconds.

(h) The requests process manager's service-level check over 50,000 open requests (built like
    (d)): a check with nothing due, the next-moment query the clock asks, and the check at the
    moment all of them fall due (seconds per tick).

``CPTY_BENCH_GROUPS=invoices,collection`` (any of commands, projections, invoices, queries,
collection, campaigns, mailings, requests) runs only those groups.

Every measurement group gets a fresh store: a new SQLite directory, or an emptied schema of a
scratch PostgreSQL database ``cpty_bench_<random>`` that is dropped at the end.
"""

from __future__ import annotations

import json
import os
import platform
import random
import secrets
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import psycopg
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from sqlalchemy import text

from aggregates.account import Account, ItemKind, OpenItem
from aggregates.base import DomainEvent, EventMeta
from aggregates.errors import DomainError
from aggregates.interest_area import Subscription
from aggregates.mailing import Mailing
from aggregates.money import cents
from aggregates.partner import Address, Contact, Partner, PartnerDetails
from aggregates.request import Request as OpenedRequest
from aggregates.request import RequestDetails, ServiceLevel
from aggregates.sales_document import DocType, DocumentTerms, Line, SalesDocument
from commands.campaigns import PlanCampaign, TargetIn, plan_campaign
from commands.collection import DefineScheme, define_scheme
from commands.context import Result
from commands.documents import DraftDocument, IssueDocument, LineIn, draft_document, issue_document
from commands.interest_areas import CreateInterestArea, create_interest_area
from commands.mailings import MailingSpec, QueueRecipients, send_mailing
from commands.messages import CreateTemplate, create_template
from commands.partner_groups import CreatePartnerGroup, create_partner_group
from commands.partners import ChangePartner, RegisterPartner, change_partner, register_partner
from commands.payments import ReceivePayment, receive_payment
from processes.collection import run_collection
from processes.requests import check_moment
from projections.partner_directory import _details_columns, dump
from queries.campaigns import CampaignQueries
from queries.mailings import MailingQueries
from queries.pages import PageRequest
from queries.partners import PartnerQueries
from queries.receivables import ReceivableQueries
from queries.reports import GROUPINGS, ReportQueries
from services.bootstrap.container import Container, ProcessReads
from services.settings import Settings
from services.workers.ports import Request

ADMIN_KEY = "bench-admin-key"
COMMAND_AIM = 0.40  # command layer ÷ bare save
CATCH_UP_AIM = 0.30  # projection catch-up ÷ raw read + decode
READ_PAGE = 1000
LOG_BATCH = 1000  # events per store.save while building the log
RAW_TABLE = "bench_raw_events"
ROUNDS = 5  # interleaved rounds of commands and their baselines
QUERY_RUNS = 20  # each query is timed this many times; the figure is the median
LINES_PER_INVOICE = 5  # invoice lines per invoice in the query data set
INVOICES_PER_PARTNER = 10  # invoices per partner in the invoice and query data sets
GROUPS = ("commands", "projections", "invoices", "queries", "collection", "campaigns", "mailings", "requests")
GROUPS_ENV = "CPTY_BENCH_GROUPS"  # e.g. "invoices,collection": run only those groups
BACKENDS_ENV = "CPTY_BENCH_BACKENDS"  # "sqlite" or "postgres": measure only that one
# The read models the queries and the collection run read; the fast builds catch up only these.
QUERY_READ_MODELS = ("partner_directory", "partner_groups", "users", "receivables", "profitability")
COLLECTION_READ_MODELS = ("partner_directory", "receivables", "collection")


# -- sizes and figures ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Sizes:
    commands: int
    http: int
    log_events: int
    invoices: int = 1_000  # issued (and paid) through the command layer
    query_lines: int = 10_000  # invoice lines behind the query latencies
    # (invoices, partners) of the small and the large collection run
    collection: tuple[tuple[int, int], tuple[int, int]] = ((1_000, 200), (5_000, 1_000))
    campaign_partners: int = 10_000  # partners (3 contacts each) behind campaign target selection
    mailing_partners: int = 2_000  # partners (3 contacts each) a mailing is prepared for
    requests: int = 2_000  # open requests behind the service-level check

    @classmethod
    def for_mode(cls, quick: bool) -> Sizes:
        if quick:
            return cls(commands=200, http=100, log_events=10_000)
        return cls(
            2_000,
            1_000,
            100_000,
            10_000,
            100_000,
            ((10_000, 2_000), (100_000, 20_000)),
            campaign_partners=100_000,
            mailing_partners=100_000,
            requests=50_000,
        )


@dataclass
class Figure:
    """One row of the result table."""

    backend: str
    measurement: str
    value: float
    unit: str
    count: int = 0
    seconds: float = 0.0
    baseline: str | None = None
    baseline_value: float | None = None
    aim: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.baseline_value:
            return self.value / self.baseline_value
        return None

    def against(self, base: Figure, aim: float | None = None) -> Figure:
        self.baseline = base.measurement
        self.baseline_value = base.value
        self.aim = aim
        return self

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio, "meets_aim": None if self.aim is None else self.meets_aim}

    @property
    def meets_aim(self) -> bool:
        return self.aim is None or (self.ratio is not None and self.ratio >= self.aim)


def rate(backend: str, measurement: str, count: int, seconds: float, unit: str, **extra: Any) -> Figure:
    return Figure(backend, measurement, count / seconds if seconds else 0.0, unit, count, seconds, extra=extra)


def combined(runs: list[Figure]) -> Figure:
    """A figure measured in several rounds: all events over all seconds, and each round's rate."""
    first = runs[0]
    figure = rate(
        first.backend, first.measurement, sum(f.count for f in runs), sum(f.seconds for f in runs), first.unit
    )
    figure.extra["rounds"] = [round(f.value, 1) for f in runs]
    return figure


# -- where the stores live -----------------------------------------------------------------------


def settings_for(data_dir: Path, database_url: str | None) -> Settings:
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        clock="system",
        admin_key=ADMIN_KEY,
        log_level="WARNING",
        rate_limit_per_second=1e9,
        rate_limit_burst=10**9,
    )


class SqliteTarget:
    name = "sqlite"

    def __init__(self, root: Path) -> None:
        self.root = root

    def settings(self, group: str) -> Settings:
        return settings_for(self.root / f"sqlite-{group}", None)

    def raw_inserts(self, rows: Sequence[tuple[UUID, int, str, bytes]]) -> float:
        """Seconds to INSERT ``rows`` with plain sqlite3, one transaction per row, in a file with
        the event store's table shape and journal mode (WAL, default synchronous)."""
        path = self.root / "sqlite-raw" / "raw.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"DROP TABLE IF EXISTS {RAW_TABLE}")
            conn.execute(
                f"CREATE TABLE {RAW_TABLE} (originator_id TEXT, originator_version INTEGER, topic TEXT, "
                "state BLOB, PRIMARY KEY (originator_id, originator_version))"
            )
            sql = f"INSERT INTO {RAW_TABLE} VALUES (?, ?, ?, ?)"
            params = [(str(a), b, c, d) for a, b, c, d in rows]
            started = time.perf_counter()
            for row in params:
                conn.execute("BEGIN")
                conn.execute(sql, row)
                conn.execute("COMMIT")
            return time.perf_counter() - started
        finally:
            conn.close()

    def server_version(self) -> str:
        return sqlite3.sqlite_version


class PostgresTarget:
    name = "postgres"

    def __init__(self, root: Path, url: str) -> None:
        self.root = root
        self.url = url

    def settings(self, group: str) -> Settings:
        reset_schema(self.url)
        return settings_for(self.root / f"pg-{group}", self.url)

    def raw_inserts(self, rows: Sequence[tuple[UUID, int, str, bytes]]) -> float:
        """Seconds to INSERT ``rows`` with plain psycopg over the same connection kind as the
        store, one transaction per row, into a table shaped like the store's."""
        with psycopg.connect(self.url) as conn:
            conn.execute(f"DROP TABLE IF EXISTS {RAW_TABLE}")
            conn.execute(
                f"CREATE TABLE {RAW_TABLE} (originator_id uuid NOT NULL, originator_version bigint NOT NULL, "
                "topic text, state bytea, notification_id bigserial, PRIMARY KEY (originator_id, originator_version))"
            )
            conn.commit()
            sql = f"INSERT INTO {RAW_TABLE} (originator_id, originator_version, topic, state) VALUES (%s, %s, %s, %s)"
            started = time.perf_counter()
            for row in rows:
                conn.execute(sql, row)
                conn.commit()
            elapsed = time.perf_counter() - started
            conn.execute(f"DROP TABLE {RAW_TABLE}")
            conn.commit()
            return elapsed

    def server_version(self) -> str:
        with psycopg.connect(self.url) as conn:
            row = conn.execute("SHOW server_version").fetchone()
        return str(row[0]) if row else "?"


Target = SqliteTarget | PostgresTarget


def reset_schema(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")


# -- finding PostgreSQL (the same order as the test suite) ---------------------------------------


def _reachable(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def locate_postgres(explicit: str | None) -> tuple[str | None, str, Any]:
    """A server URL (or None), how it was found or why not, and a handle that keeps an embedded
    server alive."""
    if explicit:
        if _reachable(explicit):
            return explicit, "--postgres-url", None
        return None, f"--postgres-url {explicit} cannot be reached", None
    env = os.environ.get("CPTY_TEST_DATABASE_URL")
    if env:
        if _reachable(env):
            return env, "CPTY_TEST_DATABASE_URL", None
        return None, f"CPTY_TEST_DATABASE_URL={env} cannot be reached", None
    local = "postgresql://postgres@127.0.0.1:5432/postgres"
    if _reachable(local):
        return local, "local server at 127.0.0.1:5432", None
    try:
        import pgserver  # type: ignore[import-not-found]

        server = pgserver.get_server(Path(tempfile.gettempdir()) / "cpty-pgserver", cleanup_mode="stop")
        return str(server.get_uri()), "embedded pgserver", server
    except Exception as error:  # no pgserver, or it cannot start here
        return None, f"no server at 127.0.0.1:5432 and no embedded pgserver ({error!r})", None


def with_database(base: str, name: str) -> str:
    head, _, tail = base.rpartition("/")
    query = ""
    if "?" in tail:
        query = "?" + tail.split("?", 1)[1]
    return f"{head}/{name}{query}"


@contextmanager
def scratch_database(base: str) -> Iterator[str]:
    name = f"cpty_bench_{secrets.token_hex(4)}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield with_database(base, name)
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def open_container(settings: Settings) -> Iterator[Container]:
    container = Container(settings)
    container.runner.ensure_reactors()
    try:
        yield container
    finally:
        container.close()


# -- test data -----------------------------------------------------------------------------------


def details(i: int) -> PartnerDetails:
    return PartnerDetails(
        name=f"Bench Partner {i} GmbH",
        email=f"partner{i}@example.com",
        tags=("bench", f"t{i % 10}"),
        sales_reps=(f"rep{i % 7}",),
        payment_terms_days=30,
    )


def stamped(events: list[DomainEvent], today: date) -> list[DomainEvent]:
    """Events as ``CommandContext.save`` stamps them (meta and recording time)."""
    meta = EventMeta(business_date=today, actor="bench", correlation=str(uuid4()))
    stamp = {"meta": meta, "timestamp": datetime.now(UTC)}
    return [e.model_copy(update=stamp) for e in events]


def registration(i: int, today: date) -> list[DomainEvent]:
    """One small aggregate's pending events: a freshly registered partner."""
    partner = Partner.register(uuid4(), f"B{i:07d}", details(i), today)
    return stamped(partner.collect_events(), today)


def partner_history(i: int, today: date) -> list[DomainEvent]:
    """Five events of one partner that give the directory, timeline and audit index work."""
    partner = Partner.register(uuid4(), f"L{i:07d}", details(i), today)
    partner.change_details({"phone": f"+49 30 {i:07d}", "tags": ("bench", f"t{i % 10}", "changed")})
    partner.add_contact(Contact(id=uuid4(), name=f"Contact {i}", email=f"c{i}@example.com"))
    partner.add_address(
        Address(id=uuid4(), usage=("billing",), street=f"Street {i}", city="Berlin", postal_code="10115", country="DE")
    )
    partner.change_details({"credit_limit": "5000.00"})
    return stamped(partner.collect_events(), today)


def progress_bar(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description:<44}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    )


Advance = Callable[[int], None]


def task(bar: Progress, description: str, total: int) -> Advance:
    task_id = bar.add_task(description, total=total)

    def advance(n: int) -> None:
        bar.advance(task_id, n)

    return advance


# -- (a) commands ------------------------------------------------------------------------------


def bench_raw_driver(target: Target, c: Container, n: int) -> Figure:
    """Plain driver INSERTs of ``n`` stored-event rows (real encoded partner events), one
    transaction per row."""
    today = c.today()
    mapper = c.store.app.mapper
    rows = []
    for i in range(n):
        stored = mapper.to_stored_event(registration(i, today)[0])
        rows.append((UUID(str(stored.originator_id)), stored.originator_version, stored.topic, stored.state))
    seconds = target.raw_inserts(rows)
    return rate(target.name, "raw driver INSERT, 1 row/txn", n, seconds, "rows/s")


def bench_bare_save(backend: str, c: Container, n: int, advance: Advance) -> Figure:
    """The library's own rate: ``save`` of one freshly registered partner per transaction."""
    today = c.today()
    batches = [registration(i, today) for i in range(n)]
    started = time.perf_counter()
    for events in batches:
        c.store.save(events)
        advance(1)
    seconds = time.perf_counter() - started
    return rate(backend, "bare store.save, 1 aggregate/txn", n, seconds, "saves/s")


def bench_register(backend: str, c: Container, n: int, advance: Advance) -> tuple[Figure, list[UUID]]:
    commands = [
        RegisterPartner(name=f"Command Partner {i} AG", email=f"cmd{i}@example.com", tags=["bench", f"t{i % 10}"])
        for i in range(n)
    ]
    request = Request(actor="bench")
    ids: list[UUID] = []
    head = c.store.head()
    started = time.perf_counter()
    for command in commands:
        result = c.execute(register_partner, command, request)
        assert result.id is not None
        ids.append(result.id)
        advance(1)
    seconds = time.perf_counter() - started
    events = c.store.head() - head
    figure = rate(backend, "register_partner (execute)", n, seconds, "commands/s")
    figure.extra["events"] = events
    return figure, ids


def bench_change(backend: str, c: Container, ids: list[UUID], advance: Advance) -> Figure:
    commands = [
        ChangePartner(partner=str(pid), phone=f"+49 89 {i:07d}", tags=["bench", f"t{i % 10}", "changed"])
        for i, pid in enumerate(ids)
    ]
    request = Request(actor="bench")
    started = time.perf_counter()
    for command in commands:
        c.execute(change_partner, command, request)
        advance(1)
    seconds = time.perf_counter() - started
    return rate(backend, "change_partner (execute)", len(ids), seconds, "commands/s")


def bench_http(backend: str, c: Container, n: int, advance: Advance) -> Figure:
    """POST /v1/partners through the FastAPI app (in-process TestClient), admin key, synchronous
    answer: the handler waits until every read model has the new partner (read-your-writes)."""
    from fastapi.testclient import TestClient

    from services.api.app import create_app

    c.runner.drain()  # the read models start at the head: earlier groups' events are not timed
    latencies: list[float] = []
    with TestClient(create_app(c), raise_server_exceptions=True) as client:
        client.headers["Authorization"] = f"Bearer {ADMIN_KEY}"
        for i in range(3):  # warm-up: imports, first queries, prepared statements
            client.post("/v1/partners", json={"name": f"Warm-up {i}"}).raise_for_status()
        bodies = [
            {"name": f"HTTP Partner {i} SE", "email": f"http{i}@example.com", "tags": ["bench", f"t{i % 10}"]}
            for i in range(n)
        ]
        started = time.perf_counter()
        for body in bodies:
            t0 = time.perf_counter()
            response = client.post("/v1/partners", json=body)
            latencies.append(time.perf_counter() - t0)
            if response.status_code != 201:
                raise RuntimeError(f"POST /v1/partners answered {response.status_code}: {response.text[:300]}")
            advance(1)
        seconds = time.perf_counter() - started
    latencies.sort()
    return rate(
        backend,
        "POST /v1/partners (HTTP, RYW wait)",
        n,
        seconds,
        "requests/s",
        p50_ms=round(1000 * statistics.median(latencies), 2),
        p95_ms=round(1000 * latencies[int(0.95 * (len(latencies) - 1))], 2),
        max_ms=round(1000 * latencies[-1], 2),
    )


def bench_commands(target: Target, sizes: Sizes, bar: Progress) -> list[Figure]:
    """The commands and their baselines in interleaved rounds (raw, bare, commands; raw, bare,
    commands; ...), so that a change in the machine's load during the run hits all of them."""
    name = target.name
    n = sizes.commands
    chunk = max(1, n // ROUNDS)
    raws: list[Figure] = []
    bares: list[Figure] = []
    registers: list[Figure] = []
    changes: list[Figure] = []
    with open_container(target.settings("commands")) as c:
        bare_task = task(bar, f"{name}: bare save", 2 * chunk * ROUNDS)
        register_task = task(bar, f"{name}: register_partner", chunk * ROUNDS)
        change_task = task(bar, f"{name}: change_partner", chunk * ROUNDS)

        def baselines() -> None:
            raws.append(bench_raw_driver(target, c, chunk))
            bares.append(bench_bare_save(name, c, chunk, bare_task))

        ids: list[UUID] = []
        for _ in range(ROUNDS):
            baselines()
            figure, made = bench_register(name, c, chunk, register_task)
            registers.append(figure)
            ids += made
        for k in range(ROUNDS):
            baselines()
            changes.append(bench_change(name, c, ids[k * chunk : (k + 1) * chunk], change_task))
        http = bench_http(name, c, sizes.http, task(bar, f"{name}: POST /v1/partners", sizes.http))
    raw, bare = combined(raws), combined(bares)
    register, change = combined(registers), combined(changes)
    register.extra["events_per_command"] = round(sum(f.extra["events"] for f in registers) / register.count, 2)
    for figure in (register, change):
        figure.extra["ratio_to_raw_driver"] = round(figure.value / raw.value, 3)
    http.extra["ratio_to_bare_save"] = round(http.value / bare.value, 3)
    http.extra["ratio_to_command_layer"] = round(http.value / register.value, 3)
    return [
        raw,
        bare.against(raw),
        register.against(bare, COMMAND_AIM),
        change.against(bare, COMMAND_AIM),
        http.against(raw),
    ]


# -- (b) projections -----------------------------------------------------------------------------


def build_log(c: Container, events: int, advance: Advance) -> int:
    """Appends about ``events`` partner events (5 per partner), ``LOG_BATCH`` per transaction."""
    today = c.today()
    partners = max(1, events // 5)
    batch: list[DomainEvent] = []
    for i in range(partners):
        batch += partner_history(i, today)
        if len(batch) >= LOG_BATCH or i == partners - 1:
            c.store.save(batch)
            advance(len(batch))
            batch = []
    return c.store.head()


def bench_read_decode(backend: str, c: Container, advance: Advance) -> Figure:
    """Reading the log in pages of 1,000 and decoding every event, and nothing else."""
    after = count = 0
    started = time.perf_counter()
    while True:
        page = c.store.read(after, READ_PAGE)
        if not page:
            break
        count += len(page)
        after = page[-1].position
        advance(len(page))
    seconds = time.perf_counter() - started
    return rate(backend, "read + decode, pages of 1,000", count, seconds, "events/s")


def bench_catch_up(backend: str, c: Container, name: str, advance: Advance) -> Figure:
    projection = c.catalog.projections[name]
    started = time.perf_counter()
    count = c.runner.catch_up(projection, c.catalog.version(name), advance)
    seconds = time.perf_counter() - started
    return rate(backend, f"catch-up {name}", count, seconds, "events/s")


def bench_projections(target: Target, sizes: Sizes, bar: Progress) -> list[Figure]:
    name = target.name
    with open_container(target.settings("projections")) as c:
        started = time.perf_counter()
        head = build_log(c, sizes.log_events, task(bar, f"{name}: building the log", sizes.log_events))
        built = rate(name, "log build, store.save of 1,000 ev", head, time.perf_counter() - started, "events/s")
        bench_read_decode(name, c, task(bar, f"{name}: warming the caches", head))
        reads = [bench_read_decode(name, c, task(bar, f"{name}: read + decode #1", head))]
        catch_ups = [
            bench_catch_up(name, c, projection, task(bar, f"{name}: catch-up {projection}", head))
            for projection in c.catalog.projections
        ]
        reads.append(bench_read_decode(name, c, task(bar, f"{name}: read + decode #2", head)))
        raw = combined(reads)
    applied = sum(f.count for f in catch_ups)
    seconds = sum(f.seconds for f in catch_ups)
    every = rate(name, f"catch-up, all {len(catch_ups)} read models", applied, seconds, "events/s")
    rebuild = rate(name, "rebuild all read models (log ev/s)", head, seconds, "events/s")
    estimate = Figure(name, "rebuild all, 1M-event log (est.)", 1_000_000 / rebuild.value / 60, "minutes")
    return [
        built,
        raw,
        *(f.against(raw, CATCH_UP_AIM) for f in catch_ups),
        every.against(raw, CATCH_UP_AIM),
        rebuild.against(raw),
        estimate,
    ]


# -- (c) invoices and payments through the command layer ----------------------------------------


def billed_partner(i: int, prefix: str, today: date) -> Partner:
    """A customer whose billing contact has an e-mail address (collection e-mails reach it)."""
    partner = Partner.register(uuid4(), f"{prefix}{i:07d}", details(i), today)
    partner.add_contact(Contact(id=uuid4(), name="Accounts", email=f"ap{i}@example.com", responsibilities=("billing",)))
    return partner


def save_partners(c: Container, n: int, prefix: str) -> list[UUID]:
    """``n`` partners saved directly, ``LOG_BATCH`` events per transaction."""
    today = c.today()
    ids: list[UUID] = []
    batch: list[DomainEvent] = []
    for i in range(n):
        partner = billed_partner(i, prefix, today)
        ids.append(partner.id)
        batch += stamped(partner.collect_events(), today)
        if len(batch) >= LOG_BATCH or i == n - 1:
            c.store.save(batch)
            batch = []
    return ids


def invoice_lines(n: int, i: int) -> list[LineIn]:
    return [
        LineIn(
            product=f"P{(i + k) % 50:03d}",
            quantity=Decimal("2"),
            unit_price=Decimal("50.00"),
            unit_cost=Decimal("30.00"),
            tax_rate=Decimal("19"),
        )
        for k in range(n)
    ]


def bench_drafts(
    backend: str, c: Container, partners: list[UUID], n: int, start: int, advance: Advance
) -> tuple[Figure, list[UUID]]:
    """``draft_document`` of ``n`` one-line invoices, round-robin over the partners."""
    request = Request(actor="bench")
    commands = [
        DraftDocument(
            type=DocType.INVOICE, partner=str(partners[(start + i) % len(partners)]), lines=invoice_lines(1, i)
        )
        for i in range(n)
    ]
    ids: list[UUID] = []
    started = time.perf_counter()
    for command in commands:
        result = c.execute(draft_document, command, request)
        assert result.id is not None
        ids.append(result.id)
        advance(1)
    seconds = time.perf_counter() - started
    return rate(backend, "draft_document (execute)", n, seconds, "commands/s"), ids


def bench_issues(backend: str, c: Container, drafts: list[UUID], advance: Advance) -> Figure:
    """``issue_document`` of the drafts: number drawn from the invoice series, code claim,
    receivable booked on the partner's account (4 aggregates, one transaction)."""
    request = Request(actor="bench")
    commands = [IssueDocument(document=str(d)) for d in drafts]
    head = c.store.head()
    started = time.perf_counter()
    for command in commands:
        c.execute(issue_document, command, request)
        advance(1)
    seconds = time.perf_counter() - started
    return rate(backend, "issue_document (execute)", len(drafts), seconds, "commands/s", events=c.store.head() - head)


def bench_payments(backend: str, c: Container, partners: list[UUID], n: int, start: int, advance: Advance) -> Figure:
    """``receive_payment`` without allocations of one invoice's total: oldest-first allocation
    settles exactly one open invoice of the partner."""
    request = Request(actor="bench")
    total = Decimal("119.00")  # one line: 2 × 50.00 + 19 % tax
    commands = [ReceivePayment(partner=str(partners[(start + i) % len(partners)]), amount=total) for i in range(n)]
    started = time.perf_counter()
    for command in commands:
        c.execute(receive_payment, command, request)
        advance(1)
    seconds = time.perf_counter() - started
    return rate(backend, "receive_payment (execute, 1 invoice)", n, seconds, "commands/s")


def bench_invoices(target: Target, sizes: Sizes, bar: Progress) -> list[Figure]:
    """Drafting, issuing and paying invoices in interleaved rounds with their baselines (raw
    driver INSERT and bare save, one transaction each)."""
    name = target.name
    n = sizes.invoices
    chunk = max(1, n // ROUNDS)
    raws: list[Figure] = []
    bares: list[Figure] = []
    drafts: list[Figure] = []
    issues: list[Figure] = []
    payments: list[Figure] = []
    with open_container(target.settings("invoices")) as c:
        partners = save_partners(c, max(1, n // INVOICES_PER_PARTNER), "V")
        bare_task = task(bar, f"{name}: bare save (invoices)", chunk * ROUNDS)
        draft_task = task(bar, f"{name}: draft_document", chunk * ROUNDS)
        issue_task = task(bar, f"{name}: issue_document", chunk * ROUNDS)
        pay_task = task(bar, f"{name}: receive_payment", chunk * ROUNDS)
        for k in range(ROUNDS):
            raws.append(bench_raw_driver(target, c, chunk))
            bares.append(bench_bare_save(name, c, chunk, bare_task))
            figure, ids = bench_drafts(name, c, partners, chunk, k * chunk, draft_task)
            drafts.append(figure)
            issues.append(bench_issues(name, c, ids, issue_task))
        for k in range(ROUNDS):
            payments.append(bench_payments(name, c, partners, chunk, k * chunk, pay_task))
        events = sum(f.extra["events"] for f in issues)
    raw, bare = combined(raws), combined(bares)
    draft, issue, pay = combined(drafts), combined(issues), combined(payments)
    issue.extra["events_per_command"] = round(events / issue.count, 2)
    both = rate(name, "draft + issue, per invoice", draft.count, draft.seconds + issue.seconds, "invoices/s")
    for figure in (draft, issue, pay, both):
        figure.extra["ratio_to_raw_driver"] = round(figure.value / raw.value, 3)
    raw.measurement = "raw driver INSERT (invoice group)"
    bare.measurement = "bare store.save (invoice group)"
    return [
        raw,
        bare.against(raw),
        draft.against(bare, COMMAND_AIM),
        issue.against(bare, COMMAND_AIM),
        both.against(raw),
        pay.against(bare, COMMAND_AIM),
    ]


# -- (d) query latency over many invoice lines ---------------------------------------------------


def invoice_events(
    account: Account, partner: Partner, number: str, issue_date: date, lines: int, i: int
) -> list[DomainEvent]:
    """An issued invoice built in memory (drafted, issued, booked on the account)."""
    terms = DocumentTerms(
        partner=partner.id, payment_terms_days=30, currency="EUR", sales_rep=partner.details.sales_reps[0]
    )
    priced = [Line.priced(line_id=uuid4(), **line.model_dump()) for line in invoice_lines(lines, i)]
    document = SalesDocument.draft(uuid4(), DocType.INVOICE, terms, priced)
    document.issue(number, issue_date, partner.details.group)
    assert document.due_date is not None
    account.book(
        OpenItem(
            item_id=document.id,
            kind=ItemKind.INVOICE,
            document=document.id,
            number=number,
            due_date=document.due_date,
            amount=document.total,
            currency="EUR",
            booked_on=issue_date,
        ),
        on=issue_date,
    )
    return document.collect_events()


def build_receivables(
    c: Container, invoices: int, partners: int, lines: int, issued: Callable[[int], date], advance: Advance
) -> list[UUID]:
    """``invoices`` issued invoices of ``lines`` lines over ``partners`` partners, saved directly
    (aggregates built in memory, ``store.save`` of about ``LOG_BATCH`` events per transaction).
    Invoice ``i`` is issued on ``issued(i)`` and due 30 days later."""
    today = c.today()
    per_partner = max(1, invoices // partners)
    ids: list[UUID] = []
    batch: list[DomainEvent] = []
    made = 0
    for p in range(partners):
        partner = billed_partner(p, "Q", today)
        account = Account.open_for(partner.id)
        ids.append(partner.id)
        count = per_partner if p < partners - 1 else invoices - made
        for _ in range(count):
            batch += invoice_events(account, partner, f"BI-{made + 1:07d}", issued(made), lines, made)
            made += 1
        batch += partner.collect_events() + account.collect_events()
        if len(batch) >= LOG_BATCH or p == partners - 1:
            c.store.save(stamped(batch, today))
            advance(len(batch))
            batch = []
    return ids


def catch_up_read_models(c: Container, names: Sequence[str], bar: Progress, label: str) -> float:
    """Brings the named read models to the head; answers the seconds it took."""
    started = time.perf_counter()
    head = c.store.head()
    for name in names:
        projection = c.catalog.projections[name]
        c.runner.catch_up(projection, c.catalog.version(name), task(bar, f"{label}: catch-up {name}", head))
    return time.perf_counter() - started


def timed_query(
    backend: str, measurement: str, query: Callable[[], Any], rows: Callable[[Any], int], runs: int = QUERY_RUNS
) -> Figure:
    """The median of ``runs`` runs (after one untimed warm-up), in milliseconds."""
    answer = query()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        query()
        times.append(time.perf_counter() - t0)
    times.sort()
    return Figure(
        backend,
        measurement,
        1000 * statistics.median(times),
        "ms/query",
        count=rows(answer),
        seconds=sum(times),
        extra={
            "rows": rows(answer),
            "p95_ms": round(1000 * times[int(0.95 * (len(times) - 1))], 2),
            "runs": runs,
        },
    )


def bench_queries(target: Target, sizes: Sizes, bar: Progress) -> list[Figure]:
    name = target.name
    invoices = max(1, sizes.query_lines // LINES_PER_INVOICE)
    partners = max(1, invoices // INVOICES_PER_PARTNER)
    with open_container(target.settings("queries")) as c:
        today = c.today()
        started = time.perf_counter()
        ids = build_receivables(
            c,
            invoices,
            partners,
            LINES_PER_INVOICE,
            lambda i: today - timedelta(days=i % 360),
            task(bar, f"{name}: building {sizes.query_lines:,} invoice lines", invoices * 3 + partners * 3),
        )
        built = time.perf_counter() - started
        caught = catch_up_read_models(c, QUERY_READ_MODELS, bar, name)
        receivables, reports, directory = (
            ReceivableQueries(c.catalog),
            ReportQueries(c.catalog),
            PartnerQueries(c.catalog),
        )
        one = str(ids[len(ids) // 2])
        start, end = today - timedelta(days=364), today
        lines = f"{sizes.query_lines:,} lines"
        figures = [
            timed_query(
                name, f"aging, all partners ({lines})", lambda: receivables.aging(today), lambda a: len(a["partners"])
            ),
            timed_query(
                name,
                f"aging, one partner ({lines})",
                lambda: receivables.aging(today, one),
                lambda a: len(a["partners"]),
            ),
            *(
                timed_query(
                    name,
                    f"profitability by {group}, 1 year ({lines})",
                    lambda group=group: reports.profitability(start, end, group),  # type: ignore[misc]
                    lambda a: len(a["rows"]),
                )
                for group in GROUPINGS
            ),
            timed_query(
                name,
                f"partner balance, one partner ({lines})",
                lambda: directory.balance(one),
                lambda a: len(a["open_items"]),
            ),
        ]
        events = c.store.head()
    for f in figures:
        f.extra.update(
            invoices=invoices,
            partners=partners,
            log_events=events,
            build_s=round(built, 1),
            catch_up_s=round(caught, 1),
        )
    return figures


# -- (e) a collection run ------------------------------------------------------------------------

COLLECTION_SCHEME: dict[str, Any] = {
    "code": "BENCH",
    "name": "Bench default scheme",
    "is_default": True,
    "levels": [
        {"seq": 1, "name": "L1", "days_after_due": 7, "actions": [{"type": "email", "template": "BENCH-L1"}]},
        {"seq": 2, "name": "L2", "days_after_due": 21, "actions": [{"type": "fee", "amount": "40.00"}]},
    ],
}


def define_collection(c: Container) -> None:
    """The default scheme (L1 e-mail at 7 days, L2 fee 40.00 at 21 days) and its template."""
    body = "{{ partner.name }}: {{ total_open }} {{ currency }} is overdue."
    template = CreateTemplate(code="BENCH-L1", channel="email", purpose="collection", subject="Overdue", body=body)  # type: ignore[arg-type]
    c.execute(create_template, template)
    c.execute(define_scheme, DefineScheme.model_validate(COLLECTION_SCHEME))


def bench_collection_run(target: Target, invoices: int, partners: int, bar: Progress) -> Figure:
    """``run_collection`` on today for partners whose invoices are all 10 days overdue (L1)."""
    name = target.name
    with open_container(target.settings(f"collection-{invoices}")) as c:
        day = c.today()
        define_collection(c)
        started = time.perf_counter()
        build_receivables(
            c,
            invoices,
            partners,
            1,
            lambda i: day - timedelta(days=40),
            task(bar, f"{name}: building {invoices:,} overdue invoices", invoices * 3 + partners * 3),
        )
        built = time.perf_counter() - started
        caught = catch_up_read_models(c, COLLECTION_READ_MODELS, bar, name)
        reads = ProcessReads(c.catalog)
        advance = task(bar, f"{name}: collection run, {partners:,} partners", partners + 2)
        request = Request(actor="bench")
        # When each command started: the rate in the run's first and last tenth tells whether a
        # partner costs more as the log grows within the run.
        stamps: list[float] = []

        def run(handler: Callable[[Any, Any], Result], command: Any) -> Result | None:
            advance(1)
            stamps.append(time.perf_counter())
            try:
                return c.execute(handler, command, request)
            except DomainError:
                return None

        head = c.store.head()
        t0, cpu0 = time.perf_counter(), time.process_time()
        outcome = run_collection(run, reads, day)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        events = c.store.head() - head
    assert outcome["ran"], outcome
    figure = Figure(
        name, f"collection run, {invoices:,} inv / {partners:,} partners", seconds, "s/run", invoices, seconds
    )
    figure.extra.update(
        invoices=invoices,
        partners=partners,
        events=events,
        events_per_s=round(events / seconds, 1),
        partners_per_s=round(partners / seconds, 1),
        # This process's CPU seconds: unlike wall time, other processes' load does not inflate them.
        cpu_s=round(cpu, 1),
        first_tenth_partners_per_s=round(_rate(stamps, 0), 1),
        last_tenth_partners_per_s=round(_rate(stamps, 9), 1),
        build_s=round(built, 1),
        catch_up_s=round(caught, 1),
    )
    return figure


def _rate(stamps: list[float], tenth: int) -> float:
    """Commands per second within one tenth (0–9) of a run's command start times."""
    size = len(stamps) // 10
    part = stamps[tenth * size : (tenth + 1) * size + 1]
    return (len(part) - 1) / (part[-1] - part[0]) if len(part) > 1 and part[-1] > part[0] else 0.0


def bench_collection(target: Target, sizes: Sizes, bar: Progress) -> list[Figure]:
    (small_n, small_p), (large_n, large_p) = sizes.collection
    small = bench_collection_run(target, small_n, small_p, bar)
    large = bench_collection_run(target, large_n, large_p, bar)
    figures = [small, large]
    for f in (small, large):
        figures.append(
            Figure(
                target.name,
                f"collection events written ({f.count:,} inv)",
                f.extra["events_per_s"],
                "events/s",
                f.extra["events"],
                f.seconds,
            )
        )
    growths = []
    for label, small_s, large_s in (
        ("time", small.value, large.value),
        ("CPU time", small.extra["cpu_s"], large.extra["cpu_s"]),
    ):
        growth = Figure(target.name, f"collection {label} large ÷ small", large_s / max(small_s, 0.1), "×")
        growth.baseline = f"size ratio {large_n / small_n:g}×"
        growth.baseline_value = large_n / small_n
        growth.extra.update(size_ratio=large_n / small_n)
        growths.append(growth)
    return [*figures, *growths]


# -- (f) campaign target selection ---------------------------------------------------------------

CAMPAIGN_CONTACTS = 3  # contacts per partner in the target-selection data set
CAMPAIGN_SEED = 20260115
CAMPAIGN_GROUPS = 10
CAMPAIGN_RUNS = 5  # each selection is timed this many times; the figure is the median
ROW_BATCH = 5_000  # read-model rows per executemany while building the data set
# What a campaign can ask, from the broadest to everything at once (groups G0–G9 exist).
CAMPAIGN_TARGETS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("no criteria", {}),
    ("2 groups + 1 tag", {"groups": ["G1", "G2"], "tags": ["t3"]}),
    ("last sale window + min revenue", {"last_sale_after": -300, "last_sale_before": -60, "min_revenue": "500"}),
    ("3 products in a year", {"products": ["P001", "P017", "P042"], "revenue_from": -365}),
    (
        "all criteria",
        {
            "groups": ["G1", "G2", "G3"],
            "tags": ["t1", "t2", "t3", "t4"],
            "last_sale_after": -300,
            "min_revenue": "200",
            "revenue_from": -365,
            "products": ["P001", "P017", "P042"],
        },
    ),
)


def campaign_rows(i: int, today: date, rng: random.Random) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A directory row of partner ``i`` (group, tags, three contacts) and its tag rows, shaped as
    the partner directory projection writes them."""
    people = [
        Contact(id=uuid4(), name=f"Contact {i}-{k}", email=f"c{i}-{k}@example.com") for k in range(CAMPAIGN_CONTACTS)
    ]
    contacts = {str(p.id): p.model_dump(mode="json") for p in people}
    code = f"K{i:07d}"
    d = details(i).model_copy(update={"group": f"G{rng.randrange(CAMPAIGN_GROUPS)}"})
    row = {
        "id": str(uuid4()),
        "code": code,
        "status": "active",
        "merged_into": None,
        "manual_hold": None,
        "blocks": 0,
        "created_on": today,
        "created_position": i,
        "version": 1 + CAMPAIGN_CONTACTS,
        "addresses": "{}",
        "contacts": dump(contacts),
        "attachments": "{}",
        **_details_columns(d, code, contacts),
    }
    return row, [{"partner_id": row["id"], "tag": tag} for tag in d.tags]


def sales_facts(partner: dict[str, Any], today: date, rng: random.Random, position: int) -> list[dict[str, Any]]:
    """Seven partners in ten buy: one to five invoices of one to three lines over the last two
    years; a tenth of the invoices are partly credited."""
    if rng.random() >= 0.7:
        return []
    facts = []
    for n in range(rng.randint(1, 5)):
        document = str(uuid4())
        day = today - timedelta(days=rng.randrange(730))
        for seq in range(rng.randint(1, 3)):
            quantity = Decimal(rng.randint(1, 10))
            revenue = quantity * Decimal(rng.randint(20, 200))
            facts.append(
                fact(
                    partner, document, "invoice", day, position + n, seq, f"P{rng.randrange(50):03d}", quantity, revenue
                )
            )
        if rng.random() < 0.1:
            last = facts[-1]
            facts.append(
                fact(
                    partner,
                    str(uuid4()),
                    "credit_note",
                    min(today, day + timedelta(days=14)),
                    position + n,
                    100,
                    last["product"],
                    -last["quantity"],
                    -last["revenue"],
                )
            )
    return facts


def fact(
    partner: dict[str, Any],
    document: str,
    kind: str,
    day: date,
    position: int,
    seq: int,
    product: str,
    quantity: Decimal,
    revenue: Decimal,
) -> dict[str, Any]:
    """A profitability fact row (one invoice or credit-note line)."""
    return {
        "position": position,
        "seq": seq,
        "document": document,
        "kind": kind,
        "date": day,
        "partner_id": partner["id"],
        "group_code": partner["group_code"],
        "sales_rep": None,
        "product": product,
        "campaign": None,
        "quantity": quantity,
        "revenue": revenue,
        "cost": cents(revenue * Decimal("0.6")),
        "other_income": Decimal(0),
    }


def build_campaign_rows(c: Container, partners: int, advance: Advance) -> dict[str, int]:
    """The read-model rows target selection reads, written straight into the live tables in
    batches of ``ROW_BATCH`` (going through the log would spend the whole bench on catch-up):
    the directory (one partner in a hundred merged into the next one), tags and sales facts."""
    today = c.today()
    rng = random.Random(CAMPAIGN_SEED)
    tables = {
        "partners": c.catalog.table("partner_directory", "partners"),
        "tags": c.catalog.table("partner_directory", "tags"),
        "facts": c.catalog.table("profitability", "facts"),
    }
    pending: dict[str, list[dict[str, Any]]] = {name: [] for name in tables}
    counts = dict.fromkeys(tables, 0)

    def flush(conn: Any, force: bool = False) -> None:
        for name, rows in pending.items():
            if rows and (force or len(rows) >= ROW_BATCH):
                conn.execute(tables[name].insert(), rows)
                counts[name] += len(rows)
                pending[name] = []

    position = 1
    with c.engine.begin() as conn:
        previous: dict[str, Any] | None = None
        for i in range(partners):
            row, tags = campaign_rows(i, today, rng)
            if previous is not None and i % 100 == 0:
                previous.update(status="merged", merged_into=row["id"])
            facts = sales_facts(row, today, rng, position)
            position += 10
            if previous is not None:
                pending["partners"].append(previous)
            pending["tags"] += tags
            pending["facts"] += facts
            previous = row
            flush(conn)
            advance(1)
        if previous is not None:
            pending["partners"].append(previous)
        flush(conn, force=True)
    if c.engine.dialect.name == "postgresql":
        # A live database has its statistics (autovacuum analyses after large writes); without
        # them the planner takes the aggregated sales for 200 rows and nests loops over them.
        with c.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    return {
        "partners": counts["partners"],
        "contacts": counts["partners"] * CAMPAIGN_CONTACTS,
        "facts": counts["facts"],
    }


def campaign_target(spec: dict[str, Any], today: date) -> TargetIn:
    """A target with its day offsets (negative: days before today) turned into dates."""
    dated = {k: (today + timedelta(days=v)).isoformat() if isinstance(v, int) else v for k, v in spec.items()}
    return TargetIn.model_validate(dated)


def bench_campaigns(target: Target, sizes: Sizes, bar: Progress) -> list[Figure]:
    """Target selection (``CampaignQueries.preview``: the first page of 50 with the total, and
    why each partner is listed) for targets of growing selectivity, and the whole target list a
    launch sends to, over ``sizes.campaign_partners`` partners."""
    name = target.name
    n = sizes.campaign_partners
    with open_container(target.settings("campaigns")) as c:
        today = c.today()
        started = time.perf_counter()
        built = build_campaign_rows(c, n, task(bar, f"{name}: building {n:,} partners for campaigns", n))
        build_s = time.perf_counter() - started
        request = Request(actor="bench")
        for g in range(CAMPAIGN_GROUPS):
            c.execute(create_partner_group, CreatePartnerGroup(code=f"G{g}", name=f"Group {g}"), request)
        for k, (_, spec) in enumerate(CAMPAIGN_TARGETS):
            command = PlanCampaign(code=f"BENCH{k}", name="Bench", target=campaign_target(spec, today))
            c.execute(plan_campaign, command, request)
        catch_up_read_models(c, ("campaigns",), bar, name)
        queries = CampaignQueries(c.catalog)
        size = f"{built['partners']:,} partners"
        figures = [
            timed_query(
                name,
                f"campaign preview, {label} ({size})",
                lambda k=k: queries.preview(f"BENCH{k}", PageRequest()),  # type: ignore[misc]
                lambda a: int(a["total"]),
                runs=CAMPAIGN_RUNS,
            )
            for k, (label, _) in enumerate(CAMPAIGN_TARGETS)
        ]
        figures.append(
            timed_query(
                name,
                f"campaign target list, no criteria ({size})",
                lambda: queries.target_ids("BENCH0"),
                len,
                runs=CAMPAIGN_RUNS,
            )
        )
    for f in figures:
        f.extra.update(built, build_s=round(build_s, 1))
    return figures


# -- (g) mailing preparation ---------------------------------------------------------------------

MAILING_READ_MODELS = ("partner_directory", "interest_areas", "mailings")
MAILING_GROUPS = 10


def mailing_partner(i: int, today: date) -> list[DomainEvent]:
    """Partner ``i`` (group G0–G9) with three contacts, as events: the first has an address of its
    own and every fourth one subscribes to NEWS; the second is inactive one time in twenty, opted
    out of every mailing one time in thirty, and shares the first one's address one time in fifty;
    the third has no e-mail one time in ten."""
    d = details(i).model_copy(update={"group": f"G{i % MAILING_GROUPS}"})
    partner = Partner.register(uuid4(), f"M{i:07d}", d, today)
    first = Contact(id=uuid4(), name=f"First {i}", email=f"first{i}@example.com")
    second = Contact(
        id=uuid4(),
        name=f"Second {i}",
        email=first.email if i % 50 == 0 else f"second{i}@example.com",
        active=i % 20 != 1,
        opted_out_on=today if i % 30 == 2 else None,
    )
    third = Contact(id=uuid4(), name=f"Third {i}", email=None if i % 10 == 3 else f"third{i}@example.com")
    for contact in (first, second, third):
        partner.add_contact(contact)
    events = partner.collect_events()
    if i % 4 == 0:
        events += Subscription.subscribe_first("NEWS", first.id, partner.id, today, "api").collect_events()
    return events


def bench_mailings(target: Target, sizes: Sizes, bar: Progress) -> list[Figure]:
    """A mailing to every group and the area NEWS (every contact reached, the subscribers also
    through their group): the plan alone, then ``send_mailing`` as POST /v1/mailings runs it."""
    name = target.name
    n = sizes.mailing_partners
    size = f"{n:,} partners / {3 * n:,} contacts"
    with open_container(target.settings("mailings")) as c:
        today = c.today()
        request = Request(actor="bench")
        c.execute(create_interest_area, CreateInterestArea(code="NEWS", name="Newsletter"), request)
        body = "Dear {{ contact.name }},\nour news for {{ partner.name }}.\n{{ unsubscribe_url }}\n"
        template = CreateTemplate(code="BENCH-NEWS", channel="email", purpose="campaign", subject="News", body=body)  # type: ignore[arg-type]
        c.execute(create_template, template, request)
        started = time.perf_counter()
        advance = task(bar, f"{name}: building {size}", n)
        batch: list[DomainEvent] = []
        for i in range(n):
            batch += mailing_partner(i, today)
            if len(batch) >= LOG_BATCH or i == n - 1:
                c.store.save(stamped(batch, today))
                batch = []
            advance(1)
        built = time.perf_counter() - started
        caught = catch_up_read_models(c, MAILING_READ_MODELS, bar, name)
        queries = MailingQueries(c.catalog)
        spec = MailingSpec(
            template="BENCH-NEWS", groups=[f"G{g}" for g in range(MAILING_GROUPS)], interest_areas=["NEWS"]
        )
        t0 = time.perf_counter()
        plan = queries.candidates(queries.targets(spec))
        plan_s = time.perf_counter() - t0
        advance = task(bar, f"{name}: mailing to {sum(1 for p in plan if p.reason is None):,} recipients", len(plan))

        def run(handler: Callable[[Any, Any], Result], command: Any) -> Result:
            result = c.execute(handler, command, request)
            if isinstance(command, QueueRecipients):
                advance(len(command.candidates))
            return result

        head = c.store.head()
        t0 = time.perf_counter()
        mailing_id = send_mailing(run, queries, spec, c.settings.public_url)
        seconds = time.perf_counter() - t0
        events = c.store.head() - head
        mailing = c.store.get(mailing_id)
        assert isinstance(mailing, Mailing) and mailing.prepared
    whole = Figure(name, f"mailing preparation ({size})", seconds, "s", mailing.queued, seconds)
    whole.extra.update(
        recipients=mailing.recipients,
        queued=mailing.queued,
        skipped=mailing.skipped,
        messages_per_s=round(mailing.queued / seconds, 1),
        events=events,
        events_per_s=round(events / seconds, 1),
        build_s=round(built, 1),
        catch_up_s=round(caught, 1),
    )
    planned = Figure(name, f"mailing plan: recipients and skip list ({size})", plan_s, "s", len(plan), plan_s)
    planned.extra.update(contacts=len(plan), recipients=mailing.recipients, skipped=mailing.skipped)
    return [whole, planned]


# -- (h) request service levels ------------------------------------------------------------------

REQUEST_READ_MODELS = ("requests",)


def save_open_requests(c: Container, n: int, opened_at: datetime, sla: ServiceLevel, advance: Advance) -> None:
    """``n`` open requests with the same service level, saved directly in batches."""
    today = c.today()
    details = RequestDetails(type="BENCH", partner=uuid4(), subject="Shelf broken")
    batch: list[DomainEvent] = []
    for i in range(n):
        batch += OpenedRequest.open(uuid4(), f"BR-{i + 1:07d}", details, 0, opened_at, sla).collect_events()
        if len(batch) >= LOG_BATCH or i == n - 1:
            c.store.save(stamped(batch, today))
            advance(len(batch))
            batch = []


def bench_requests(target: Target, sizes: Sizes, bar: Progress) -> list[Figure]:
    """The requests process manager's service-level check over N open requests that all fall due
    one hour before the clock's now: a check between moments (nothing due: the candidate query),
    the clock's question for the next moment, and the check at the moment they are all due
    (``check_service_levels`` transactions of 100 requests, each request recording
    ``RequestDueStateChanged``)."""
    name = target.name
    n = sizes.requests
    with open_container(target.settings("requests")) as c:
        now = c.clock.now()
        opened_at = now - timedelta(days=2)
        sla = ServiceLevel(due_at=now - timedelta(hours=1), overdue_at=now + timedelta(days=1))
        started = time.perf_counter()
        save_open_requests(c, n, opened_at, sla, task(bar, f"{name}: building {n:,} open requests", n))
        built = time.perf_counter() - started
        caught = catch_up_read_models(c, REQUEST_READ_MODELS, bar, name)
        if c.store.is_postgres:
            # Autovacuum analyses a freshly filled table soon; until then the planner has no
            # statistics and scans the whole table instead of using the index on the moments.
            with c.engine.begin() as conn:
                conn.execute(text(f"ANALYZE {c.catalog.table('requests', 'requests').name}"))
        reads = ProcessReads(c.catalog)
        request = Request(actor="bench")
        advance = task(bar, f"{name}: SLA check, {n:,} requests due", n)

        def run(handler: Callable[[Any, Any], Result], command: Any) -> Result:
            advance(len(command.requests))
            return c.execute(handler, command, request)

        between = opened_at + timedelta(hours=1)
        idle = timed_query(
            name,
            f"SLA check, nothing due ({n:,} open requests)",
            lambda: check_moment(run, reads, between, between.date()),
            lambda checked: checked,
        )
        upcoming = timed_query(
            name, f"next SLA moment ({n:,} open requests)", lambda: reads.requests.next_moment(between), lambda _: 1
        )
        head = c.store.head()
        t0 = time.perf_counter()
        checked = check_moment(run, reads, now)
        seconds = time.perf_counter() - t0
        events = c.store.head() - head
    assert checked == n and events == n, (checked, events)
    tick = Figure(name, f"SLA check, all {n:,} requests fall due", seconds, "s/tick", n, seconds)
    tick.extra.update(
        requests_per_s=round(n / seconds, 1),
        events=events,
        events_per_s=round(events / seconds, 1),
        build_s=round(built, 1),
        catch_up_s=round(caught, 1),
    )
    return [idle, upcoming, tick]


# -- the run -------------------------------------------------------------------------------------


def selected_backends() -> tuple[str, ...]:
    """Both backends, or those named in ``CPTY_BENCH_BACKENDS`` (``sqlite`` or ``postgres``)."""
    return tuple(b.strip() for b in os.environ.get(BACKENDS_ENV, "sqlite,postgres").split(",") if b.strip())


def selected_groups() -> tuple[str, ...]:
    """Every group, or those named in ``CPTY_BENCH_GROUPS`` (comma-separated)."""
    wanted = [g.strip() for g in os.environ.get(GROUPS_ENV, "").split(",") if g.strip()]
    unknown = set(wanted) - set(GROUPS)
    if unknown:
        raise ValueError(f"{GROUPS_ENV}: unknown group(s) {', '.join(sorted(unknown))}; known: {', '.join(GROUPS)}")
    return tuple(wanted) or GROUPS


def bench_backend(target: Target, sizes: Sizes, console: Console) -> list[Figure]:
    console.rule(f"[bold]{target.name}[/bold]")
    groups: dict[str, Callable[[Target, Sizes, Progress], list[Figure]]] = {
        "commands": bench_commands,
        "projections": bench_projections,
        "invoices": bench_invoices,
        "queries": bench_queries,
        "collection": bench_collection,
        "campaigns": bench_campaigns,
        "mailings": bench_mailings,
        "requests": bench_requests,
    }
    figures: list[Figure] = []
    with progress_bar(console) as bar:
        for group in selected_groups():
            started = time.perf_counter()
            figures += groups[group](target, sizes, bar)
            console.print(
                f"{target.name}: {group} done in {time.perf_counter() - started:.0f} s, load {os.getloadavg()[0]:.2f}"
            )
    return figures


def figures_table(figures: list[Figure], title: str) -> Table:
    table = Table(title=title)
    table.add_column("backend")
    table.add_column("measurement")
    table.add_column("value", justify="right")
    table.add_column("unit")
    table.add_column("baseline")
    table.add_column("ratio", justify="right")
    for f in figures:
        value = f"{f.value:,.1f}" if f.value < 100 else f"{f.value:,.0f}"
        baseline = f.baseline or ""
        ratio = ""
        if f.ratio is not None:
            ratio = f"{f.ratio:.2f}"
            if f.aim is not None:
                ratio = f"[green]{ratio} ≥{f.aim:.2f}[/green]" if f.meets_aim else f"[red]{ratio} <{f.aim:.2f}[/red]"
        table.add_row(f.backend, f.measurement, value, f.unit, baseline, ratio)
    return table


def machine(targets: list[Target]) -> dict[str, Any]:
    info: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "platform": platform.platform(),
        "python": platform.python_version(),
        "eventsourcing": package_version("eventsourcing"),
        "psycopg": package_version("psycopg"),
        "sqlalchemy": package_version("sqlalchemy"),
    }
    for target in targets:
        info[f"{target.name}_version"] = target.server_version()
    return info


def results_path() -> Path:
    data_dir = Settings().data_dir
    return (data_dir if data_dir.is_dir() else Path.cwd()) / "bench-results.json"


def run_benchmarks(quick: bool, postgres_url: str | None, console: Console) -> list[Figure]:
    sizes = Sizes.for_mode(quick)
    console.print(
        f"[bold]counterparty bench[/bold] ({'quick' if quick else 'full'}): {sizes.commands} commands, "
        f"{sizes.http} HTTP requests, {sizes.log_events:,}-event log, {sizes.invoices:,} invoices, "
        f"{sizes.query_lines:,} invoice lines, collection {sizes.collection}; groups {','.join(selected_groups())}; "
        f"{os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    figures: list[Figure] = []
    info: dict[str, Any] = {}
    skipped: str | None = None
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cpty-bench-") as tmp:
        root = Path(tmp)
        targets: list[Target] = []
        if "sqlite" in selected_backends():
            sqlite = SqliteTarget(root)
            figures += bench_backend(sqlite, sizes, console)
            targets.append(sqlite)
        server, found, _handle = (
            locate_postgres(postgres_url) if "postgres" in selected_backends() else (None, "not selected", None)
        )
        if server is None:
            skipped = f"PostgreSQL skipped: {found}"
            console.print(f"[yellow]{skipped}[/yellow]")
        else:
            console.print(f"PostgreSQL: {found}")
            with scratch_database(server) as url:
                pg = PostgresTarget(root, url)
                figures += bench_backend(pg, sizes, console)
                targets.append(pg)
                info = machine(targets)
        if not info:
            info = machine(targets)
    elapsed = time.perf_counter() - started
    console.print(figures_table(figures, f"counterparty bench ({'quick' if quick else 'full'}, {elapsed:.0f} s)"))
    misses = [f for f in figures if not f.meets_aim]
    if misses:
        console.print(f"[red]{len(misses)} figure(s) below their aim[/red]")
    else:
        console.print("[green]every ratio meets its aim[/green]")
    path = results_path()
    document = {
        "mode": "quick" if quick else "full",
        "finished_at": datetime.now(UTC).isoformat(),
        "seconds": round(elapsed, 1),
        "sizes": asdict(sizes),
        "aims": {"command_layer_to_bare_save": COMMAND_AIM, "catch_up_to_read_decode": CATCH_UP_AIM},
        "machine": {**info, "load_average_at_start": load_at_start},
        "postgres": skipped or "measured",
        "figures": [f.as_json() for f in figures],
    }
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")
    console.print(f"figures written to {path}")
    return figures
