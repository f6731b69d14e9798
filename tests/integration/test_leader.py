"""Leaders of the job families: a process runs a family's job only while it holds the family's
lock; one standing by takes over when the holder's session ends; a lost lock connection stops the
jobs at once. On SQLite the one process holds every lock. (Real processes: test_topology.py.)"""

from __future__ import annotations

import os
import socket
import time
from typing import Any

import psycopg
import pytest
from typer.testing import CliRunner

from aggregates.partner_details import PartnerPromotedToCustomer
from services.adapters.leader_locks import AdvisoryLocks, holders
from services.bootstrap.container import Container, read_model_engine
from services.cli.main import app
from services.workers.leader import Job, Leadership, SoleProcess
from tests.conftest import http_client, make_settings


class Recorder:
    """Jobs that record when they are started and stopped."""

    def __init__(self, *families: str) -> None:
        self.events: list[tuple[str, str]] = []
        self.jobs = [
            Job(f, lambda f=f: self.events.append(("start", f)), lambda f=f: self.events.append(("stop", f)))
            for f in families
        ]


class Switch:
    """Locks a test grants, takes away and breaks."""

    def __init__(self) -> None:
        self.granted: set[str] = set()
        self.connected = True
        self.reachable = True
        self.closed = 0

    def try_acquire(self, family: str) -> bool:
        if not self.reachable:
            raise OSError("connection refused")
        return family in self.granted

    def alive(self) -> bool:
        return self.connected

    def close(self) -> None:
        self.closed += 1


def wait_for(check: Any, seconds: float = 5) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "not in time"
        time.sleep(0.01)


def test_a_sole_process_leads_every_family_from_the_start() -> None:
    jobs = Recorder("processes", "sender")
    leadership = Leadership(SoleProcess(), jobs.jobs)
    leadership.start()
    assert jobs.events == [("start", "processes"), ("start", "sender")]  # before start() returns
    assert leadership.leading() == ["processes", "sender"]
    leadership.stop()
    assert sorted(jobs.events[2:]) == [("stop", "processes"), ("stop", "sender")]
    assert leadership.leading() == []


def test_a_standby_starts_a_job_when_its_lock_is_granted_and_stops_all_when_the_connection_is_lost() -> None:
    jobs = Recorder("processes", "relay")
    switch = Switch()
    leadership = Leadership(switch, jobs.jobs, interval=0.02)
    leadership.start()
    try:
        assert leadership.leading() == [] and jobs.events == []
        switch.granted = {"relay"}
        wait_for(lambda: leadership.leading() == ["relay"])
        switch.granted = {"relay", "processes"}
        wait_for(lambda: len(leadership.leading()) == 2)
        assert jobs.events == [("start", "relay"), ("start", "processes")]

        switch.connected, switch.granted = False, set()  # the session ended: every lock is gone
        wait_for(lambda: leadership.leading() == [])
        assert sorted(jobs.events[2:]) == [("stop", "processes"), ("stop", "relay")]

        switch.connected, switch.reachable = True, False  # the database is away: no crash, retries
        time.sleep(0.1)
        switch.reachable, switch.granted = True, {"processes", "relay"}
        wait_for(lambda: len(leadership.leading()) == 2)
        assert jobs.events[4:] == [("start", "processes"), ("start", "relay")]
    finally:
        leadership.stop()


@pytest.mark.postgres
def test_advisory_locks_have_one_holder_who_is_named_and_freed_when_its_session_ends(pg_database: str) -> None:
    first, second = AdvisoryLocks(pg_database, "host-a:1"), AdvisoryLocks(pg_database, "host-b:2")
    engine = read_model_engine(pg_database)
    try:
        assert first.try_acquire("processes") and first.try_acquire("sender")
        assert first.try_acquire("processes")  # its own lock again
        assert not second.try_acquire("processes")
        assert second.try_acquire("relay")
        with engine.connect() as conn:
            assert holders(conn, ["processes", "sender", "relay", "clock"]) == {
                "processes": "host-a:1",
                "sender": "host-a:1",
                "relay": "host-b:2",
                "clock": None,
            }
        with psycopg.connect(pg_database, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND application_name = 'counterparty-leader host-a:1'"
            )
        assert not first.alive()
        wait_for(lambda: second.try_acquire("processes"))
        assert first.try_acquire("clock")  # a new session of its own
    finally:
        first.close()
        second.close()
        engine.dispose()


def test_a_started_sqlite_process_leads_every_family_and_says_so(sqlite_container: Container) -> None:
    c = sqlite_container
    c.start(scheduler=False, sender=False)
    me = f"{socket.gethostname()}:{os.getpid()}"
    with http_client(c) as client:
        ready = client.get("/readyz", headers={"Authorization": ""}).json()
        assert (ready["role"], ready["process"], ready["leads"]) == ("all", me, ["processes"])
        assert ready["leaders"] == {"processes": me, "clock": None, "sender": None, "mailer": None}
        metrics = client.get("/metrics", headers={"Authorization": ""}).text
        assert 'cpty_leader{family="processes"} 1.0' in metrics
        assert 'cpty_leader{family="sender"} 0.0' in metrics


@pytest.mark.postgres
def test_an_api_process_waits_for_the_worker_that_leads_the_processes(pg_database: str, tmp_path: Any) -> None:
    """Read-your-writes in an API process: it applies nothing, it waits until the leading worker
    has applied the command's events (and its process managers have reacted) and told it so."""
    api = Container(make_settings(tmp_path / "api", pg_database, role="api"))
    worker = Container(make_settings(tmp_path / "worker", pg_database))
    worker.role, worker.identity = "worker", "worker-host:1"  # one test process plays both
    try:
        api.start()
        with http_client(api) as client:
            worker.start(scheduler=False, sender=False)
            assert worker.leading() == ["processes"] and api.leading() == []
            created = client.post("/v1/partners", json={"name": "Acme", "code": "ACME", "roles": ["prospect"]})
            assert created.status_code == 201, created.text
            assert client.get("/v1/partners/ACME").status_code == 200
            line = {"product": "SVC", "quantity": "1", "unit_price": "10.00"}
            drafted = client.post("/v1/documents", json={"type": "invoice", "partner": "ACME", "lines": [line]})
            issued = client.post(f"/v1/documents/{drafted.json()['id']}/issue")
            position = int(issued.headers["X-Position"])
            # The sales process manager (in the worker) has promoted the prospect when the answer came.
            promoted = [
                e for e in worker.store.iterate(after=position) if isinstance(e.event, PartnerPromotedToCustomer)
            ]
            assert len(promoted) == 1
            assert api.runner.applying is False and worker.runner.applying is True
            ready = client.get("/readyz", headers={"Authorization": ""}).json()
            assert (ready["role"], ready["leads"]) == ("api", [])
            assert ready["leaders"]["processes"] == worker.identity
    finally:
        worker.close()
        api.close()


def test_serve_refuses_the_api_role_on_sqlite(tmp_path: Any) -> None:
    env = {"CPTY_ROLE": "api", "CPTY_DATA_DIR": str(tmp_path), "CPTY_DATABASE_URL": ""}
    refused = CliRunner().invoke(app, ["serve"], env=env)
    assert refused.exit_code == 2
    assert "CPTY_ROLE=api needs PostgreSQL" in refused.output
