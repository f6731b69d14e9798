"""Bank payments in, against a real broker (Tansu): statement lines become payments of the partner
they name (by code, or by an invoice number in the reference), placed oldest due first, once per
line id however often a line is read; malformed and unmatched lines go to the dead-letter topic,
and unmatched ones wait in /v1/payments/unmatched for a clerk. Offsets are committed only once
the lines are in the log."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from services.adapters.kafka import Subscription
from services.bootstrap.container import Container
from services.workers.bank_lines import BankLineConsumer
from tests.api.helpers import assert_problem, create_partner
from tests.api.sales_helpers import invoice_of
from tests.conftest import http_client
from tests.integration.tansu import Tansu, headers, read_topic

CLI = str(Path(sys.executable).with_name("counterparty"))


@pytest.fixture
def kafka_settings() -> dict[str, Any]:
    return {
        "kafka_payments_topic": f"bank-{uuid4().hex[:8]}",
        "kafka_payments_group": f"payments-{uuid4().hex[:8]}",
        "kafka_partitions": 2,
        "kafka_timeout": 3.0,
    }


@pytest.fixture
def client(kafka_container: Container) -> Iterator[Any]:
    with http_client(kafka_container) as c:
        yield c


@dataclasses.dataclass
class Books:
    acme: str
    beta: str
    older: dict[str, Any]  # ACME's invoice due first
    newer: dict[str, Any]
    beta_invoice: dict[str, Any]


@pytest.fixture
def books(client: Any) -> Books:
    acme = create_partner(client, name="Acme", code="ACME")["id"]
    beta = create_partner(client, name="Beta", code="BETA")["id"]
    newer = invoice_of(client, acme, "80.00", due_date="2026-02-10")
    older = invoice_of(client, acme, "60.00", due_date="2026-01-20")
    beta_invoice = invoice_of(client, beta, "30.00")
    return Books(acme, beta, older, newer, beta_invoice)


def bank_line(
    id: str, amount: str, reference: str = "", partner: str | None = None, date: str = "2026-01-15", **more: Any
) -> dict[str, Any]:
    return {
        "id": id,
        "date": date,
        "amount": amount,
        "currency": "EUR",
        "reference": reference,
        "partner": partner,
        "iban": None,
        **more,
    }


def produce(bootstrap: str, topic: str, lines: list[Any]) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", allow_auto_create_topics=False)
    for line in lines:
        value = line if isinstance(line, bytes) else json.dumps(line).encode()
        key = line["id"].encode() if isinstance(line, dict) else None
        producer.send(topic, key=key, value=value)
    producer.flush(10)
    producer.close()


def committed(bootstrap: str, group: str, topic: str, partitions: int) -> list[int | None]:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    try:
        return [consumer.committed(TopicPartition(topic, p)) for p in range(partitions)]
    finally:
        consumer.close()


def payments_of(client: Any, partner: str) -> list[dict[str, Any]]:
    return client.get("/v1/payments", params={"partner": partner}).json()["items"]  # type: ignore[no-any-return]


def open_amounts(client: Any, partner: str) -> dict[str, str]:
    items = client.get("/v1/receivables", params={"partner": partner}).json()["items"]
    return {item["number"]: item["open_amount"] for item in items}


def dead_letters(bootstrap: str, topic: str) -> list[tuple[bytes, str]]:
    return [(r.value, headers(r)["reason"]) for r in read_topic(bootstrap, f"{topic}.dead")]


def test_lines_are_booked_for_the_partner_they_name_and_the_rest_are_dead_letters(
    kafka_container: Container, client: Any, books: Books, tansu: Tansu
) -> None:
    settings = kafka_container.settings
    topic = settings.kafka_payments_topic
    assert topic is not None
    by_code = bank_line("ST-1", "100.00", "thanks", partner="ACME")
    by_invoice = bank_line("ST-2", "30.00", f"Inv. {books.beta_invoice['number'].lower()}, thanks", date="2026-01-14")
    unmatched = bank_line("ST-6", "12.34", "gift", partner="NOPE", iban="DE89370400440532013000")
    not_json = b"{not json"
    negative = bank_line("ST-5", "-5.00", partner="ACME")
    reused = {**by_code, "amount": "999.00"}
    nul = bank_line("ST-8", "1.00", "a\x00b", partner="ACME")
    poison = bank_line("ST-9", "2.00", partner="ACME")
    lines = [by_code, by_invoice, by_code, not_json, negative, poison, unmatched, reused, nul]

    # The database fails once at the second line: that line and the rest are read again. Handling
    # the poison line always raises: after three tries it is a dead letter and the rest goes on.
    glitched = False

    def flaky(handler: Any, command: Any, request: Any = None) -> Any:
        nonlocal glitched
        if command.line.id == "ST-2" and not glitched:
            glitched = True
            raise ConnectionError("database unreachable")
        if command.line.id == "ST-9":
            raise RuntimeError("a bug")
        return kafka_container.execute(handler, command, request)

    consumer = BankLineConsumer(dataclasses.replace(kafka_container.ports, execute=flaky))
    consumer.connect()
    produce(tansu.bootstrap, topic, lines)
    raised: list[str] = []
    try:
        while len(raised) < 5:
            try:
                consumer.drain(timeout=20)
                break
            except (ConnectionError, RuntimeError) as error:
                raised.append(type(error).__name__)
    finally:
        consumer.disconnect()
    assert sorted(raised) == ["ConnectionError", "RuntimeError", "RuntimeError"]
    client.get("/v1/partners", headers={"X-Min-Position": str(kafka_container.store.head())})

    acme = payments_of(client, books.acme)
    assert [(p["amount"], p["reference"]) for p in acme] == [("100.00", "thanks")]
    # Oldest due first: the older invoice settled, the rest on the newer one.
    assert {a["item"]: a["amount"] for a in acme[0]["allocations"]} == {
        books.older["id"]: "60.00",
        books.newer["id"]: "40.00",
    }
    assert open_amounts(client, books.acme) == {books.older["number"]: "0.00", books.newer["number"]: "40.00"}
    beta = payments_of(client, books.beta)
    assert [(p["amount"], p["date"]) for p in beta] == [("30.00", "2026-01-14")]
    assert open_amounts(client, books.beta) == {books.beta_invoice["number"]: "0.00"}

    letters = dead_letters(tansu.bootstrap, topic)
    kinds = ["failed", "malformed", "malformed", "malformed", "refused", "unmatched"]
    assert sorted(reason.split(":")[0] for _, reason in letters) == kinds
    by_value = {value: reason for value, reason in letters}
    assert by_value[not_json].startswith("malformed: line: Invalid JSON")
    assert by_value[json.dumps(negative).encode()] == "malformed: amount: Input should be greater than 0"
    assert by_value[json.dumps(unmatched).encode()] == (
        "unmatched: no partner with code NOPE and no invoice number in the reference"
    )
    assert by_value[json.dumps(poison).encode()] == "failed: RuntimeError: a bug"
    assert (
        by_value[json.dumps(nul).encode()] == "malformed: reference: Value error, text may not contain NUL characters"
    )
    assert by_value[json.dumps(reused).encode()] == "refused: bank line id ST-1 was received before with other content"

    listed = client.get("/v1/payments/unmatched").json()
    assert listed == {
        "items": [
            {
                "id": "ST-6",
                "date": "2026-01-15",
                "amount": "12.34",
                "currency": "EUR",
                "reference": "gift",
                "iban": "DE89370400440532013000",
                "reason": "no partner with code NOPE and no invoice number in the reference",
            }
        ],
        "next_cursor": None,
    }
    # Every line is in the log before its offset is committed; all of them are now.
    ends = sorted(r.offset + 1 for r in _last_per_partition(read_topic(tansu.bootstrap, topic)))
    assert sorted(c or 0 for c in committed(tansu.bootstrap, settings.kafka_payments_group, topic, 2)) == ends

    # A clerk assigns the unmatched line, once.
    assigned = client.post("/v1/payments/unmatched/ST-6/assign", json={"partner": "BETA"})
    assert assigned.status_code == 201, assigned.text
    assert assigned.json()["partner"] == books.beta and assigned.json()["amount"] == "12.34"
    assert assigned.json()["unapplied"] == "12.34"
    assert client.get("/v1/payments/unmatched").json()["items"] == []
    assert_problem(client.post("/v1/payments/unmatched/ST-6/assign", json={"partner": "ACME"}), 409, "already_assigned")
    assert_problem(client.post("/v1/payments/unmatched/ST-9/assign", json={"partner": "ACME"}), 404, "not_found")
    assert len(payments_of(client, books.beta)) == 2


def _last_per_partition(records: list[Any]) -> list[Any]:
    return list({r.partition: r for r in records}.values())


def test_lines_read_again_after_a_crash_before_the_commit_book_nothing_twice(
    kafka_container: Container, client: Any, books: Books, tansu: Tansu, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = kafka_container.settings
    topic = settings.kafka_payments_topic
    assert topic is not None
    lines = [
        bank_line("ST-1", "100.00", partner="ACME"),
        bank_line("ST-2", "30.00", f"{books.beta_invoice['number']}"),
        bank_line("ST-3", "5.00", "who?"),
    ]
    consumer = BankLineConsumer(kafka_container.ports)
    consumer.connect()
    produce(tansu.bootstrap, topic, lines)

    def crash(self: Subscription, offsets: Any) -> None:
        raise SystemExit("killed before the commit")

    monkeypatch.setattr(Subscription, "commit", crash)
    with pytest.raises(SystemExit):
        while True:
            consumer.run_once()
    consumer.disconnect()
    monkeypatch.undo()
    assert committed(tansu.bootstrap, settings.kafka_payments_group, topic, 2) == [None, None]
    head = kafka_container.store.head()

    # Another process reads the lines again, to the end of the topic, and exits.
    env = {
        **os.environ,
        "CPTY_DATA_DIR": str(settings.data_dir),
        "CPTY_CLOCK": "manual",
        "CPTY_LOG_LEVEL": "WARNING",
        "CPTY_KAFKA_BOOTSTRAP": tansu.bootstrap,
        "CPTY_KAFKA_PAYMENTS_GROUP": settings.kafka_payments_group,
        "CPTY_KAFKA_PARTITIONS": "2",
    }
    env.pop("CPTY_DATABASE_URL", None)
    result = subprocess.run(
        [CLI, "consume-payments", "--topic", topic, "--once"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert f"3 bank lines read from {topic}" in result.stderr

    assert kafka_container.store.head() == head  # nothing new in the log
    client.get("/v1/partners", headers={"X-Min-Position": str(head)})
    assert [p["amount"] for p in payments_of(client, books.acme)] == ["100.00"]
    assert [p["amount"] for p in payments_of(client, books.beta)] == ["30.00"]
    assert [u["id"] for u in client.get("/v1/payments/unmatched").json()["items"]] == ["ST-3"]
    # The unmatched line's dead letter went out again: at least once.
    reason = "unmatched: no partner code and no invoice number in the reference"
    assert dead_letters(tansu.bootstrap, topic) == [(json.dumps(lines[2]).encode(), reason)] * 2
    assert sorted(c or 0 for c in committed(tansu.bootstrap, settings.kafka_payments_group, topic, 2)) == sorted(
        r.offset + 1 for r in _last_per_partition(read_topic(tansu.bootstrap, topic))
    )


def test_consume_payments_has_help() -> None:
    result = subprocess.run([CLI, "consume-payments", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout and "--once" in result.stdout and "--topic" in result.stdout
