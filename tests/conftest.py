"""Shared fixtures: a fresh store per test, a container, and an HTTP client with an admin key.

Tests run on SQLite; a test marked ``postgres`` (its subject depends on the store) runs on
PostgreSQL too. PostgreSQL comes from CPTY_TEST_DATABASE_URL, else the local server at
127.0.0.1:5432, else an embedded server from the pgserver package. Each test session (each xdist
worker) gets its own database whose schema is built once; between tests its rows are deleted and
the rows a fresh container writes are put back. SQLite tests start from a copy of database files
made once per session. Either way a test sees what a freshly created store would show it."""

from __future__ import annotations

import gc
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from services.bootstrap.container import Container
from services.settings import Settings

ADMIN_KEY = "test-admin-key"
CLOCK_START = "2026-01-15T00:00:00Z"


def _server_url() -> str:
    url = os.environ.get("CPTY_TEST_DATABASE_URL")
    if url:
        return url
    local = "postgresql://postgres@127.0.0.1:5432/postgres"
    try:
        with psycopg.connect(local, connect_timeout=3):
            return local
    except psycopg.OperationalError:
        pass
    import pgserver  # type: ignore[import-not-found]

    server = pgserver.get_server(Path(tempfile.gettempdir()) / "cpty-pgserver", cleanup_mode="stop")
    return str(server.get_uri())


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A database of this test session's own on the PostgreSQL server."""
    base = _server_url()
    name = f"cpty_test_{secrets.token_hex(4)}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    head, _, tail = base.rpartition("/")
    query = ""
    if "?" in tail:
        tail, query = tail.split("?", 1)
        query = "?" + query
    yield f"{head}/{name}{query}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _reset_schema(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")


def _new_schema(url: str, scratch: Path) -> None:
    _reset_schema(url)
    _fresh_store(make_settings(scratch, url))


def _fresh_store(settings: Settings) -> None:
    """Creates what a serving process creates in an empty database: the log, the read models with
    their catalog and tracking rows, and the idempotency table of the API."""
    from services.api.idempotency import ResponseStore

    container = Container(settings)
    ResponseStore.create(container.engine)
    container.close()


@dataclass(frozen=True)
class PgTemplate:
    """The tables of a fresh schema, and the rows a fresh container wrote into them."""

    url: str
    tables: frozenset[str]
    sequences: tuple[str, ...]
    rows: tuple[tuple[str, tuple[str, ...], tuple[tuple[Any, ...], ...]], ...]

    @classmethod
    def build(cls, url: str, scratch: Path) -> PgTemplate:
        _new_schema(url, scratch)
        with psycopg.connect(url, autocommit=True) as conn:
            tables = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
            sequences = [
                r[0] for r in conn.execute("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")
            ]
            rows = []
            for table in sorted(tables):
                cursor = conn.execute(sql.SQL("SELECT * FROM {}").format(sql.Identifier(table)))
                found = cursor.fetchall()
                if found:
                    columns = tuple(c.name for c in cursor.description or ())
                    rows.append((table, columns, tuple(tuple(r) for r in found)))
        return cls(url, frozenset(tables), tuple(sequences), tuple(rows))

    def restore(self, scratch: Path) -> None:
        """Drops the tables a test added, empties the others and restarts the log's numbering, in
        one transaction; then puts the fresh container's rows back, or, when a test dropped
        tables (a rebuild switches a read model to new ones), lets a fresh container create
        what is missing and write its rows, as it does in a new schema."""
        with psycopg.connect(self.url, autocommit=True) as conn:
            present = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
            statements = [sql.SQL("SET LOCAL lock_timeout = '10s'")]
            statements += [sql.SQL("DROP TABLE {} CASCADE").format(sql.Identifier(t)) for t in present - self.tables]
            statements += [sql.SQL("DELETE FROM {}").format(sql.Identifier(t)) for t in sorted(present & self.tables)]
            statements += [sql.SQL("ALTER SEQUENCE {} RESTART").format(sql.Identifier(s)) for s in self.sequences]
            complete = self.tables <= present
            for table, columns, rows in self.rows if complete else ():
                statements.append(
                    sql.SQL("INSERT INTO {} ({}) VALUES {}").format(
                        sql.Identifier(table),
                        sql.SQL(", ").join(map(sql.Identifier, columns)),
                        sql.SQL(", ").join(
                            sql.SQL("({})").format(sql.SQL(", ").join(map(sql.Literal, r))) for r in rows
                        ),
                    )
                )
            with conn.transaction():
                conn.execute(sql.SQL("; ").join(statements))
        if not complete:
            _fresh_store(make_settings(scratch, self.url))


