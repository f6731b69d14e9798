"""What every group shares: sizes, figures (result recording), progress bars, timed queries."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from commands.context import Result
from services.bootstrap.container import Container
from services.settings import Settings
from services.workers.ports import Request

ADMIN_KEY = "bench-admin-key"
COMMAND_AIM = 0.40  # command layer ÷ bare save
CATCH_UP_AIM = 0.30  # projection catch-up ÷ raw read + decode
LOG_BATCH = 1000  # events per store.save while building the log
ROUNDS = 5  # interleaved rounds of commands and their baselines
QUERY_RUNS = 20  # each query is timed this many times; the figure is the median
INVOICES_PER_PARTNER = 10  # invoices per partner in the invoice and query data sets


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
    confirmation_partners: int = 1_000  # partners (one open invoice each) a balance-confirmation series reaches
    requests: int = 2_000  # open requests behind the service-level check
    # The http group: seconds of each (operation, clients) load, at most this many operations
    # each, and the raw driver's rows per round measured between the operations.
    served_seconds: float = 2.0
    served_limit: int = 1_000
    served_raw_rows: int = 200
    relay_events: int = 5_000  # the Kafka relay's backlog, and the burst written while it runs
    # The what-if simulation: (open invoices, partners) walked 60 days, and the demo's partners.
    simulation: tuple[int, int] = (2_000, 400)
    simulation_demo_partners: int = 20

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
            confirmation_partners=20_000,
            requests=50_000,
            served_seconds=15.0,
            served_limit=20_000,
            served_raw_rows=1_000,
            relay_events=100_000,
            simulation=(10_000, 2_000),
            simulation_demo_partners=60,
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


def settings_for(data_dir: Path, database_url: str | None) -> Settings:
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        clock="system",
        admin_key=ADMIN_KEY,
        log_level="WARNING",
        rate_limit="1000000000/second",
        rate_limit_anonymous="1000000000/second",
    )


@contextmanager
def open_container(settings: Settings) -> Iterator[Container]:
    container = Container(settings)
    container.runner.ensure_reactors()
    try:
        yield container
    finally:
        container.close()


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


def timed_commands(
    c: Container, handler: Callable[[Any, Any], Result], commands: Sequence[Any], advance: Advance
) -> tuple[float, list[Result]]:
    """Runs the commands one after the other, as the API would: the seconds they took, and what
    each answered."""
    request = Request(actor="bench")
    results: list[Result] = []
    started = time.perf_counter()
    for command in commands:
        results.append(c.execute(handler, command, request))
        advance(1)
    return time.perf_counter() - started, results


def made(results: list[Result]) -> list[UUID]:
    """The ids the commands made, each of which made one."""
    ids = [r.id for r in results if r.id is not None]
    assert len(ids) == len(results), "a command made nothing"
    return ids
