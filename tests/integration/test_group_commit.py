"""Group commit: concurrent saves of one process share a transaction, each keeps its own position
and its own errors; commands on one stream build on each other's queued events.

The batches are formed deterministically: a gate holds the first transaction open while the other
commands queue behind it, so no test depends on timing."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import pytest

from aggregates.code_claim import CodeClaimed
from aggregates.errors import DomainError, NotFound
from aggregates.partner import Partner
from aggregates.partner_details import PartnerDetails, PartnerRegistered
from commands.context import ConcurrencyConflict, Result
from commands.partners import RegisterPartner, register_partner
from services.adapters.group_commit import GroupCommitter, Superseded
from services.bootstrap.container import Container
from tests.conftest import open_container

pytestmark = pytest.mark.postgres

# -- the committer alone ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Fake:
    originator_id: UUID
    originator_version: int


class Log:
    """A fake ``record``: one transaction per call, refused if it holds an event in ``bad`` or two
    events of one stream version; the first call waits for ``gate`` when one is set."""

    def __init__(self) -> None:
        self.rows: list[Fake] = []
        self.calls: list[list[Fake]] = []
        self.bad: set[Fake] = set()
        self.gate: threading.Event | None = None
        self.entered = threading.Event()

    def record(self, events: Sequence[Any]) -> list[int]:
        self.calls.append(list(events))
        if self.gate is not None and len(self.calls) == 1:
            self.entered.set()
            assert self.gate.wait(10)
        keys = [(e.originator_id, e.originator_version) for e in events]
        stored = {(r.originator_id, r.originator_version) for r in self.rows}
        if len(set(keys)) < len(keys) or stored & set(keys) or self.bad & set(events):
            raise ValueError("refused")
        self.rows.extend(events)
        return list(range(len(self.rows) - len(events) + 1, len(self.rows) + 1))


def run(target: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    out: dict[str, Any] = {}

    def body() -> None:
        try:
            out["value"] = target()
        except Exception as error:
            out["error"] = error

    thread = threading.Thread(target=body)
    thread.start()
    return thread, out


def queued_behind_gate(log: Log, committer: GroupCommitter, saves: list[list[Fake]]) -> list[dict[str, Any]]:
    """Starts one save that holds the gate, queues ``saves`` behind it, then opens the gate."""
    log.gate = threading.Event()
    first, first_out = run(lambda: committer.commit([Fake(uuid4(), 1)]))  # type: ignore[list-item]
    assert log.entered.wait(10)
    threads = []
    for events in saves:
        handle = committer.submit(events)  # type: ignore[arg-type]
        threads.append(run(lambda h=handle: committer.wait(h)))  # type: ignore[misc]
    log.gate.set()
    first.join(10)
    for thread, _ in threads:
        thread.join(10)
    assert first_out["value"] == 1
    return [out for _, out in threads]


def test_saves_queued_during_a_transaction_share_the_next_one_each_with_its_own_position() -> None:
    log = Log()
    committer = GroupCommitter(log.record)
    a, b, c = uuid4(), uuid4(), uuid4()
    outs = queued_behind_gate(log, committer, [[Fake(a, 1), Fake(a, 2)], [Fake(b, 1)], [Fake(c, 1), Fake(c, 2)]])
    assert [o["value"] for o in outs] == [3, 4, 6]
    assert [len(call) for call in log.calls] == [1, 5]
    assert (committer.transactions, committer.commands) == (2, 4)


def test_a_refused_save_in_a_batch_fails_alone_and_its_neighbours_are_written() -> None:
    log = Log()
    committer = GroupCommitter(log.record)
    a, b, c = uuid4(), uuid4(), uuid4()
    log.bad = {Fake(b, 1)}
    outs = queued_behind_gate(log, committer, [[Fake(a, 1)], [Fake(b, 1)], [Fake(c, 1)]])
    assert outs[0]["value"] == 2 and outs[2]["value"] == 3
    assert isinstance(outs[1]["error"], ValueError)
    assert [[(e.originator_id, e.originator_version) for e in call] for call in log.calls[1:]] == [
        [(a, 1), (b, 1), (c, 1)],  # the shared attempt, rolled back
        [(a, 1)],
        [(b, 1)],
        [(c, 1)],
    ]
    assert log.rows[1:] == [Fake(a, 1), Fake(c, 1)]


def test_two_saves_of_one_stream_version_in_a_batch_conflict_like_two_transactions() -> None:
    log = Log()
    committer = GroupCommitter(log.record)
    a = uuid4()
    outs = queued_behind_gate(log, committer, [[Fake(a, 1)], [Fake(a, 1)]])
    assert outs[0]["value"] == 2
    assert isinstance(outs[1]["error"], ValueError)
    assert log.rows[1:] == [Fake(a, 1)]


def test_a_save_built_on_a_queued_one_is_written_after_it_or_refused_with_it() -> None:
    log = Log()
    committer = GroupCommitter(log.record)
    a, b = uuid4(), uuid4()
    log.bad = {Fake(a, 1)}
    log.gate = threading.Event()
    first, _ = run(lambda: committer.commit([Fake(uuid4(), 1)]))  # type: ignore[list-item]
    assert log.entered.wait(10)
    failing = committer.submit([Fake(a, 1)])  # type: ignore[list-item]
    assert committer.pending(a) == [(failing, Fake(a, 1))]
    dependent = committer.submit([Fake(a, 2), Fake(b, 1)], after=[failing])  # type: ignore[list-item]
    independent = committer.submit([Fake(b, 1)])  # type: ignore[list-item]
    log.gate.set()
    first.join(10)
    with pytest.raises(ValueError):
        committer.wait(failing)
    with pytest.raises(Superseded):
        committer.wait(dependent)
    assert committer.wait(independent) == 2
    assert log.rows[1:] == [Fake(b, 1)]  # no version 2 of a stream without its version 1
    assert committer.pending(a) == [] and committer.pending(b) == []
    assert committer.settled([failing, dependent]) is False
    assert committer.settled([independent]) is True


def test_a_lone_save_is_written_at_once_by_its_own_caller() -> None:
    log = Log()
    committer = GroupCommitter(log.record)
    assert committer.commit([Fake(uuid4(), 1), Fake(uuid4(), 1)]) == 2  # type: ignore[list-item]
    assert (committer.transactions, committer.commands, len(log.calls)) == (1, 1, 1)


# -- the store and the command executor ---------------------------------------------------------


@pytest.fixture
def gate(container: Container) -> Iterator[Gate]:
    g = Gate(container)
    yield g
    g.open()


class Gate:
    """Holds the store's next transaction open until ``open``, so that saves queue behind it."""

    def __init__(self, container: Container) -> None:
        self.committer = container.store.committer
        self.inner = self.committer.record
        self.released = threading.Event()
        self.entered = threading.Event()
        self.calls: list[list[Any]] = []
        self.fail_first: Exception | None = None
        self.armed = True  # the next transaction is held

        def record(events: Sequence[Any]) -> list[int]:
            self.calls.append(list(events))
            if self.armed:
                self.armed = False
                self.entered.set()
                assert self.released.wait(20)
                if self.fail_first is not None:
                    raise self.fail_first
            return self.inner(events)

        self.committer.record = record

    def open(self) -> None:
        self.released.set()

    def wait_queued(self, stream_id: UUID, count: int) -> None:
        """Until ``count`` saves have queued events of the stream."""
        for _ in range(2000):
            if len({id(s) for s, _ in self.committer.pending(stream_id)}) >= count:
                return
            threading.Event().wait(0.005)
        raise AssertionError("the saves did not queue")


