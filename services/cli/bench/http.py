"""(i) A real ``counterparty serve`` subprocess driven by 1, 8 and 32 keep-alive clients: register
partners, draft and issue invoices, receive payments, read profiles. Each figure is held against
the raw driver's one-row transactions measured in the same group, between the operations."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from rich.progress import Progress

from services.cli.bench.baselines import raw_inserts, raw_rows
from services.cli.bench.common import ADMIN_KEY, Figure, Sizes, combined, open_container, rate, task
from services.cli.bench.load import Load, Operation, drive, expect
from services.cli.bench.targets import Target
from services.settings import Settings

CLIENTS = (1, 8, 32)
WARM_UP = 3  # untimed operations before each operation's loads: imports, first queries, caches
READY_TIMEOUT = 120.0  # seconds for a server to answer /readyz (it creates its tables first)
PARTNERS = "POST /v1/partners"
# Aims of issue 12 for POST /v1/partners at the most clients: ÷ the raw driver's 1-row transaction,
# and the most clients ÷ 1 client.
TO_RAW_AIM = {"sqlite": 0.15, "postgres": 0.30}
SCALING_AIM = 3.0
INVOICE_TOTAL = "119.00"  # one line of 2 × 50.00 plus 19 % tax


@dataclass
class Scenario:
    """The operations of the group, in order; each one works on what the earlier ones made (the
    partners registered, the partners invoiced). Lists are appended to from client threads."""

    partners: list[str] = field(default_factory=list)
    invoiced: list[str] = field(default_factory=list)

    def operations(self) -> list[tuple[str, str, Operation]]:
        """(label, unit, operation) in the order they run."""
        return [
            (PARTNERS, "requests/s", self.register),
            ("draft + issue invoice", "invoices/s", self.invoice),
            ("POST /v1/payments", "requests/s", self.pay),
            ("GET /v1/partners/{id}/profile", "requests/s", self.profile),
        ]

    def register(self, client: httpx.Client, i: int) -> None:
        body = {"name": f"Served Partner {i} KG", "email": f"served{i}@example.com", "tags": ["bench", f"t{i % 10}"]}
        self.partners.append(expect(client.post("/v1/partners", json=body), 201)["id"])

    def invoice(self, client: httpx.Client, i: int) -> None:
        partner = self.partners[i % len(self.partners)]
        line = {"product": f"P{i % 50:03d}", "quantity": "2", "unit_price": "50.00", "tax_rate": "19"}
        draft = expect(client.post("/v1/documents", json={"type": "invoice", "partner": partner, "lines": [line]}), 201)
        expect(client.post(f"/v1/documents/{draft['id']}/issue"), 200)
        self.invoiced.append(partner)

    def pay(self, client: httpx.Client, i: int) -> None:
        """One invoice's total: oldest-first allocation settles one open invoice of the partner."""
        body = {"partner": self.invoiced[i % len(self.invoiced)], "amount": INVOICE_TOTAL}
        expect(client.post("/v1/payments", json=body), 201)

    def profile(self, client: httpx.Client, i: int) -> None:
        expect(client.get(f"/v1/partners/{self.partners[i % len(self.partners)]}/profile"), 200)


@dataclass(frozen=True)
class Measured:
    label: str
    unit: str
    load: Load


