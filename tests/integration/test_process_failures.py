"""A process manager that fails on an event tries it ``MAX_ATTEMPTS`` times, then records the
failure and goes on with the next events: one poisoned event never stops it for the others, and
the failure shows in /v1/admin/projections and /metrics. A transient failure (the database) is
retried until it passes, never passed over."""

from __future__ import annotations

from typing import Any

from sqlalchemy import exc

from aggregates.partner_details import PartnerRegistered
from processes.base import Acts, Reactions
from projections.runner import MAX_ATTEMPTS
from services.bootstrap.container import Container
from tests.conftest import http_client


class Probe:
    def __init__(self) -> None:
        self.seen: list[str] = []
        self.attempts: dict[str, int] = {}
        self.failing: dict[str, BaseException] = {}

    def __call__(self, e: PartnerRegistered, acts: Acts) -> None:
        self.attempts[e.code] = self.attempts.get(e.code, 0) + 1
        if e.code in self.failing:
            raise self.failing[e.code]
        self.seen.append(e.code)


def with_probe(container: Container, failing: dict[str, BaseException]) -> Probe:
    reaction = Probe()
    reaction.failing = failing
    reactions = Reactions("probe")
    reactions.on(PartnerRegistered)(reaction)
    container.runner.reactors.append(reactions.manager(container._process_execute))
    container.runner.ensure_reactors()
    return reaction


def status(client: Any) -> dict[str, Any]:
    (found,) = [p for p in client.get("/v1/admin/projections").json() if p["name"] == "probe"]
    return found


def test_a_poisoned_event_is_tried_then_recorded_and_passed_over(sqlite_container: Container) -> None:
    reaction = with_probe(sqlite_container, {"POISON": RuntimeError("no such template")})
    with http_client(sqlite_container) as client:
        positions = {}
        for code in ("FIRST", "POISON", "LAST"):
            created = client.post("/v1/partners", json={"name": code.title(), "code": code})
            assert created.status_code == 201, created.json()
            positions[code] = int(created.headers["X-Position"])
        assert reaction.seen == ["FIRST", "LAST"]
        assert reaction.attempts == {"FIRST": 1, "POISON": MAX_ATTEMPTS, "LAST": 1}
        poisoned = next(
            logged.position
            for logged in sqlite_container.store.iterate()
            if isinstance(logged.event, PartnerRegistered) and logged.event.code == "POISON"
        )
        found = status(client)
        assert found["status"] == "degraded" and found["lag"] == 0 and found["failures"] == 1
        assert found["error"] == f"position {poisoned} (PartnerRegistered): RuntimeError: no such template"
        metrics = client.get("/metrics").text
        assert 'cpty_process_failures_total{name="probe"} 1.0' in metrics
        # Passed over for good: another round does not try it again.
        sqlite_container.runner.drain()
        assert reaction.attempts["POISON"] == MAX_ATTEMPTS
        others = [p for p in client.get("/v1/admin/projections").json() if p["name"] != "probe"]
        assert {p["status"] for p in others} == {"live"}


def test_a_transient_failure_is_retried_until_it_passes(sqlite_container: Container) -> None:
    lost = exc.OperationalError("SELECT 1", {}, Exception("the database went away"))
    reaction = with_probe(sqlite_container, {"WAIT": lost})
    with http_client(sqlite_container) as client:
        created = client.post(
            "/v1/partners", json={"name": "Wait", "code": "WAIT"}, headers={"Prefer": "respond-async"}
        )
        assert created.status_code == 202
        for _ in range(2 * MAX_ATTEMPTS):
            sqlite_container.runner.drain()
        assert reaction.seen == [] and reaction.attempts["WAIT"] > MAX_ATTEMPTS
        found = status(client)
        assert found["status"] == "failed" and "the database went away" in found["error"]
        del reaction.failing["WAIT"]
        sqlite_container.runner.drain()
        assert reaction.seen == ["WAIT"]
        found = status(client)
        assert (found["status"], found["error"], found["failures"]) == ("live", None, 0)