def _partner(name: str) -> Partner:
    return Partner.register(uuid4(), name.upper(), PartnerDetails(name=name), date(2026, 1, 15))


def test_concurrent_saves_share_a_transaction_and_a_stale_one_fails_alone(container: Container, gate: Gate) -> None:
    store = container.store
    target = _partner("Target")
    gate.armed = False
    store.save(target.collect_events())
    gate.calls.clear()
    gate.armed = True
    stale = store.get(target.id)
    fresh = store.get(target.id)
    fresh.change_details({"name": "Fresh"})  # type: ignore[attr-defined]
    stale.change_details({"name": "Stale"})  # type: ignore[attr-defined]

    holder = _partner("Holder")
    first, first_out = run(lambda: store.save(holder.collect_events()))
    assert gate.entered.wait(10)
    neighbour = _partner("Neighbour")
    started = [run(lambda: store.save(fresh.collect_events()))]
    gate.wait_queued(target.id, 1)
    started.append(run(lambda: store.save(stale.collect_events())))
    gate.wait_queued(target.id, 2)
    started.append(run(lambda: store.save(neighbour.collect_events())))
    gate.wait_queued(neighbour.id, 1)
    gate.open()
    first.join(10)
    for thread, _ in started:
        thread.join(10)
    (_, fresh_out), (_, stale_out), (_, neighbour_out) = started

    assert isinstance(stale_out["error"], ConcurrencyConflict)
    positions = [first_out["value"], fresh_out["value"], neighbour_out["value"]]
    assert len(set(positions)) == 3
    assert store.event_at(fresh_out["value"]).originator_id == target.id  # type: ignore[union-attr]
    assert store.event_at(neighbour_out["value"]).originator_id == neighbour.id  # type: ignore[union-attr]
    assert store.get(target.id).details.name == "Fresh"  # type: ignore[attr-defined]
    assert [len(call) for call in gate.calls] == [1, 3, 1, 1, 1]  # shared try, then one each
    logged = [(e.event.originator_id, e.event.originator_version) for e in store.iterate()]
    assert logged == [(target.id, 1), (holder.id, 1), (target.id, 2), (neighbour.id, 1)]