@pytest.fixture(scope="session")
def pg_template(pg_server: str, tmp_path_factory: pytest.TempPathFactory) -> PgTemplate:
    return PgTemplate.build(pg_server, tmp_path_factory.mktemp("pg-template"))


def fresh_pg(template: PgTemplate, scratch: Path) -> str:
    """The URL of the session's PostgreSQL database, made as fresh as a new schema."""
    template.restore(scratch)
    return template.url


@pytest.fixture
def pg_database(pg_template: PgTemplate, tmp_path_factory: pytest.TempPathFactory) -> str:
    return fresh_pg(pg_template, tmp_path_factory.mktemp("pg-schema"))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The database files of a fresh SQLite store, made once per session."""
    settings = make_settings(tmp_path_factory.mktemp("sqlite-template"))
    _fresh_store(settings)
    return settings.data_dir


def sqlite_store(template: Path, tmp_path: Path) -> Settings:
    """Settings over a copy of the fresh database files (copying is cheaper than creating them)."""
    settings = make_settings(tmp_path)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    for database in (settings.event_store_url, settings.read_model_url):
        name = Path(database.split(":///", 1)[1]).name
        shutil.copyfile(template / name, settings.data_dir / name)
    return settings


def pytest_sessionstart(session: pytest.Session) -> None:
    """Moves what importing the program made (modules, classes, pydantic and FastAPI machinery)
    out of the collector's sight: every full collection would otherwise walk those hundreds of
    thousands of objects again, about once per test."""
    import services.api.app  # noqa: F401

    gc.collect()
    gc.freeze()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test that asks for a store runs on SQLite; marked ``postgres``, on PostgreSQL as well."""
    if "backend" in metafunc.fixturenames:
        backends: list[Any] = ["sqlite"]
        if metafunc.definition.get_closest_marker("postgres"):
            backends.append("postgres")
        metafunc.parametrize("backend", backends, indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """The store of this run of the test: ``sqlite``, or ``postgres`` for a test marked so."""
    return str(request.param)


def make_settings(tmp_path: Path, database_url: str | None = None, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "database_url": database_url,
        "clock": "manual",
        "clock_start": CLOCK_START,
        "admin_key": ADMIN_KEY,
        "consistency_timeout": 10.0,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> Settings:
    if backend == "postgres":
        return make_settings(tmp_path, request.getfixturevalue("pg_database"))
    return sqlite_store(request.getfixturevalue("sqlite_template"), tmp_path)


@pytest.fixture
def sqlite_settings(tmp_path: Path, sqlite_template: Path) -> Settings:
    return sqlite_store(sqlite_template, tmp_path)


def open_container(settings: Settings) -> Container:
    container = Container(settings)
    container.runner.ensure_reactors()
    return container


@pytest.fixture
def container(settings: Settings) -> Iterator[Container]:
    c = open_container(settings)
    yield c
    c.close()


@pytest.fixture
def sqlite_container(sqlite_settings: Settings) -> Iterator[Container]:
    c = open_container(sqlite_settings)
    yield c
    c.close()


# Apps built once per test process and bound to each test's container: building the routes'
# dependencies on an app's first requests costs more than most tests. Keyed by the settings an
# app is built with; an app serves one client at a time.
_APPS: dict[tuple[Any, ...], list[Any]] = {}


@contextmanager
def http_client(container: Container) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from services.api.app import bind, build_app

    settings = container.settings
    free = _APPS.setdefault((settings.max_body_bytes, settings.max_attachment_bytes), [])
    app = free.pop() if free else build_app(settings)
    bind(app, container)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            client.headers["Authorization"] = f"Bearer {ADMIN_KEY}"
            yield client
    finally:
        app.state.container = app.state.waits = app.state.rate_limits = None
        free.append(app)


@pytest.fixture
def client(container: Container) -> Iterator[Any]:
    """An admin HTTP client over the parametrised backend."""
    with http_client(container) as c:
        yield c


@pytest.fixture
def sqlite_client(sqlite_container: Container) -> Iterator[Any]:
    """An admin HTTP client over SQLite only (for tests whose subject is not the store)."""
    with http_client(sqlite_container) as c:
        yield c
