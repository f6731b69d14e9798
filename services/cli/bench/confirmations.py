"""(l) A balance-confirmation series: every partner with an open invoice at the series date sent
one confirmation by e-mail (issue 17: 20,000 partners "in minutes"), against the raw driver
writing the rows the series wrote in as many transactions; then the same request again, which
must add nothing."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from uuid import UUID

from rich.progress import Progress

from aggregates.balance_confirmation import BalanceConfirmationSeries
from commands.balance_confirmations import (
    BATCH,
    SendConfirmations,
    SeriesProgress,
    StartBalanceConfirmations,
    prepare_series,
    start_balance_confirmations,
)
from commands.context import Result
from queries.balance_confirmations import BalanceConfirmationQueries
from services.bootstrap.container import Container
from services.cli.bench.common import Figure, Sizes, catch_up_read_models, open_container, rate, task
from services.cli.bench.data import build_receivables
from services.cli.bench.targets import RawRow, Target
from services.workers.ports import Request

CONFIRMATION_READ_MODELS = ("partner_directory", "receivables")


def written_rows(c: Container, after: int, upto: int) -> list[RawRow]:
    """The stored events between the positions, as the raw driver would write them."""
    rows: list[RawRow] = []
    position = after
    while position < upto and (page := c.store.read_raw(position, 1000)):
        rows += [(UUID(str(n.originator_id)), n.originator_version, n.topic, n.state) for n in page if n.id <= upto]
        position = page[-1].id
    return rows


def send_series(c: Container, command: StartBalanceConfirmations, advance: Callable[[int], None]) -> SeriesProgress:
    """What ``POST /v1/balance-confirmations`` runs: the start, then the plan sent batch by batch."""
    request = Request(actor="bench")

    def run(handler: Callable[[Any, Any], Result], cmd: Any) -> Result:
        result = c.execute(handler, cmd, request)
        if isinstance(cmd, SendConfirmations):
            advance(len(cmd.planned))
        return result

    started = run(start_balance_confirmations, command)
    return prepare_series(run, BalanceConfirmationQueries(c.catalog), started.detail)


def bench_confirmations(target: Target, sizes: Sizes, bar: Progress) -> list[Figure]:
    """``n`` partners with one open invoice each (issued 40 days before the series date), one
    series by e-mail to all of them, then the same request again."""
    name = target.name
    n = sizes.confirmation_partners
    size = f"{n:,} partners"
    with open_container(target.settings("confirmations")) as c:
        as_of = c.today() - timedelta(days=1)
        started = time.perf_counter()
        build_receivables(
            c, n, n, 1, lambda i: as_of - timedelta(days=40), task(bar, f"{name}: building {size}", n * 6)
        )
        built = time.perf_counter() - started
        caught = catch_up_read_models(c, CONFIRMATION_READ_MODELS, bar, name)
        t0 = time.perf_counter()
        plan = BalanceConfirmationQueries(c.catalog).plan(as_of, (), ())
        plan_s = time.perf_counter() - t0
        assert len(plan) == n, f"{len(plan)} partners planned of {n}"
        command = StartBalanceConfirmations(as_of=as_of)
        head = c.store.head()
        t0, cpu0 = time.perf_counter(), time.process_time()
        progress = send_series(c, command, task(bar, f"{name}: series to {size}", n))
        seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        done = c.store.head()
        t0 = time.perf_counter()
        again = send_series(c, command, lambda _: None)
        rerun_s = time.perf_counter() - t0
        added = c.store.head() - done
        series = c.store.get(progress.series)
        assert isinstance(series, BalanceConfirmationSeries), series
        # A partner whose confirmation could not be made is logged ("balance confirmation not sent")
        # and left out: the series must reach everyone.
        assert series.completed and series.sent == n, f"the series sent {series.sent} of {n} confirmations"
        assert again.series == progress.series and again.sent == n and added == 0, (again, added)
        rows = written_rows(c, head, done)
    transactions = progress.batches + 2  # the start, each batch, the completion
    raw = rate(
        name,
        f"raw driver INSERT, the series' {len(rows):,} rows in {transactions} txns",
        n,
        target.raw_inserts(rows, math.ceil(len(rows) / transactions)),
        "confirmations/s",
    )
    whole = Figure(name, f"balance-confirmation series ({size}, e-mail)", seconds, "s", n, seconds)
    whole.extra.update(
        cpu_s=round(cpu, 1),
        confirmations_per_s=round(n / seconds, 1),
        events=done - head,
        events_per_s=round((done - head) / seconds, 1),
        batches=progress.batches,
        batch_size=BATCH,
        plan_s=round(plan_s, 1),
        build_s=round(built, 1),
        catch_up_s=round(caught, 1),
    )
    sent = rate(name, f"balance confirmations sent ({size})", n, seconds, "confirmations/s", cpu_s=round(cpu, 1))
    rerun = Figure(name, f"same series request again ({size}): events added", added, "events", added, rerun_s)
    rerun.extra.update(seconds=round(rerun_s, 3), sent=again.sent, completed=again.completed)
    return [whole, sent.against(raw), raw, rerun]
