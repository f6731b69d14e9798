"""The baselines the command groups are measured against: the raw driver's one-row
transactions and the library's bare ``save``."""

from __future__ import annotations

import time
from uuid import UUID

from services.bootstrap.container import Container
from services.cli.bench.common import Advance, Figure, rate
from services.cli.bench.data import registration
from services.cli.bench.targets import RawRow, Target


def raw_rows(c: Container, n: int) -> list[RawRow]:
    """``n`` stored-event rows of real encoded partner events, as the store would write them."""
    today = c.today()
    mapper = c.store.app.mapper
    rows = []
    for i in range(n):
        stored = mapper.to_stored_event(registration(i, today)[0])
        rows.append((UUID(str(stored.originator_id)), stored.originator_version, stored.topic, stored.state))
    return rows


def raw_inserts(target: Target, rows: list[RawRow]) -> Figure:
    """Plain driver INSERTs of ``rows``, one transaction per row."""
    seconds = target.raw_inserts(rows)
    return rate(target.name, "raw driver INSERT, 1 row/txn", len(rows), seconds, "rows/s")


def bench_raw_driver(target: Target, c: Container, n: int) -> Figure:
    return raw_inserts(target, raw_rows(c, n))


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
