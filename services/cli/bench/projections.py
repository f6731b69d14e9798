"""(b) Projection catch-up from zero of a partner-heavy log, against reading and decoding it."""

from __future__ import annotations

import time

from rich.progress import Progress

from aggregates.base import DomainEvent
from services.bootstrap.container import Container
from services.cli.bench.common import (
    CATCH_UP_AIM,
    LOG_BATCH,
    Advance,
    Figure,
    Sizes,
    combined,
    open_container,
    rate,
    task,
)
from services.cli.bench.data import partner_history
from services.cli.bench.targets import Target

READ_PAGE = 1000


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
        rebuild = bench_rebuild_all(name, c, task(bar, f"{name}: rebuild all in one pass", head))
    applied = sum(f.count for f in catch_ups)
    seconds = sum(f.seconds for f in catch_ups)
    every = rate(name, f"catch-up, all {len(catch_ups)} read models one by one", applied, seconds, "events/s")
    estimate = Figure(name, "rebuild all, 1M-event log (est.)", 1_000_000 / rebuild.value / 60, "minutes")
    return [
        built,
        raw,
        *(f.against(raw, CATCH_UP_AIM) for f in catch_ups),
        every.against(raw),
        rebuild.against(raw, CATCH_UP_AIM),
        estimate,
    ]


def bench_rebuild_all(backend: str, c: Container, advance: Advance) -> Figure:
    """What ``replay`` and a rebuild do: fresh versions of every read model (made before the clock
    starts: their DDL is not the rebuild's work), filled in one pass that reads and decodes each
    page of the log once for all of them."""
    versions = {name: c.catalog.version(name) + 1 for name in c.catalog.projections}
    for projection, version in versions.items():
        c.catalog.drop(projection, version)
        c.catalog.ensure(projection, version)
    started = time.perf_counter()
    count = c.runner.catch_up_all(versions, advance)
    seconds = time.perf_counter() - started
    for projection, version in versions.items():
        c.catalog.drop(projection, version)
    return rate(backend, "rebuild all read models in one pass (log ev/s)", count, seconds, "events/s")
