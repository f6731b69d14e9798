"""``counterparty bench``'s relay group, small, against the test broker: what it counts is what
was published. No timing is asserted."""

from __future__ import annotations

from pathlib import Path

import pytest
from kafka import KafkaConsumer
from rich.console import Console
from rich.progress import Progress

from services.cli.bench.common import Sizes
from services.cli.bench.relay import BROKER_ENV, bench_relay
from services.cli.bench.targets import SqliteTarget
from tests.integration.tansu import Tansu, read_topic


def test_the_relay_group_publishes_a_backlog_and_a_burst_and_reports_the_lag(
    tansu: Tansu, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(BROKER_ENV, tansu.bootstrap)
    sizes = Sizes(commands=1, http=1, log_events=1, relay_events=1_500)
    with Progress(console=Console(quiet=True)) as bar:
        backlog, publisher, burst, lag = bench_relay(SqliteTarget(tmp_path), sizes, bar)

    assert (backlog.measurement, backlog.count, backlog.unit) == ("relay: backlog of 1,500 events", 1_500, "events/s")
    assert backlog.baseline == publisher.measurement and backlog.ratio is not None
    assert publisher.count == 1_500
    assert (burst.measurement, burst.count) == ("relay: burst of 1,500 events, until lag 0", 1_500)
    assert 0 <= lag.value == burst.extra["lag_at_burst_end"] <= burst.extra["max_lag"] <= 1_500
    # Warm-up, backlog and burst: every event of the log is on the relay's topic, in order.
    (topic,) = [t for t in tansu_topics(tansu) if t.startswith("bench-relay-")]
    positions = [int(dict(r.headers)["position"]) for r in read_topic(tansu.bootstrap, topic)]
    assert positions == list(range(1, 1_000 + 1_500 + 1_500 + 1))


def tansu_topics(tansu: Tansu) -> set[str]:
    consumer = KafkaConsumer(bootstrap_servers=tansu.bootstrap)
    try:
        return set(consumer.topics())
    finally:
        consumer.close()
