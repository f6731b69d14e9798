"""Cheap misses: the store knows which streams exist without asking the database, learns what other
processes create by following the log, and never turns a stale guess into a wrong answer."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any
from uuid import UUID, uuid4

import pytest

from aggregates.code_claim import CodeClaim
from aggregates.custom_field import CATALOG_ID
from aggregates.errors import NotFound
from aggregates.idempotency import IdempotencyRecord
from aggregates.partner_details import PartnerRegistered
from commands.partners import ChangePartner, RegisterPartner, change_partner, register_partner
from services.adapters.streams import StreamIndex
from services.bootstrap.container import Container
from tests.conftest import http_client, open_container

pytestmark = pytest.mark.postgres


class Reads:
    """Records the streams the store reads from the database (events and snapshots)."""

    def __init__(self, container: Container) -> None:
        self.ids: list[UUID] = []
        app: Any = container.store.app
        for recorder in {id(app.recorder): app.recorder, id(app.snapshots.recorder): app.snapshots.recorder}.values():
            inner = recorder.select_events

            def spy(originator_id: UUID, *args: Any, _inner: Any = inner, **kwargs: Any) -> Any:
                self.ids.append(originator_id)
                return _inner(originator_id, *args, **kwargs)

            recorder.select_events = spy


@pytest.fixture
def other(container: Container) -> Iterator[Container]:
    """Another process on the same database (its own store, index and runner)."""
    c = open_container(container.settings)
    yield c
    c.close()


def test_what_does_not_exist_costs_no_query(container: Container) -> None:
    container.execute(register_partner, RegisterPartner(name="Warm"))  # loads the index
    reads = Reads(container)
    missing = uuid4()
    with pytest.raises(NotFound):
        container.store.get(missing)
    assert container.store.stream_version(missing) == 0
    assert container.store.existing([missing, uuid4()]) == set()
    result = container.execute(register_partner, RegisterPartner(name="Second"))
    code = container.store.get(result.id).code  # type: ignore[arg-type, attr-defined]
    never_asked = {missing, CATALOG_ID, CodeClaim.id_for("partner", code)}
    assert never_asked.isdisjoint(reads.ids)


def test_a_stream_another_process_created_is_known_after_a_look_at_the_head(
    container: Container, other: Container
) -> None:
    container.store.existing([uuid4()])  # the index is loaded before the other process writes
    result = other.execute(register_partner, RegisterPartner(name="Elsewhere", code="ELSE"))
    claim = CodeClaim.id_for("partner", "ELSE")
    assert container.store.stream_version(claim) == 0  # a guess: the log was not followed since
    assert container.store.head() == result.position
    assert container.store.stream_version(claim) == 1
    assert container.store.get(claim).owner == result.id  # type: ignore[attr-defined]


def test_a_command_naming_what_another_process_just_created_finds_it(container: Container, other: Container) -> None:
    container.store.existing([uuid4()])
    created = other.execute(register_partner, RegisterPartner(name="Elsewhere", code="ELSE"))
    changed = container.execute(change_partner, ChangePartner(partner="ELSE", name="Renamed here"))
    assert changed.id == created.id
    assert container.store.get(created.id).details.name == "Renamed here"  # type: ignore[arg-type, attr-defined]


def test_an_idempotency_key_another_process_recorded_is_replayed(container: Container, other: Container) -> None:
    container.store.existing([uuid4()])
    body = {"name": "Keyed"}
    with http_client(other) as there:
        first = there.post("/v1/partners", json=body, headers={"Idempotency-Key": "shared"})
    with http_client(container) as here:
        again = here.post("/v1/partners", json=body, headers={"Idempotency-Key": "shared"})
        reused = here.post("/v1/partners", json={"name": "Other"}, headers={"Idempotency-Key": "shared"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert reused.status_code == 409 and reused.json()["code"] == "idempotency_key_reused"
    assert container.store.stream_version(IdempotencyRecord.id_for("admin", "shared")) == 1
    assert [e.event.details.name for e in container.store.iterate() if isinstance(e.event, PartnerRegistered)] == [
        "Keyed"
    ]


def test_the_index_has_no_false_absences_and_grows_past_its_capacity() -> None:
    log: list[UUID] = [uuid4() for _ in range(300)]
    index = StreamIndex(lambda: len(log), lambda after, upto: log[after:upto], min_capacity=100)
    assert all(index.may_exist(i) for i in log)
    assert not index.guessed()
    assert index.capacity == 600  # twice what the log held
    log.extend(uuid4() for _ in range(50))  # another process's, not followed yet
    created_here = [uuid4() for _ in range(500)]  # this process's, still to commit: past the capacity
    index.add(created_here)
    for _ in range(500):  # the rebuild runs on a thread of its own
        if index.capacity != 600:
            break
        threading.Event().wait(0.01)
    assert index.capacity == 700  # rebuilt from the log as it is now
    index.follow(len(log))
    assert all(index.may_exist(i) for i in log + created_here)
    absent = [uuid4() for _ in range(1000)]
    assert sum(index.may_exist(i) for i in absent) < 100  # mostly known absent, without a query
    assert index.guessed()
