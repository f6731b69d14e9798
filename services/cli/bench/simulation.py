"""(k) What-if simulation: 60 days walked on a copy of the books, over the demo data and over
10,000 open invoices.

Each figure is the rate of simulated days per second against the rate its aim asks for (60 days
in 10 s over the demo data, in 60 s over the open invoices): a ratio of 1 or more meets the aim."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from decimal import Decimal

from rich.progress import Progress

from services.bootstrap.container import Container
from services.bootstrap.simulation import Outcome, Payment, simulate
from services.cli.bench.collection import define_collection
from services.cli.bench.common import Figure, Sizes, catch_up_read_models, open_container, task
from services.cli.bench.data import build_receivables
from services.cli.bench.targets import Target
from services.cli.demo import load_demo

DAYS = 60
READ_MODELS = ("partner_directory", "receivables", "collection", "recurring_invoices")
DEMO_AIM_S = 10.0
INVOICES_AIM_S = 60.0


def _walk(c: Container, name: str, measurement: str, aim_s: float, payments: list[Payment], bar: Progress) -> Figure:
    advance = task(bar, f"{name}: {measurement}", DAYS + 1)
    start = c.today()
    seen = [start]

    def walked(day: object) -> None:
        assert isinstance(day, type(start))
        advance((day - seen[-1]).days + (1 if day == start else 0))
        seen.append(day)

    head, now = c.store.head(), c.clock.now()
    t0, cpu0 = time.perf_counter(), time.process_time()
    outcome: Outcome = simulate(c, start + timedelta(days=DAYS), payments, walked)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    assert c.store.head() == head and c.clock.now() >= now, "the simulation wrote to the real books"
    figure = Figure(name, measurement, (DAYS + 1) / seconds, "days/s", DAYS + 1, seconds)
    figure.baseline = f"aim: {DAYS + 1} days in {aim_s:g} s"
    figure.baseline_value = (DAYS + 1) / aim_s
    figure.aim = 1.0
    figure.extra.update(
        cpu_s=round(cpu, 1),
        messages=len(outcome.messages),
        charges=len(outcome.charges),
        levels=len(outcome.levels),
        invoices=len(outcome.invoices),
        partners=len(outcome.balances),
    )
    return figure


def bench_simulation_demo(target: Target, partners: int, bar: Progress) -> Figure:
    """The demo data set (``partners`` partners, 120 days of sales up to today), then 60 days."""
    base = target.settings("simulate-demo")
    first = datetime.combine(datetime.now(UTC).date() - timedelta(days=120), clock_time(0), UTC)
    settings = base.model_copy(update={"clock": "manual", "clock_start": first})
    with open_container(settings) as c:
        load_demo(c, partners, bar, 120)
        c.runner.drain()
        return _walk(c, target.name, f"simulate {DAYS} days, demo ({partners} partners)", DEMO_AIM_S, [], bar)


def bench_simulation_invoices(target: Target, invoices: int, partners: int, bar: Progress) -> Figure:
    """``invoices`` open invoices, due from 10 days ago to 49 days ahead, on the collection
    group's scheme (e-mail at 7 days, fee at 21); a payment from every tenth partner."""
    with open_container(target.settings(f"simulate-{invoices}")) as c:
        day = c.today()
        define_collection(c)
        ids = build_receivables(
            c,
            invoices,
            partners,
            1,
            lambda i: day - timedelta(days=40 - i % 60),
            task(bar, f"{target.name}: building {invoices:,} open invoices", invoices * 3 + partners * 3),
        )
        catch_up_read_models(c, READ_MODELS, bar, target.name)
        payments = [Payment(str(p), Decimal("50.00"), day + timedelta(days=5)) for p in ids[::10]]
        measurement = f"simulate {DAYS} days, {invoices:,} open inv"
        return _walk(c, target.name, measurement, INVOICES_AIM_S, payments, bar)


def bench_simulation(target: Target, sizes: Sizes, bar: Progress) -> list[Figure]:
    invoices, partners = sizes.simulation
    return [
        bench_simulation_demo(target, sizes.simulation_demo_partners, bar),
        bench_simulation_invoices(target, invoices, partners, bar),
    ]
