"""One rebuild of a read model at a time, in the whole deployment. Two rebuilds of one read model
would fill, switch and drop the same new tables under each other. On PostgreSQL the lock is an
advisory lock per read model, held by a connection of its own for as long as the rebuild runs (a
process that dies frees it with its session); on SQLite, whose processes share one host, it is an
exclusive ``flock`` on a file per read model in the data directory (freed by the kernel likewise).
Both conflict also between two rebuilds in one process."""

from __future__ import annotations

import contextlib
import fcntl
from pathlib import Path
from typing import IO, Protocol

import psycopg

from services.adapters.leader_locks import KEEPALIVES, family_key
from services.adapters.store import postgres_conninfo

# The first of the two keys of a rebuild's lock (leader locks use 727275); the second names the read model.
LOCK_CLASS = 727276


class RebuildLock(Protocol):
    def release(self) -> None: ...


class _AdvisoryLock:
    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn

    def release(self) -> None:
        with contextlib.suppress(psycopg.Error):
            self.conn.close()  # ends the session, and the lock with it


class _FileLock:
    def __init__(self, file: IO[bytes]) -> None:
        self.file = file

    def release(self) -> None:
        self.file.close()  # closing the file drops its flock


class RebuildLocks:
    def __init__(self, database_url: str, data_dir: Path) -> None:
        self.database_url = database_url
        self.postgres = not database_url.startswith("sqlite")
        self.data_dir = data_dir

    def take(self, name: str) -> RebuildLock | None:
        """The lock of ``name``'s rebuild, or None while another rebuild of it holds it."""
        if self.postgres:
            conninfo = postgres_conninfo(
                self.database_url,
                application_name=f"counterparty-rebuild {name}"[:63],
                connect_timeout=5,
                keepalives=1,
                keepalives_idle=5,
                keepalives_interval=2,
                keepalives_count=3,
                options=KEEPALIVES,  # a vanished host's lock is freed within seconds, as a leader's
            )
            conn = psycopg.connect(conninfo, autocommit=True)
            row = conn.execute("SELECT pg_try_advisory_lock(%s, %s)", (LOCK_CLASS, family_key(name))).fetchone()
            if row and row[0]:
                return _AdvisoryLock(conn)
            conn.close()
            return None
        file = (self.data_dir / f"rebuild-{name}.lock").open("ab")
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            file.close()
            return None
        return _FileLock(file)
