"""The production topology, tested with real processes (tests/integration/topology.py): a fresh
PostgreSQL database, two ``serve`` processes with ``CPTY_ROLE=api``, two ``worker``s (one leads
every job family, the other stands by), an SMTP server and a Kafka broker.

A month of collection is walked through API 1 and read through API 2; the leading worker is
killed with SIGKILL in the middle of a day's collection run. Nothing is lost and nothing doubled:
one e-mail per partner and level, one fee per partner, every event on Kafka without a gap, each
bank line read from the payments topic settles its invoice once, and ``replay --verify`` finds
the read models equal to the log. The fault tests: the LISTEN connections killed by PostgreSQL, a
worker killed (and the leader's lock connection killed), the broker restarted under the payments
consumer."""

from __future__ import annotations

import json
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import psycopg
import pytest
from kafka import KafkaProducer

from services.adapters.kafka import Kafka
from tests.integration.tansu import Tansu, read_topic
from tests.integration.topology import Cluster, Process, cluster_env, fresh_database, run_cli, smtp_server, until

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

PARTNERS = 40
INVOICE, FEE = "100.00", "10.00"
L1_DAY, L2_DAY, MONTH_END = "2026-01-22", "2026-01-29", "2026-02-14"  # the invoices fall due on 2026-01-15
TAKEOVER = 10.0  # seconds a standing-by worker may take to lead what a dead one led
SCHEME = {
    "code": "STD",
    "name": "Standard",
    "is_default": True,
    "min_days_between_actions": 7,
    "levels": [
        {"seq": 1, "name": "L1", "days_after_due": 7, "actions": [{"type": "email", "template": "R1"}]},
        {
            "seq": 2,
            "name": "L2",
            "days_after_due": 14,
            "actions": [{"type": "fee", "amount": FEE}, {"type": "email", "template": "R2"}],
        },
    ],
}


@pytest.fixture
def database() -> Iterator[str]:
    with fresh_database() as url:
        yield url


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, (response.request.url, response.status_code, response.text)
    return response.json()


