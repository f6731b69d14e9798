"""``counterparty bench``: throughput figures on SQLite and PostgreSQL, each against a baseline
measured in the same run on the same machine, so that the ratios (not the absolute numbers) are
what the performance budget in DESIGN.md is checked against.

(a) Partner commands through the command layer (``Container.execute``) and through HTTP (the
    FastAPI app in process, read-your-writes wait included), against the library's bare ``save``
    of one small aggregate per transaction and against the raw driver (``sqlite3`` / ``psycopg``
    INSERTs of stored-event-shaped rows, one transaction per row).
(b) Projection catch-up from zero of a partner-heavy log, against reading and decoding the same log
    (``select_notifications`` pages of 1,000 + ``to_domain_event``).

Every measurement group gets a fresh store: a new SQLite directory, or an emptied schema of a
scratch PostgreSQL database ``cpty_bench_<random>`` that is dropped at the end.
"""

from __future__ import annotations

import json
import os
import platform
import secrets
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
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

from aggregates.base import DomainEvent, EventMeta
from aggregates.partner import Address, Contact, Partner, PartnerDetails
from commands.partners import ChangePartner, RegisterPartner, change_partner, register_partner
from services.container import Container, Request
from services.settings import Settings

ADMIN_KEY = "bench-admin-key"
COMMAND_AIM = 0.40  # command layer ÷ bare save
CATCH_UP_AIM = 0.30  # projection catch-up ÷ raw read + decode
READ_PAGE = 1000
LOG_BATCH = 1000  # events per store.save while building the log
RAW_TABLE = "bench_raw_events"
ROUNDS = 5  # interleaved rounds of commands and their baselines


# -- sizes and figures ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Sizes:
    commands: int
    http: int
    log_events: int

    @classmethod
    def for_mode(cls, quick: bool) -> Sizes:
        return cls(commands=200, http=100, log_events=10_000) if quick else cls(2_000, 1_000, 100_000)


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


# -- the run -------------------------------------------------------------------------------------


def bench_backend(target: Target, sizes: Sizes, console: Console) -> list[Figure]:
    console.rule(f"[bold]{target.name}[/bold]")
    with progress_bar(console) as bar:
        figures = bench_commands(target, sizes, bar)
        figures += bench_projections(target, sizes, bar)
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
        f"{sizes.http} HTTP requests, {sizes.log_events:,}-event log; {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    figures: list[Figure] = []
    info: dict[str, Any] = {}
    skipped: str | None = None
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cpty-bench-") as tmp:
        root = Path(tmp)
        sqlite = SqliteTarget(root)
        figures += bench_backend(sqlite, sizes, console)
        targets: list[Target] = [sqlite]
        server, found, _handle = locate_postgres(postgres_url)
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
