"""Shared fixtures: a fresh store per test on SQLite and on PostgreSQL, a container, and an HTTP
client with an admin key.

PostgreSQL comes from CPTY_TEST_DATABASE_URL, else the local server at 127.0.0.1:5432, else an
embedded server from the pgserver package. Each test session gets its own database; each test
gets an empty schema."""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

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


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    """Parametrises a test over both stores."""
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
        url = request.getfixturevalue("pg_server")
        _reset_schema(url)
        return make_settings(tmp_path, url)
    return make_settings(tmp_path)


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


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


def http_client(container: Container) -> Any:
    from fastapi.testclient import TestClient

    from services.api.app import create_app

    client = TestClient(create_app(container), raise_server_exceptions=False)
    client.headers["Authorization"] = f"Bearer {ADMIN_KEY}"
    return client


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
