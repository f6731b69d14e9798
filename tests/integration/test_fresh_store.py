"""The store a test is given is as fresh as a new one, although the schema (PostgreSQL) or the
database files (SQLite) are made once per session: nothing an earlier test recorded shows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from commands.partners import RegisterPartner, register_partner
from queries.pages import PageRequest
from queries.partners import PartnerFilters, PartnerQueries
from services.bootstrap.container import Container
from tests.conftest import PgTemplate, _new_schema, fresh_pg, make_settings, open_container, sqlite_store


def _dump(url: str) -> dict[str, Any]:
    """Every row of every table and where each sequence stands."""
    with psycopg.connect(url, autocommit=True) as conn:
        tables = sorted(r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
        dump: dict[str, Any] = {
            t: sorted(map(repr, conn.execute(sql.SQL("SELECT * FROM {}").format(sql.Identifier(t))))) for t in tables
        }
        for (name,) in conn.execute("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'").fetchall():
            query = sql.SQL("SELECT last_value, is_called FROM {}").format(sql.Identifier(name))
            dump[f"sequence {name}"] = conn.execute(query).fetchone()
    return dump


def _use(container: Container) -> None:
    """A test's worth of writes: events, snapshots of the series, read-model rows, positions."""
    for i in range(3):
        container.execute(register_partner, RegisterPartner(name=f"Earlier {i}"))
    container.runner.drain()
    assert container.store.head() > 0
    container.close()


def _assert_fresh(container: Container) -> None:
    try:
        assert container.store.head() == 0
        assert PartnerQueries(container.catalog).directory(PartnerFilters(), PageRequest(limit=10))["items"] == []
        assert set(container.catalog.positions().values()) == {0}
        result = container.execute(register_partner, RegisterPartner(name="First"))
        # The log numbers from 1 again, and the number series starts over.
        positions = [e.position for e in container.store.iterate()]
        assert positions == list(range(1, result.position + 1))
        assert container.store.get(result.id).code == "CU2601-0001"  # type: ignore[attr-defined]
    finally:
        container.close()


@pytest.mark.postgres
def test_a_restored_database_equals_a_new_schema(pg_template: PgTemplate, tmp_path: Path) -> None:
    url = fresh_pg(pg_template, tmp_path / "a")
    _new_schema(url, tmp_path / "b")
    new = _dump(url)
    _use(open_container(make_settings(tmp_path / "c", url)))
    assert fresh_pg(pg_template, tmp_path / "d") == url
    assert _dump(url) == new
    _assert_fresh(open_container(make_settings(tmp_path / "e", url)))


@pytest.mark.postgres
def test_tables_a_test_added_or_dropped_are_as_in_a_new_schema_again(pg_template: PgTemplate, tmp_path: Path) -> None:
    url = fresh_pg(pg_template, tmp_path / "a")
    new = _dump(url)
    _use(open_container(make_settings(tmp_path / "b", url)))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE stray (id integer)")
        conn.execute("DROP TABLE cpty_tracking")
    fresh_pg(pg_template, tmp_path / "c")
    assert _dump(url) == new
    _assert_fresh(open_container(make_settings(tmp_path / "d", url)))


def test_a_sqlite_test_writes_into_its_own_copy(sqlite_template: Path, tmp_path: Path) -> None:
    _use(open_container(sqlite_store(sqlite_template, tmp_path / "earlier")))
    _assert_fresh(open_container(sqlite_store(sqlite_template, tmp_path / "later")))
