"""(h) The requests process manager's service-level check over many open requests."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

from rich.progress import Progress
from sqlalchemy import text

from aggregates.base import DomainEvent
from aggregates.request import Request as OpenedRequest
from aggregates.request import RequestDetails, ServiceLevel
from commands.context import Result
from processes.requests import check_moment
from services.bootstrap.container import Container, ProcessReads
from services.cli.bench.common import (
    LOG_BATCH,
    Advance,
    Figure,
    Sizes,
    catch_up_read_models,
    open_container,
    task,
    timed_query,
)
from services.cli.bench.data import stamped
from services.cli.bench.targets import Target
from services.workers.ports import Request

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