def _register(container: Container, name: str, **fields: Any) -> Callable[[], Result]:
    return lambda: container.execute(register_partner, RegisterPartner(name=name, **fields))


def _codes(container: Container) -> dict[UUID, str]:
    return {
        e.event.originator_id: e.event.code for e in container.store.iterate() if isinstance(e.event, PartnerRegistered)
    }


def test_commands_on_one_number_series_build_on_each_others_queued_events(container: Container, gate: Gate) -> None:
    from aggregates.number_series import NumberSeries

    series = NumberSeries.id_for("partner")
    first, first_out = run(_register(container, "First"))
    assert gate.entered.wait(10)
    second, second_out = run(_register(container, "Second"))
    gate.wait_queued(series, 2)
    third, third_out = run(_register(container, "Third"))
    gate.wait_queued(series, 3)
    gate.open()
    for thread in (first, second, third):
        thread.join(20)

    results = [first_out["value"], second_out["value"], third_out["value"]]
    codes = _codes(container)
    assert [codes[r.id] for r in results] == ["CU2601-0001", "CU2601-0002", "CU2601-0003"]
    # No command lost a race: the second and third were written together, after the first.
    assert [len(call) for call in gate.calls] == [4, 6]  # the first also opened the series
    assert gate.committer.commands == 3
    for r in results:
        claimed = container.store.event_at(r.position)
        assert isinstance(claimed, CodeClaimed) and claimed.owner == r.id


def test_a_command_built_on_a_failed_save_is_run_again_on_the_facts(container: Container, gate: Gate) -> None:
    from eventsourcing.persistence import IntegrityError

    from aggregates.number_series import NumberSeries

    gate.fail_first = IntegrityError("refused")
    series = NumberSeries.id_for("partner")
    first, first_out = run(_register(container, "First"))
    assert gate.entered.wait(10)
    second, second_out = run(_register(container, "Second"))
    gate.wait_queued(series, 2)
    gate.open()
    first.join(20)
    second.join(20)

    codes = _codes(container)
    assert sorted(codes[out["value"].id] for out in (first_out, second_out)) == ["CU2601-0001", "CU2601-0002"]
    assert len(codes) == 2
    versions = [e.event.originator_version for e in container.store.iterate() if e.event.originator_id == series]
    assert versions == [1, 2, 3]


def test_a_code_claimed_by_another_process_is_retried_alone_and_answers_code_taken(
    container: Container, gate: Gate
) -> None:
    with pytest.raises(NotFound):  # this store's stream index is loaded now, before the other process writes
        container.store.get(uuid4())
    other = open_container(container.settings)  # another process: this store's index has not seen its claim
    try:
        other.execute(register_partner, RegisterPartner(name="Elsewhere", code="TAKEN"))
    finally:
        other.close()
    holder, _ = run(_register(container, "Holder"))
    assert gate.entered.wait(10)
    claimer, claimer_out = run(_register(container, "Claimer", code="TAKEN"))
    neighbour, neighbour_out = run(_register(container, "Neighbour", code="FREE"))
    from aggregates.code_claim import CodeClaim

    gate.wait_queued(CodeClaim.id_for("partner", "TAKEN"), 1)
    gate.wait_queued(CodeClaim.id_for("partner", "FREE"), 1)
    gate.open()
    for thread in (holder, claimer, neighbour):
        thread.join(20)

    error = claimer_out["error"]
    assert isinstance(error, DomainError) and error.code == "code_taken"
    codes = _codes(container)
    assert codes[neighbour_out["value"].id] == "FREE"
    assert sorted(codes.values()) == ["CU2601-0001", "FREE", "TAKEN"]


def test_many_threads_each_get_their_own_position_and_every_event_is_in_the_log(container: Container) -> None:
    n = 24
    results: list[Result] = []
    errors: list[Exception] = []

    def register(i: int) -> None:
        try:
            results.append(container.execute(register_partner, RegisterPartner(name=f"Thread {i}")))
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=register, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert len({r.position for r in results}) == n
    for r in results:  # a command's position is that of its own last event: its code's claim
        claimed = container.store.event_at(r.position)
        assert isinstance(claimed, CodeClaimed) and claimed.owner == r.id
    codes = _codes(container)
    assert set(codes) == {r.id for r in results}
    assert sorted(codes.values()) == [f"CU2601-{i:04d}" for i in range(1, n + 1)]
    assert container.store.head() == max(r.position for r in results)
