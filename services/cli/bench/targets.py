"""Where the stores live (a SQLite directory, a scratch PostgreSQL database) and the raw
driver's one-row transactions on each."""

from __future__ import annotations

import os
import secrets
import sqlite3
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg

from services.cli.bench.common import settings_for
from services.settings import Settings

RAW_TABLE = "bench_raw_events"
# One stored event as the raw driver writes it: originator id, version, topic, state.
RawRow = tuple[UUID, int, str, bytes]


class SqliteTarget:
    name = "sqlite"

    def __init__(self, root: Path) -> None:
        self.root = root

    def settings(self, group: str) -> Settings:
        return settings_for(self.root / f"sqlite-{group}", None)

    def raw_inserts(self, rows: Sequence[RawRow], per_transaction: int = 1) -> float:
        """Seconds to INSERT ``rows`` with plain sqlite3, ``per_transaction`` rows per transaction,
        in a file with the event store's table shape and journal mode (WAL, default synchronous)."""
        path = self.root / "sqlite-raw" / "raw.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"DROP TABLE IF EXISTS {RAW_TABLE}")
            conn.execute(
                f"CREATE TABLE {RAW_TABLE} (originator_id TEXT, originator_version INTEGER, topic TEXT, "
                "state BLOB, PRIMARY KEY (originator_id, originator_version))"
            )
            sql = f"INSERT INTO {RAW_TABLE} VALUES (?, ?, ?, ?)"
            params = [(str(a), b, c, d) for a, b, c, d in rows]
            started = time.perf_counter()
            for start in range(0, len(params), per_transaction):
                conn.execute("BEGIN")
                for row in params[start : start + per_transaction]:
                    conn.execute(sql, row)
                conn.execute("COMMIT")
            return time.perf_counter() - started
        finally:
            conn.close()

    def server_version(self) -> str:
        return sqlite3.sqlite_version


class PostgresTarget:
    name = "postgres"

    def __init__(self, root: Path, url: str) -> None:
        self.root = root
        self.url = url

    def settings(self, group: str) -> Settings:
        reset_schema(self.url)
        return settings_for(self.root / f"pg-{group}", self.url)

    def raw_inserts(self, rows: Sequence[RawRow], per_transaction: int = 1) -> float:
        """Seconds to INSERT ``rows`` with plain psycopg over the same connection kind as the
        store, ``per_transaction`` rows per transaction, into a table shaped like the store's."""
        with psycopg.connect(self.url) as conn:
            conn.execute(f"DROP TABLE IF EXISTS {RAW_TABLE}")
            conn.execute(
                f"CREATE TABLE {RAW_TABLE} (originator_id uuid NOT NULL, originator_version bigint NOT NULL, "
                "topic text, state bytea, notification_id bigserial, PRIMARY KEY (originator_id, originator_version))"
            )
            conn.commit()
            sql = f"INSERT INTO {RAW_TABLE} (originator_id, originator_version, topic, state) VALUES (%s, %s, %s, %s)"
            started = time.perf_counter()
            for start in range(0, len(rows), per_transaction):
                for row in rows[start : start + per_transaction]:
                    conn.execute(sql, row)
                conn.commit()
            elapsed = time.perf_counter() - started
            conn.execute(f"DROP TABLE {RAW_TABLE}")
            conn.commit()
            return elapsed

    def server_version(self) -> str:
        with psycopg.connect(self.url) as conn:
            row = conn.execute("SHOW server_version").fetchone()
        return str(row[0]) if row else "?"


Target = SqliteTarget | PostgresTarget


def reset_schema(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")


# -- finding PostgreSQL (the same order as the test suite) ---------------------------------------


def _reachable(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def locate_postgres(explicit: str | None) -> tuple[str | None, str, Any]:
    """A server URL (or None), how it was found or why not, and a handle that keeps an embedded
    server alive."""
    if explicit:
        if _reachable(explicit):
            return explicit, "--postgres-url", None
        return None, f"--postgres-url {explicit} cannot be reached", None
    env = os.environ.get("CPTY_TEST_DATABASE_URL")
    if env:
        if _reachable(env):
            return env, "CPTY_TEST_DATABASE_URL", None
        return None, f"CPTY_TEST_DATABASE_URL={env} cannot be reached", None
    local = "postgresql://postgres@127.0.0.1:5432/postgres"
    if _reachable(local):
        return local, "local server at 127.0.0.1:5432", None
    try:
        import pgserver  # type: ignore[import-not-found]

        server = pgserver.get_server(Path(tempfile.gettempdir()) / "cpty-pgserver", cleanup_mode="stop")
        return str(server.get_uri()), "embedded pgserver", server
    except Exception as error:  # no pgserver, or it cannot start here
        return None, f"no server at 127.0.0.1:5432 and no embedded pgserver ({error!r})", None


def with_database(base: str, name: str) -> str:
    head, _, tail = base.rpartition("/")
    query = ""
    if "?" in tail:
        query = "?" + tail.split("?", 1)[1]
    return f"{head}/{name}{query}"


@contextmanager
def scratch_database(base: str) -> Iterator[str]:
    name = f"cpty_bench_{secrets.token_hex(4)}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield with_database(base, name)
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