def exercise(
    base_url: str,
    clients: Sequence[int],
    seconds: float,
    limit: int,
    between: Callable[[str], None] = lambda _: None,
    done: Callable[[Measured], None] = lambda _: None,
    key: str = ADMIN_KEY,
) -> list[Measured]:
    """Every operation of the scenario against the server at ``base_url``, at each number of
    clients; ``between(label)`` runs before each operation's loads (the raw driver's rounds),
    ``done`` after each load; ``key`` is an admin or clerk API key. An operation whose warm-up
    fails stops the run: the scenario itself is broken, and the later operations need its data."""
    scenario = Scenario()
    headers = {"Authorization": f"Bearer {key}"}
    measured = []
    for label, unit, operation in scenario.operations():
        between(label)
        warm = drive(base_url, operation, 1, READY_TIMEOUT, WARM_UP, headers)
        if warm.failed:
            raise RuntimeError(f"{label}: the warm-up failed: {'; '.join(warm.errors)}")
        for n in clients:
            # A load whose requests fail is a finding, not a broken scenario: it is recorded with
            # its failures (and the errors the server gave) and the run goes on.
            measured.append(Measured(label, unit, drive(base_url, operation, n, seconds, limit, headers)))
            done(measured[-1])
    return measured


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(settings: Settings) -> dict[str, str]:
    """This process's environment with the bench's settings for the server: its data directory
    and database, the admin key, the system clock, and no rate limit."""
    env = {
        **os.environ,
        "CPTY_DATA_DIR": str(settings.data_dir),
        "CPTY_ADMIN_KEY": ADMIN_KEY,
        "CPTY_CLOCK": "system",
        "CPTY_LOG_LEVEL": "WARNING",
        "CPTY_RATE_LIMIT": settings.rate_limit,
        "CPTY_RATE_LIMIT_ANONYMOUS": settings.rate_limit_anonymous,
    }
    env.pop("CPTY_DATABASE_URL", None)
    if settings.database_url:
        env["CPTY_DATABASE_URL"] = settings.database_url
    return env


@contextmanager
def served(settings: Settings) -> Iterator[str]:
    """A ``counterparty serve`` subprocess on a free port of 127.0.0.1 that answers /readyz; its
    base URL. Its output goes to ``serve.log`` in its data directory."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    log = settings.data_dir / "serve.log"
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "services.cli.main", "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, env=server_env(settings), cwd=settings.data_dir, stdout=out, stderr=subprocess.STDOUT
        )
        try:
            wait_ready(base_url, process, log)
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_ready(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"counterparty serve exited with {process.returncode}: {tail(log)}")
        try:
            if httpx.get(f"{base_url}/readyz", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"counterparty serve did not answer /readyz within {READY_TIMEOUT:.0f} s: {tail(log)}")


def tail(log: Path, chars: int = 2000) -> str:
    return log.read_text(errors="replace")[-chars:] if log.exists() else "(no output)"


def bench_served(target: Target, sizes: Sizes, bar: Progress) -> list[Figure]:
    """The scenario against a fresh server, with a round of raw INSERTs before each operation and
    one after the last, so that a change in the machine's load hits the figures and the baseline
    alike."""
    name = target.name
    settings = target.settings("http")
    with open_container(settings) as c:  # the schema exists before the server starts; rows to insert
        rows = raw_rows(c, sizes.served_raw_rows)
    raws: list[Figure] = []
    advance = task(bar, f"{name}: HTTP, {len(CLIENTS)} loads × 4 operations", 4 * len(CLIENTS))

    def between(_label: str) -> None:
        raws.append(raw_inserts(target, rows))

    with served(settings) as base_url:
        measured = exercise(base_url, CLIENTS, sizes.served_seconds, sizes.served_limit, between, lambda _: advance(1))
        between("end")
    raw = combined(raws)
    raw.measurement = "raw driver INSERT (http group)"
    return [raw, *served_figures(name, raw, measured)]


def served_figures(backend: str, raw: Figure, measured: list[Measured]) -> list[Figure]:
    """A figure per (operation, clients) against the raw driver, then per operation the most
    clients against one client."""
    figures: dict[tuple[str, int], Figure] = {}
    for m in measured:
        n = m.load.clients
        figure = rate(
            backend,
            f"HTTP {m.label}, {n} client{'s' if n > 1 else ''}",
            m.load.done,
            m.load.seconds,
            m.unit,
            operation=m.label,
            **m.load.summary(),
        )
        aim = TO_RAW_AIM.get(backend) if m.label == PARTNERS and n == max(CLIENTS) else None
        figures[(m.label, n)] = figure.against(raw, aim)
    scaling = []
    most = max(CLIENTS)
    for (label, n), top in figures.items():
        one = figures.get((label, 1))
        if n != most or one is None:
            continue
        figure = Figure(backend, f"HTTP {label}, {most} ÷ 1 clients", top.value, top.unit, top.count, top.seconds)
        scaling.append(figure.against(one, SCALING_AIM if label == PARTNERS else None))
    return [*figures.values(), *scaling]
