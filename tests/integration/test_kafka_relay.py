"""The Kafka relay against a real broker (Tansu): every event of the log on the topic, in order,
without a gap, as the audit shows it; the position moves only after the broker acknowledged; a
broker that is down delays the relay and nothing else, and the relay catches up when it is back."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from services.adapters.kafka import BrokerUnavailable, Publisher
from services.bootstrap.container import Container
from services.workers.relay import RELAY, KafkaRelay
from tests.api.helpers import create_partner
from tests.api.sales_helpers import invoice_of, pay
from tests.conftest import http_client
from tests.integration.tansu import Tansu, headers, read_topic


@pytest.fixture
def kafka_settings() -> dict[str, Any]:
    return {"kafka_topic": f"events-{uuid4().hex[:8]}", "kafka_partitions": 3, "kafka_timeout": 1.5}


@pytest.fixture
def client(kafka_container: Container) -> Iterator[Any]:
    with http_client(kafka_container) as c:
        yield c


def some_business(client: Any, name: str) -> None:
    partner = create_partner(client, name=name)
    invoice_of(client, partner["id"], "120.00")
    pay(client, partner["id"], "50.00")


def audit_view(client: Any) -> list[dict[str, Any]]:
    response = client.get("/v1/audit/events", params={"limit": 1000})
    assert response.status_code == 200, response.text
    assert response.json()["next_after"] is None
    return response.json()["items"]  # type: ignore[no-any-return]


def log_positions(container: Container) -> list[int]:
    return [logged.position for logged in container.store.iterate()]


def wait_until(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def relay_row(client: Any) -> dict[str, Any]:
    """The relay's admin row; a relay never sets events aside, so its `failures` is always 0."""
    listed = client.get("/v1/admin/projections").json()
    row: dict[str, Any] = next(p for p in listed if p["name"] == RELAY)
    assert row.pop("failures") == 0
    return row


