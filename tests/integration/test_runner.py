"""The batching runner on SQLite and PostgreSQL: exactly-once pages, rebuild with a switch,
verification, two runners on one database, restart after a failure."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from commands.partners import AddContact, RegisterPartner, add_contact, register_partner
from projections.log import LoggedEvent
from projections.runner import Runner
from services.bootstrap.container import Container
from services.cli.replay import table_rows, verify_all
from tests.conftest import open_container

# The store is this module's subject: it runs on PostgreSQL too.
pytestmark = pytest.mark.postgres


def _register(container: Container, n: int, prefix: str = "P") -> None:
    for i in range(n):
        result = container.execute(register_partner, RegisterPartner(name=f"{prefix} {i:04d}", code=f"{prefix}{i:04d}"))
        container.execute(add_contact, AddContact(partner=str(result.id), name=f"Contact {i}"))


def _count(container: Container, projection: str, table: str) -> int:
    with container.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(container.catalog.table(projection, table))).scalar_one())


def test_pages_of_the_log_are_applied_once_with_their_position(container: Container) -> None:
    _register(container, 30)
    container.runner.page = 7  # many small pages
    container.runner.drain()
    head = container.store.head()
    assert container.runner.reached(head)
    assert _count(container, "partner_directory", "partners") == 30
    assert _count(container, "audit_index", "events") == len(list(container.store.iterate()))
    container.runner.drain()  # nothing more to do, nothing applied twice
    assert _count(container, "audit_index", "events") == len(list(container.store.iterate()))


def test_two_runners_on_one_database_apply_every_page_once(container: Container) -> None:
    _register(container, 40)
    other = Runner(container.store, container.catalog, page=5)
    container.runner.page = 5
    threads = [threading.Thread(target=r.drain) for r in (container.runner, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert _count(container, "partner_directory", "partners") == 40
    assert _count(container, "audit_index", "events") == len(list(container.store.iterate()))


def test_rebuild_fills_new_tables_then_switches(container: Container) -> None:
    _register(container, 12)
    container.runner.drain()
    before = container.catalog.version("partner_directory")
    events = container.runner.rebuild("partner_directory")
    assert events == container.store.head() or events == len(list(container.store.iterate()))
    assert container.catalog.version("partner_directory") == before + 1
    assert _count(container, "partner_directory", "partners") == 12
    # The switch is recorded, so a second process reads the new tables too.
    second = open_container(container.settings)
    try:
        assert second.catalog.version("partner_directory") == before + 1
    finally:
        second.close()


def test_rebuilding_every_read_model_reads_each_page_of_the_log_once(container: Container) -> None:
    _register(container, 12)
    container.runner.drain()
    names = list(container.catalog.projections)
    live = {name: table_rows(container, name, container.catalog.version(name)) for name in names}
    versions = {name: container.catalog.version(name) for name in names}
    starts: list[int] = []

    class CountingLog:
        def head(self) -> int:
            return container.store.head()

        def read(self, after: int, limit: int = 1000, upto: int | None = None) -> list[LoggedEvent]:
            starts.append(after)
            return container.store.read(after, limit, upto)

    events = Runner(CountingLog(), container.catalog, page=10).rebuild_all(names)
    head = container.store.head()
    assert events == head
    assert [s for s in starts if s < head] == list(range(0, head, 10))  # once for all read models
    for name in names:
        assert container.catalog.version(name) == versions[name] + 1
        assert table_rows(container, name, versions[name] + 1) == live[name], name


def test_replay_verify_finds_no_difference_then_finds_a_tampered_row(container: Container) -> None:
    from rich.progress import Progress

    _register(container, 8)
    container.runner.drain()
    with Progress(disable=True) as bar:
        assert verify_all(container, bar) == []
    partners = container.catalog.table("partner_directory", "partners")
    with container.engine.begin() as conn:
        conn.execute(partners.update().where(partners.c.code == "P0003").values(name="Tampered"))
    with Progress(disable=True) as bar:
        problems = verify_all(container, bar)
    assert problems == ["partner_directory.partners: 1 rows missing, 1 rows extra"]


def test_a_failing_projection_does_not_stop_the_others_and_resumes(container: Container) -> None:
    from projections.partner_directory import directory

    _register(container, 3)
    original = directory.handlers[next(iter(directory.handlers))]
    calls = {"n": 0}

    def broken(e: object, rows: object) -> None:
        calls["n"] += 1
        raise RuntimeError("poison")

    first_type = next(iter(directory.handlers))
    directory.handlers[first_type] = [broken]
    try:
        container.runner.drain()
        status = {p.name: p.status for p in container.runner.status()}
        assert status["partner_directory"] == "failed"
        assert status["audit_index"] == "live"
        assert _count(container, "partner_directory", "partners") == 0
    finally:
        directory.handlers[first_type] = original
    container.runner.drain()
    assert {p.name: p.status for p in container.runner.status()}["partner_directory"] == "live"
    assert _count(container, "partner_directory", "partners") == 3
    assert calls["n"] >= 1


def test_the_background_runner_catches_up_writes_of_another_process(container: Container) -> None:
    writer = open_container(container.settings)  # stands in for another process: no shared runner
    try:
        container.start(scheduler=False)
        result = writer.execute(register_partner, RegisterPartner(name="From elsewhere"))
        assert container.runner.wait(result.position, timeout=10, drive=False)
        assert _count(container, "partner_directory", "partners") == 1
    finally:
        writer.close()


def test_a_changed_table_definition_starts_a_new_version_built_from_the_log(container: Container) -> None:
    from sqlalchemy import Column, MetaData, Table, Text

    from projections.catalog import Catalog, Projection
    from projections.partner_directory import define, directory

    _register(container, 4)
    container.runner.drain()
    before = container.catalog.version("partner_directory")

    def wider(meta: MetaData, prefix: str) -> dict[str, Table]:
        tables = define(meta, prefix)
        tables["partners"].append_column(Column("remark", Text))
        return tables

    changed = Projection("partner_directory", wider, directory.handlers, directory.every)
    catalog = Catalog(container.engine, [changed])
    assert catalog.version("partner_directory") == before + 1
    runner = Runner(container.store, catalog)
    runner.drain()
    with container.engine.connect() as conn:
        rows = conn.execute(select(catalog.table("partner_directory", "partners"))).mappings().all()
    assert sorted(r["code"] for r in rows) == ["P0000", "P0001", "P0002", "P0003"]
    assert all(r["remark"] is None for r in rows)
    # The same definitions again: no new version.
    assert Catalog(container.engine, [changed]).version("partner_directory") == before + 1