def every(client: httpx.Client, url: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a paged list."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = ok(client.get(url, params={**params, "limit": 500, **({"cursor": cursor} if cursor else {})}))
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items


def books(api: httpx.Client, n: int, prefix: str) -> dict[str, str]:
    """``n`` partners, each with a billing contact and an invoice due on the first day; answers
    the invoice numbers by partner code. Four clients at once: API 1 is shared by them."""

    def one(i: int) -> tuple[str, str]:
        code = f"{prefix}{i:02d}"
        ok(api.post("/v1/partners", json={"name": f"{code} Ltd", "code": code}), 201)
        ok(
            api.post(f"/v1/partners/{code}/contacts", json={"name": "Accounts", "email": f"ap@{code.lower()}.test"}),
            201,
        )
        line = {"product": "SVC", "quantity": "1", "unit_price": INVOICE}
        body = {"type": "invoice", "partner": code, "due_date": "2026-01-15", "lines": [line]}
        drafted = ok(api.post("/v1/documents", json=body), 201)
        return code, ok(api.post(f"/v1/documents/{drafted['id']}/issue"))["number"]

    with ThreadPoolExecutor(4) as pool:
        return dict(pool.map(one, range(n)))


def run_state(database: str, day: str) -> tuple[bool, bool]:
    """Whether the collection run of ``day`` has opened, and whether it has completed, in the log."""
    like = f'%"day":"{day}"%'
    with psycopg.connect(database, autocommit=True) as conn:
        opened, completed = conn.execute(
            "SELECT bool_or(topic LIKE '%%.CollectionRunOpened.v1'), bool_or(topic LIKE '%%.CollectionRunCompleted.v1') "
            "FROM counterparty_events WHERE topic LIKE 'counterparty.collection.CollectionRun%%' "
            "AND convert_from(state, 'UTF8') LIKE %s",
            (like,),
        ).fetchone() or (None, None)
    return bool(opened), bool(completed)


def kill_mid_run(database: str, day: str, leader: Process) -> None:
    """SIGKILL for the leader while the collection run of ``day`` is open: it is stopped (SIGSTOP)
    the moment the run shows in the log, checked to be still running, then killed."""
    until(f"the collection run of {day} opens", lambda: run_state(database, day)[0], 60, interval=0.005)
    leader.popen.send_signal(signal.SIGSTOP)
    assert run_state(database, day) == (True, False), "the run completed before the leader could be killed"
    leader.popen.send_signal(signal.SIGKILL)
    leader.popen.wait(10)


def produce(bootstrap: str, topic: str, lines: list[dict[str, Any]]) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    for line in lines:
        producer.send(topic, key=line["id"].encode(), value=json.dumps(line).encode())
    producer.flush(10)
    producer.close()


def bank_line(n: int, amount: str, day: str, partner: str | None = None, reference: str = "") -> dict[str, Any]:
    return {
        "id": f"stmt/{n:04d}",
        "date": day,
        "amount": amount,
        "currency": "EUR",
        "reference": reference,
        "partner": partner,
        "iban": None,
    }


def test_a_month_of_collection_over_two_apis_and_two_workers_survives_the_leader_killed_mid_run(
    database: str, tansu: Tansu, tmp_path: Path
) -> None:
    tag = uuid4().hex[:8]
    events_topic, payments_topic = f"events-{tag}", f"bank-{tag}"
    with smtp_server() as (mailbox, smtp_url):
        env = cluster_env(
            tmp_path,
            database,
            CPTY_SMTP_URL=smtp_url,
            CPTY_KAFKA_BOOTSTRAP=tansu.bootstrap,
            CPTY_KAFKA_TOPIC=events_topic,
            CPTY_KAFKA_PAYMENTS_TOPIC=payments_topic,
            CPTY_KAFKA_PAYMENTS_GROUP=f"payments-{tag}",
            CPTY_KAFKA_TIMEOUT="3",
            # A delivery the killed leader left under way is sent again (same Message-ID) after this.
            CPTY_DELIVERY_LEASE="3",
        )
        cluster = Cluster(tmp_path, env)
        try:
            # The first worker leads every family before the second one starts to stand by.
            first = cluster.worker("worker-1")
            one, two = cluster.api("api-1"), cluster.api("api-2")
            cluster.wait_ready(first, one, two)
            families = ["processes", "clock", "sender", "mailer", "relay", "payments"]
            assert list(cluster.led_by(two, first, 30)) == families
            second = cluster.worker("worker-2")
            cluster.wait_ready(second)
            assert (second.ready() or {})["leads"] == []
            with cluster.client(one) as api1, cluster.client(two) as api2:
                walk_the_month(cluster, database, (api1, api2), (first, second, two), tansu, payments_topic)
                assert_one_email_per_partner_and_level(mailbox, api2)
                assert_every_event_on_kafka(api2, database, tansu, events_topic)
        finally:
            cluster.stop()
    verified = run_cli(env, "replay", "--verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "read models match the log" in verified.stderr


def walk_the_month(
    cluster: Cluster,
    database: str,
    clients: tuple[httpx.Client, httpx.Client],
    processes: tuple[Process, Process, Process],
    tansu: Tansu,
    payments_topic: str,
) -> None:
    """Through API 1 (``clients[0]``), read through API 2; the first worker (the leader) is killed
    in the run of the 29th and the second takes over, as API 2's process (``processes[2]``) sees."""
    api1, api2 = clients
    first, second, two = processes
    for code, channel in (("R1", "email"), ("R2", "email")):
        template = {"code": code, "channel": channel, "purpose": "collection", "subject": f"Reminder {code[1]}"}
        ok(api1.post("/v1/templates", json={**template, "body": "{{ total_open }} {{ currency }} is overdue."}), 201)
    ok(api1.post("/v1/collection/schemes", json=SCHEME), 201)
    numbers = books(api1, PARTNERS, "T")
    codes = sorted(numbers)
    # Read-your-writes across processes: what API 1 answered, API 2 reads at once.
    assert len(every(api2, "/v1/receivables", status="open")) == PARTNERS

    ticked = ok(api1.post("/v1/clock/ticks", json={"to": L1_DAY}))
    assert ticked["days_run"][-1] == L1_DAY and len(ticked["days_run"]) == 8  # 15th (already today) … 22nd
    cases = every(api2, "/v1/collection/cases")
    assert sorted((c["level"], c["status"]) for c in cases) == [(1, "open")] * PARTNERS

    # The run of the 29th (fees and second e-mails) loses its leader half-way.
    answer: dict[str, Any] = {}
    tick = threading.Thread(target=lambda: answer.update(ok(api1.post("/v1/clock/ticks", json={"to": L2_DAY}))))
    tick.start()
    kill_mid_run(database, L2_DAY, first)
    killed = time.monotonic()
    cluster.led_by(two, second, TAKEOVER)
    takeover = time.monotonic() - killed
    assert takeover < TAKEOVER
    tick.join(90)
    assert answer["days_run"][-1] == L2_DAY, answer
    cases = every(api2, "/v1/collection/cases")
    assert sorted((c["level"], c["status"]) for c in cases) == [(2, "open")] * PARTNERS
    fees = [r for r in every(api2, "/v1/receivables") if r["kind"] == "fee"]
    partners = {p["id"]: p["code"] for p in every(api2, "/v1/partners")}
    assert Counter(partners[f["partner"]] for f in fees) == dict.fromkeys(codes, 1)
    assert {f["amount"] for f in fees} == {FEE}
    run = ok(api2.get(f"/v1/collection/runs/{L2_DAY}"))
    assert (run["status"], run["partners"]) == ("completed", PARTNERS)

    # The bank pays every invoice and its fee: half the lines name the partner, half the invoice
    # number only; the first five lines come twice (a statement read again).
    due = f"{float(INVOICE) + float(FEE):.2f}"
    lines = [
        bank_line(i, due, L2_DAY, partner=code)
        if i % 2
        else bank_line(i, due, L2_DAY, reference=f"Inv. {numbers[code]}")
        for i, code in enumerate(codes)
    ]
    produce(tansu.bootstrap, payments_topic, lines + lines[:5])
    until("every receivable settled", lambda: not every(api2, "/v1/receivables", status="open"), 60, interval=0.25)
    payments = every(api2, "/v1/payments")
    assert Counter(partners[p["partner"]] for p in payments) == dict.fromkeys(codes, 1)
    assert {p["amount"] for p in payments} == {due}

    ticked = ok(api1.post("/v1/clock/ticks", json={"to": MONTH_END}))
    assert len(ticked["days_run"]) == 16
    cases = every(api2, "/v1/collection/cases")
    assert sorted((c["level"], c["status"], c["close_reason"]) for c in cases) == [(2, "closed", "paid")] * PARTNERS


def assert_one_email_per_partner_and_level(mailbox: Any, api2: httpx.Client) -> None:
    """Every e-mail left once: a delivery interrupted by the kill is sent again with its
    Message-ID, so the receiving side counts each Message-ID once."""

    def all_sent() -> bool:
        return len(every(api2, "/v1/messages", status="sent")) == 2 * PARTNERS

    until("every e-mail sent", all_sent, 60, interval=0.25)
    received = mailbox.messages()
    by_id: dict[str, set[tuple[str, str]]] = {}
    for message in received:
        by_id.setdefault(message["Message-ID"], set()).add((message["To"], message["Subject"]))
    assert all(len(sent) == 1 for sent in by_id.values())
    per_partner_and_level = Counter(next(iter(sent)) for sent in by_id.values())
    expected = {(f"ap@t{i:02d}.test", f"Reminder {level}") for i in range(PARTNERS) for level in (1, 2)}
    assert per_partner_and_level == dict.fromkeys(expected, 1)
    assert len(received) - len(by_id) <= 1  # at most the one delivery the kill interrupted went twice


def assert_every_event_on_kafka(api2: httpx.Client, database: str, tansu: Tansu, topic: str) -> None:
    """Every event of the log is on the topic, once or more (at least once, never a gap), at its
    position. The log's positions have holes of their own: a transaction that rolled back (a lost
    race, retried) had drawn numbers from the sequence."""

    def relay_at_head() -> int | None:
        relay = next(p for p in ok(api2.get("/v1/admin/projections")) if p["name"] == "kafka_relay")
        return relay["position"] if relay["lag"] == 0 and relay["position"] > 0 else None

    head = until("the relay reaches the head", relay_at_head, 60, interval=0.25)
    with psycopg.connect(database, autocommit=True) as conn:
        logged = conn.execute(
            "SELECT notification_id, originator_id::text, originator_version FROM counterparty_events "
            "WHERE notification_id <= %s ORDER BY notification_id",
            (head,),
        ).fetchall()
    published = {
        (r["position"], r["stream"], r["version"])
        for r in (json.loads(record.value) for record in read_topic(tansu.bootstrap, topic))
        if r["position"] <= head
    }
    assert published == set(logged)


# -- faults ------------------------------------------------------------------------------------------


class Faults:
    """One API and two workers over a database of their own, shared by the fault tests; each test
    names its own partners."""

    def __init__(self, cluster: Cluster, database: str, payments_topic: str) -> None:
        self.cluster = cluster
        self.database = database
        self.payments_topic = payments_topic
        self.api = cluster.api("api")
        self.workers = [cluster.worker("worker-1"), cluster.worker("worker-2")]
        cluster.wait_ready(self.api, *self.workers)

    def steady(self) -> tuple[Process, Process]:
        """Two workers running (a dead one restarted), one of them leading every family: answers
        (leader, standby)."""
        for i, worker in enumerate(self.workers):
            if not worker.alive():
                self.workers[i] = self.cluster.worker(worker.name)
        self.cluster.wait_ready(*self.workers)

        def one_leader() -> Process | None:
            holders = set(self.cluster.leaders(self.api).values())
            return next((w for w in self.workers if holders == {w.identity}), None)

        leader = until("one worker leads every family", one_leader, 30)
        return leader, next(w for w in self.workers if w is not leader)

    def backends(self, application: str) -> set[int]:
        """The server processes of this database's sessions with that application_name prefix."""
        with psycopg.connect(self.database, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE %s",
                (application + "%",),
            ).fetchall()
        return {r[0] for r in rows}

    def terminate(self, pids: set[int]) -> None:
        with psycopg.connect(self.database, autocommit=True) as conn:
            for pid in pids:
                conn.execute("SELECT pg_terminate_backend(%s)", (pid,))


@pytest.fixture(scope="module")
def faults(tansu: Tansu, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Faults]:
    root = tmp_path_factory.mktemp("faults")
    tag = uuid4().hex[:8]
    with fresh_database() as database:
        env = cluster_env(
            root,
            database,
            CPTY_KAFKA_BOOTSTRAP=tansu.bootstrap,
            CPTY_KAFKA_TOPIC=f"events-{tag}",
            CPTY_KAFKA_PAYMENTS_TOPIC=f"bank-{tag}",
            CPTY_KAFKA_PAYMENTS_GROUP=f"payments-{tag}",
            CPTY_KAFKA_TIMEOUT="3",
        )
        cluster = Cluster(root, env)
        try:
            yield Faults(cluster, database, f"bank-{tag}")
        finally:
            cluster.stop()


def prospect_invoiced(api: httpx.Client, code: str) -> None:
    """A prospect gets an invoice: the sales process manager (in the leading worker) promotes it."""
    ok(api.post("/v1/partners", json={"name": f"{code} Ltd", "code": code, "roles": ["prospect"]}), 201)
    line = {"product": "SVC", "quantity": "1", "unit_price": INVOICE}
    drafted = ok(api.post("/v1/documents", json={"type": "invoice", "partner": code, "lines": [line]}), 201)
    ok(api.post(f"/v1/documents/{drafted['id']}/issue"))


def promoted(api: httpx.Client, code: str) -> bool:
    return "customer" in ok(api.get(f"/v1/partners/{code}"))["roles"]


def test_listen_connections_killed_by_postgres_are_survived(faults: Faults) -> None:
    faults.steady()

    def three_listening() -> set[int] | None:  # the API's and each worker's
        found = faults.backends("counterparty-listen")
        return found if len(found) == 3 else None

    listening = until("three processes listen", three_listening, 15)
    faults.terminate(listening)
    with faults.cluster.client(faults.api) as api:
        # At once, before anyone listens again: the runners' polls carry the work.
        prospect_invoiced(api, "LISTEN1")
        until("LISTEN1 promoted", lambda: promoted(api, "LISTEN1"), 15)

        def listening_again() -> set[int] | None:
            now = faults.backends("counterparty-listen")
            return now if len(now) == 3 and not now & listening else None

        until("every process listens again", listening_again, 15)
        prospect_invoiced(api, "LISTEN2")
        until("LISTEN2 promoted", lambda: promoted(api, "LISTEN2"), 15)


def test_a_killed_worker_and_a_lost_lock_connection_hand_the_jobs_over(faults: Faults) -> None:
    leader, standby = faults.steady()
    faults.cluster.kill(leader)
    killed = time.monotonic()
    faults.cluster.led_by(faults.api, standby, TAKEOVER)
    assert time.monotonic() - killed < TAKEOVER
    with faults.cluster.client(faults.api) as api:
        prospect_invoiced(api, "KILL1")
        until("KILL1 promoted", lambda: promoted(api, "KILL1"), 15)
        # The killed worker comes back and stands by; then PostgreSQL ends the leader's lock
        # session: the leader stops its jobs, and the families are led again within the limit.
        leader, standby = faults.steady()
        assert (standby.ready() or {})["leads"] == []
        session = faults.backends(f"counterparty-leader {leader.identity}")
        assert len(session) == 1
        faults.terminate(session)
        lost = time.monotonic()
        until(
            "the lock session ends", lambda: not faults.backends(f"counterparty-leader {leader.identity}") & session, 5
        )
        # By either worker: the old leader competes again once its jobs have stopped.
        until("every family led again", lambda: None not in faults.cluster.leaders(faults.api).values(), TAKEOVER)
        assert time.monotonic() - lost < TAKEOVER
        prospect_invoiced(api, "KILL2")
        until("KILL2 promoted", lambda: promoted(api, "KILL2"), 15)


def test_the_payments_consumer_survives_a_broker_restart(faults: Faults, tansu: Tansu) -> None:
    faults.steady()
    with faults.cluster.client(faults.api) as api:
        ok(api.post("/v1/partners", json={"name": "Payer Ltd", "code": "PAYER"}), 201)

        def paid() -> list[dict[str, Any]]:
            return every(api, "/v1/payments", partner="PAYER")

        def restart() -> None:
            tansu.stop()
            tansu.start()  # a clean broker: the topic and the group's offsets are gone
            Kafka(tansu.bootstrap).ensure_topic(faults.payments_topic, 1)

        # Restarted first as well: Tansu's coordinator can stay rebalancing for good once a member
        # left the group while another joined (as the leaders changed in the tests before).
        restart()
        first = bank_line(1, "10.00", "2026-01-15", partner="PAYER")
        produce(tansu.bootstrap, faults.payments_topic, [first])
        until("the first line booked", paid, 60)
        restart()
        # The first line is read again (the offsets are lost) and books nothing twice.
        second = bank_line(2, "20.00", "2026-01-15", partner="PAYER")
        produce(tansu.bootstrap, faults.payments_topic, [first, second])
        until("the second line booked", lambda: len(paid()) == 2, 60, interval=0.25)
        assert sorted(p["amount"] for p in paid()) == ["10.00", "20.00"]
