"""The HTTP conventions under concurrency, with group commit and the runner's shared rounds:
If-Match, Idempotency-Key, X-Position and read-your-writes behave as for one request at a time."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from aggregates.partner_details import PartnerRegistered
from services.bootstrap.container import Container
from tests.api.helpers import assert_problem, create_partner
from tests.conftest import http_client

pytestmark = pytest.mark.postgres

THREADS = 12


def together(n: int, call: Callable[[int], Any]) -> list[Any]:
    """Runs ``call(i)`` in ``n`` threads released at the same moment; their results in order of i."""
    start = threading.Barrier(n)
    results: list[Any] = [None] * n

    def body(i: int) -> None:
        start.wait(10)
        try:
            results[i] = call(i)
        except Exception as error:
            results[i] = error

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def registered(container: Container) -> list[PartnerRegistered]:
    return [e.event for e in container.store.iterate() if isinstance(e.event, PartnerRegistered)]


@pytest.fixture
def started(container: Container) -> Iterator[Any]:
    """A client of a container whose runner thread runs, as in ``counterparty serve``."""
    container.start(scheduler=False, sender=False)
    with http_client(container) as c:
        yield c


def test_if_match_lets_one_of_many_concurrent_changes_through_and_the_others_get_412(
    client: Any, container: Container
) -> None:
    create_partner(client, code="HOT")
    version = client.get("/v1/partners/HOT").json()["version"]
    responses = together(
        THREADS,
        lambda i: client.patch("/v1/partners/HOT", json={"name": f"Name {i}"}, headers={"If-Match": str(version)}),
    )
    ok = [r for r in responses if r.status_code == 200]
    assert len(ok) == 1
    for r in responses:
        if r.status_code != 200:
            assert_problem(r, 412, "version_conflict")
    after = client.get("/v1/partners/HOT").json()
    assert after["version"] == version + 1
    assert after["name"] == ok[0].json()["name"]


def test_one_idempotency_key_sent_concurrently_records_one_partner_and_answers_each_the_same(
    client: Any, container: Container
) -> None:
    body = {"name": "Once Only"}
    responses = together(THREADS, lambda i: client.post("/v1/partners", json=body, headers={"Idempotency-Key": "k-1"}))
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert len({r.headers["X-Position"] for r in responses}) == 1
    assert [e.details.name for e in registered(container)] == ["Once Only"]


def test_one_idempotency_key_with_different_bodies_concurrently_records_one_and_refuses_the_others(
    client: Any, container: Container
) -> None:
    responses = together(
        THREADS,
        lambda i: client.post("/v1/partners", json={"name": f"Body {i % 2}"}, headers={"Idempotency-Key": "k-2"}),
    )
    (winner,) = registered(container)
    for i, r in enumerate(responses):
        if f"Body {i % 2}" == winner.details.name:
            assert r.status_code == 201 and r.json()["id"] == str(winner.originator_id)
        else:
            assert_problem(r, 409, "idempotency_key_reused")


def test_concurrent_typed_codes_each_taken_once_and_neighbours_unharmed(client: Any, container: Container) -> None:
    # Threads 0-7 race in pairs for four codes; threads 8-11 have codes of their own.
    def code(i: int) -> str:
        return f"PAIR-{i // 2}" if i < 8 else f"OWN-{i}"

    responses = together(THREADS, lambda i: client.post("/v1/partners", json={"name": f"P {i}", "code": code(i)}))
    for pair in range(4):
        first, second = responses[2 * pair], responses[2 * pair + 1]
        assert sorted([first.status_code, second.status_code]) == [201, 409]
        assert_problem(first if first.status_code == 409 else second, 409, "code_taken")
    for r in responses[8:]:
        assert r.status_code == 201
    assert sorted(e.code for e in registered(container)) == sorted(
        [f"PAIR-{p}" for p in range(4)] + [f"OWN-{i}" for i in range(8, 12)]
    )


def test_with_the_runner_thread_running_a_command_is_visible_in_the_next_get(
    started: Any, container: Container
) -> None:
    def create_then_read(i: int) -> tuple[Any, Any, Any]:
        created = started.post("/v1/partners", json={"name": f"Seen {i}"})
        return created, started.get(f"/v1/partners/{created.json()['id']}"), container.runner.lowest_position()

    results = together(THREADS, create_then_read)
    for created, read, lowest in results:
        assert created.status_code == 201
        assert read.status_code == 200 and read.json()["name"] == created.json()["name"]
        # Every read model and process manager had passed the command's position when it answered.
        assert lowest >= int(created.headers["X-Position"])
    listed = started.get("/v1/partners", params={"limit": 100}).json()["items"]
    assert sorted(p["name"] for p in listed) == sorted(f"Seen {i}" for i in range(THREADS))


def test_with_the_runner_thread_running_x_min_position_waits_for_another_process(
    started: Any, container: Container
) -> None:
    from commands.partners import RegisterPartner, register_partner
    from tests.conftest import open_container

    other = open_container(container.settings)
    try:
        result = other.execute(register_partner, RegisterPartner(name="From elsewhere", code="ELSE"))
    finally:
        other.close()
    read = started.get("/v1/partners/ELSE", headers={"X-Min-Position": str(result.position)})
    assert read.status_code == 200 and read.json()["name"] == "From elsewhere"
