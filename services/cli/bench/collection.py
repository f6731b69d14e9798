"""(e) A collection run at two sizes."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from rich.progress import Progress

from aggregates.errors import DomainError
from commands.collection import DefineScheme, define_scheme
from commands.context import Result
from commands.messages import CreateTemplate, create_template
from processes.collection import run_collection
from services.bootstrap.container import Container, ProcessReads
from services.cli.bench.common import Figure, Sizes, catch_up_read_models, open_container, task
from services.cli.bench.data import build_receivables
from services.cli.bench.targets import Target
from services.workers.ports import Request

COLLECTION_READ_MODELS = ("partner_directory", "receivables", "collection")


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
