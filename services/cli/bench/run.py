"""The run: every selected group on each backend, the table, ``bench-results.json``."""

from __future__ import annotations

import json
import os
import platform
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from services.cli.bench.as_of import bench_as_of
from services.cli.bench.campaigns import bench_campaigns
from services.cli.bench.collection import bench_collection
from services.cli.bench.commands import bench_commands
from services.cli.bench.common import CATCH_UP_AIM, COMMAND_AIM, Figure, Sizes, progress_bar
from services.cli.bench.confirmations import bench_confirmations
from services.cli.bench.erasure import bench_erasure
from services.cli.bench.http import SCALING_AIM, TO_RAW_AIM, bench_served
from services.cli.bench.invoices import bench_invoices
from services.cli.bench.mailings import bench_mailings
from services.cli.bench.projections import bench_projections
from services.cli.bench.queries import bench_queries
from services.cli.bench.relay import bench_relay
from services.cli.bench.requests import bench_requests
from services.cli.bench.simulation import bench_simulation
from services.cli.bench.targets import PostgresTarget, SqliteTarget, Target, locate_postgres, scratch_database
from services.settings import Settings

# Every group, in the order a run measures them.
GROUPS: dict[str, Callable[[Target, Sizes, Progress], list[Figure]]] = {
    "commands": bench_commands,
    "projections": bench_projections,
    "invoices": bench_invoices,
    "queries": bench_queries,
    "collection": bench_collection,
    "campaigns": bench_campaigns,
    "mailings": bench_mailings,
    "confirmations": bench_confirmations,
    "requests": bench_requests,
    "simulate": bench_simulation,
    "http": bench_served,
    "relay": bench_relay,
    "as_of": bench_as_of,
    "erasure": bench_erasure,
}
GROUPS_ENV = "CPTY_BENCH_GROUPS"  # e.g. "invoices,collection": run only those groups
BACKENDS_ENV = "CPTY_BENCH_BACKENDS"  # "sqlite" or "postgres": measure only that one


def selected_backends() -> tuple[str, ...]:
    """Both backends, or those named in ``CPTY_BENCH_BACKENDS`` (``sqlite`` or ``postgres``)."""
    return tuple(b.strip() for b in os.environ.get(BACKENDS_ENV, "sqlite,postgres").split(",") if b.strip())


def selected_groups() -> tuple[str, ...]:
    """Every group, or those named in ``CPTY_BENCH_GROUPS`` (comma-separated)."""
    wanted = [g.strip() for g in os.environ.get(GROUPS_ENV, "").split(",") if g.strip()]
    unknown = set(wanted) - set(GROUPS)
    if unknown:
        raise ValueError(f"{GROUPS_ENV}: unknown group(s) {', '.join(sorted(unknown))}; known: {', '.join(GROUPS)}")
    return tuple(wanted) or tuple(GROUPS)


def bench_backend(target: Target, sizes: Sizes, console: Console, failures: dict[str, str]) -> list[Figure]:
    """The selected groups on one backend. A group that fails is reported (and recorded in
    ``failures``) and the others still run: a long run does not lose what it measured."""
    console.rule(f"[bold]{target.name}[/bold]")
    figures: list[Figure] = []
    with progress_bar(console) as bar:
        for group in selected_groups():
            started = time.perf_counter()
            try:
                figures += GROUPS[group](target, sizes, bar)
            except Exception as error:
                console.print_exception(max_frames=4)
                failures[f"{target.name} {group}"] = f"{type(error).__name__}: {error}"
                continue
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
        f"{sizes.query_lines:,} invoice lines, collection {sizes.collection}, {sizes.served_seconds:g} s per served "
        f"load, relay {sizes.relay_events:,} events; groups {','.join(selected_groups())}; "
        f"{os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    figures: list[Figure] = []
    info: dict[str, Any] = {}
    skipped: str | None = None
    failures: dict[str, str] = {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cpty-bench-") as tmp:
        root = Path(tmp)
        targets: list[Target] = []
        if "sqlite" in selected_backends():
            sqlite = SqliteTarget(root)
            figures += bench_backend(sqlite, sizes, console, failures)
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
                figures += bench_backend(pg, sizes, console, failures)
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
    for group, error in failures.items():
        console.print(f"[red]{group} failed: {error}[/red]")
    failing = [f"{f.backend} {f.measurement}" for f in figures if f.extra.get("failed")]
    if failing:
        console.print(f"[red]requests failed in: {'; '.join(failing)} (their errors are in the JSON)[/red]")
    path = results_path()
    document = {
        "mode": "quick" if quick else "full",
        "finished_at": datetime.now(UTC).isoformat(),
        "seconds": round(elapsed, 1),
        "sizes": asdict(sizes),
        "aims": {
            "command_layer_to_bare_save": COMMAND_AIM,
            "catch_up_to_read_decode": CATCH_UP_AIM,
            "http_partners_most_clients_to_raw_driver": TO_RAW_AIM,
            "http_partners_most_to_one_client": SCALING_AIM,
        },
        "machine": {**info, "load_average_at_start": load_at_start},
        "postgres": skipped or "measured",
        "failed_groups": failures,
        "figures": [f.as_json() for f in figures],
    }
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")
    console.print(f"figures written to {path}")
    return figures
