"""Leader locks: PostgreSQL advisory locks, one per job family, held on a dedicated connection.

A lock is held as long as the session that took it lives. A process killed with -9 closes its
socket, the server ends the session at once and the lock is free for a worker standing by; a
vanished host is noticed by the server's TCP keepalives (set on the session: about 11 s). The
connection's ``application_name`` names the holder, so any process can tell who leads what
(``holders``)."""

from __future__ import annotations

import contextlib
import logging
import zlib
from collections.abc import Iterable

import psycopg
from sqlalchemy import text
from sqlalchemy.engine import Connection

from services.adapters.store import postgres_conninfo

log = logging.getLogger("counterparty.leader")

# The first of the two keys of every leader lock; the second is the family's (``family_key``).
LOCK_CLASS = 727275
APPLICATION = "counterparty-leader "
# The server ends the session of a host that stopped answering after 5 + 3 × 2 seconds.
KEEPALIVES = "-c tcp_keepalives_idle=5 -c tcp_keepalives_interval=2 -c tcp_keepalives_count=3"


def family_key(family: str) -> int:
    return zlib.crc32(family.encode()) & 0x7FFFFFFF


class AdvisoryLocks:
    """The leader locks a process holds, on one connection of its own (opened when first needed,
    and again after it was lost)."""

    def __init__(self, database_url: str, holder: str) -> None:
        self.conninfo = postgres_conninfo(
            database_url,
            application_name=(APPLICATION + holder)[:63],
            connect_timeout=5,
            keepalives=1,
            keepalives_idle=5,
            keepalives_interval=2,
            keepalives_count=3,
            options=KEEPALIVES,
        )
        self._conn: psycopg.Connection | None = None

    def try_acquire(self, family: str) -> bool:
        """Takes the family's lock if nobody holds it; raises ``psycopg.Error`` when the database
        cannot be reached."""
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self.conninfo, autocommit=True)
        row = self._conn.execute("SELECT pg_try_advisory_lock(%s, %s)", (LOCK_CLASS, family_key(family))).fetchone()
        return bool(row and row[0])

    def alive(self) -> bool:
        """Whether the connection, and so every lock taken on it, is still there."""
        if self._conn is None:
            return False
        try:
            self._conn.execute("SELECT 1")
            return True
        except psycopg.Error as error:
            log.warning("leader lock connection lost", extra={"error": str(error)})
            self.close()
            return False

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()
            self._conn = None


def holders(conn: Connection, families: Iterable[str]) -> dict[str, str | None]:
    """Who holds each family's lock in this database (the holder a worker named), or None."""
    wanted = {family_key(f): f for f in families}
    rows = conn.execute(
        text(
            "SELECT l.objid, a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = :class AND l.objsubid = 2 "
            "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        ),
        {"class": LOCK_CLASS},
    ).all()
    found: dict[str, str | None] = dict.fromkeys(wanted.values())
    for objid, application in rows:
        family = wanted.get(int(objid))
        if family is not None:
            found[family] = (application or "").removeprefix(APPLICATION) or "?"
    return found