@pytest.mark.postgres
def test_every_event_is_published_in_log_order_as_the_audit_shows_it(
    kafka_container: Container, client: Any, tansu: Tansu, monkeypatch: pytest.MonkeyPatch
) -> None:
    relay: KafkaRelay = kafka_container.relay
    topic = kafka_container.settings.kafka_topic
    relay.page = 7  # several batches
    some_business(client, "Acme")
    some_business(client, "Globex")
    head = kafka_container.store.head()
    assert relay_row(client) == {
        "name": RELAY,
        "kind": "relay",
        "position": 0,
        "lag": head,
        "status": "catching_up",
        "error": None,
    }

    # Each time the position moves, every event up to it is already on the broker.
    moves: list[tuple[int, int]] = []
    advance = relay._advance

    def checked_advance(start: int, end: int) -> None:
        on_broker = {int(headers(r)["position"]) for r in read_topic(tansu.bootstrap, topic)}
        assert {p for p in log_positions(kafka_container) if start < p <= end} <= on_broker
        assert relay.position() == start
        moves.append((start, end))
        advance(start, end)

    monkeypatch.setattr(relay, "_advance", checked_advance)
    assert relay.catch_up() == head
    assert len(moves) == -(-head // 7) and moves[-1][1] == head

    records = read_topic(tansu.bootstrap, topic)
    audit = {item["position"]: item for item in audit_view(client)}
    by_position = sorted(records, key=lambda r: int(headers(r)["position"]))
    # Every event once, no gap, nothing else.
    assert [int(headers(r)["position"]) for r in by_position] == log_positions(kafka_container) == sorted(audit)
    for record in records:
        event = json.loads(record.value)
        assert event == audit[event["position"]]
        assert record.key == event["stream"].encode()
        assert headers(record) == {
            "type": event["type"],
            "position": str(event["position"]),
            "stream_type": event["stream_type"],
            "version": str(event["version"]),
        }
    # One stream lands in one partition, in version order.
    streams: dict[str, list[tuple[int, int]]] = {}
    for record in records:
        event = json.loads(record.value)
        streams.setdefault(event["stream"], []).append((record.partition, event["version"]))
    for seen in streams.values():
        assert len({partition for partition, _ in seen}) == 1
        assert [version for _, version in seen] == list(range(1, len(seen) + 1))
    assert len({r.partition for r in records}) > 1

    assert relay_row(client) == {
        "name": RELAY,
        "kind": "relay",
        "position": head,
        "lag": 0,
        "status": "live",
        "error": None,
    }
    assert f'cpty_projection_lag_events{{kind="relay",name="{RELAY}"}} 0.0' in client.get("/metrics").text

    # What comes later follows, once.
    some_business(client, "Initech")
    assert relay.catch_up() == kafka_container.store.head() - head
    positions = [int(headers(r)["position"]) for r in read_topic(tansu.bootstrap, topic)]
    assert sorted(positions) == log_positions(kafka_container)


def test_a_batch_the_broker_did_not_acknowledge_leaves_the_position_and_is_published_again(
    kafka_container: Container, client: Any, tansu: Tansu, monkeypatch: pytest.MonkeyPatch
) -> None:
    relay: KafkaRelay = kafka_container.relay
    topic = kafka_container.settings.kafka_topic
    some_business(client, "Acme")
    head = kafka_container.store.head()
    publish = Publisher.publish

    def half_then_fail(self: Publisher, to: str, messages: Any) -> None:
        publish(self, to, messages[: len(messages) // 2])
        raise BrokerUnavailable("the broker went away before acknowledging the rest")

    monkeypatch.setattr(Publisher, "publish", half_then_fail)
    with pytest.raises(BrokerUnavailable):
        relay.run_once()
    assert relay.position() == 0
    assert len(read_topic(tansu.bootstrap, topic)) == head // 2

    monkeypatch.setattr(Publisher, "publish", publish)
    assert relay.run_once() == head
    assert relay.position() == head
    records = read_topic(tansu.bootstrap, topic)
    assert len(records) == head + head // 2  # at least once: the first half twice
    # A consumer that deduplicates by (stream, version) sees the log exactly.
    seen = {(json.loads(r.value)["stream"], json.loads(r.value)["version"]): json.loads(r.value) for r in records}
    assert sorted(e["position"] for e in seen.values()) == log_positions(kafka_container)


def test_a_broker_outage_delays_only_the_relay_which_catches_up_after_it(
    kafka_container: Container, client: Any, tansu: Tansu, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="counterparty.relay")
    relay: KafkaRelay = kafka_container.relay
    topic = kafka_container.settings.kafka_topic
    relay.retry_interval = 0.2
    relay.start()
    try:
        create_partner(client, name="Before")
        head = kafka_container.store.head()
        wait_until(lambda: relay.position() == head)

        tansu.stop()
        started = time.monotonic()
        some_business(client, "During")  # commands and read models go on
        assert client.get("/v1/partners", params={"q": "During"}).json()["items"][0]["name"] == "During"
        assert time.monotonic() - started < 5
        wait_until(lambda: relay.error is not None)
        during = kafka_container.store.head()
        assert relay.position() == head
        row = relay_row(client)
        assert row.pop("error")  # what the broker answered, for the operator
        assert row == {"name": RELAY, "kind": "relay", "position": head, "lag": during - head, "status": "failed"}
        lag = f'cpty_projection_lag_events{{kind="relay",name="{RELAY}"}} {float(during - head)}'
        assert lag in client.get("/metrics").text
        paused = [r for r in caplog.records if r.getMessage().startswith("kafka relay paused")]
        assert len(paused) == 1 and paused[0].levelno == logging.WARNING and paused[0].position == head

        tansu.start()  # a clean broker: the topic is gone and is created again
        # The round that publishes moves the position, then clears the error.
        wait_until(lambda: relay.position() == during and relay.error is None)
        assert relay_row(client)["status"] == "live"
        assert any(r.getMessage() == "kafka relay resumed" for r in caplog.records)
        records = read_topic(tansu.bootstrap, topic)
        published = sorted({int(headers(r)["position"]) for r in records})
        assert published == [p for p in log_positions(kafka_container) if p > head]
    finally:
        relay.stop()


def documented_consumer() -> dict[str, Any]:
    """The consumer of docs/kafka.md, run as it is printed there."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "kafka.md").read_text()
    code = doc.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, Any] = {}
    exec(compile(code, "docs/kafka.md", "exec"), namespace)
    return namespace


def test_the_documented_consumer_builds_its_read_model_once_from_a_topic_with_duplicates(
    kafka_container: Container, client: Any, tansu: Tansu, tmp_path: Path
) -> None:
    import sqlite3

    from projections.catalog import tracking

    relay: KafkaRelay = kafka_container.relay
    topic = kafka_container.settings.kafka_topic
    acme = create_partner(client, name="Acme", code="ACME")["id"]
    globex = create_partner(client, name="Globex", code="GLOBEX")["id"]
    pay(client, acme, "100.00")
    pay(client, acme, "20.50")
    relay.catch_up()
    # A crash before the position moved: the whole log is published a second time.
    with kafka_container.catalog.engine.begin() as conn:
        conn.execute(tracking.update().where(tracking.c.key == RELAY).values(position=0))
    relay.catch_up()
    assert len(read_topic(tansu.bootstrap, topic)) == 2 * kafka_container.store.head()

    follow = documented_consumer()["follow"]
    db = str(tmp_path / "paid.db")

    def paid() -> dict[str, str]:
        with sqlite3.connect(db) as conn:
            return dict(conn.execute("SELECT code, amount FROM paid"))

    follow(tansu.bootstrap, db, topic, idle_ms=800)
    assert paid() == {"ACME": "120.50", "GLOBEX": "0.00"}

    pay(client, globex, "7.00")
    relay.catch_up()
    follow(tansu.bootstrap, db, topic, idle_ms=800)  # from its stored offsets
    assert paid() == {"ACME": "120.50", "GLOBEX": "7.00"}
