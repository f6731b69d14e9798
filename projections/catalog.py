"""Read models: each projection owns a versioned set of tables, so a rebuild can fill a new set
while the old one serves, then switch. The catalog knows which version is live."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.schema import CreateTable

from aggregates.base import DomainEvent
from projections.rows import Rows

Handler = Callable[[Any, "Rows"], None]
TableDefs = Callable[[MetaData, str], dict[str, Table]]


@dataclass
class Projection:
    """Events in, rows out. ``tables`` defines the tables under a name prefix."""

    name: str
    tables: TableDefs
    handlers: dict[type[DomainEvent], list[Handler]] = field(default_factory=dict)
    every: list[Handler] = field(default_factory=list)

    def on(self, *event_classes: type[DomainEvent]) -> Callable[[Handler], Handler]:
        def register(func: Handler) -> Handler:
            for cls in event_classes:
                self.handlers.setdefault(cls, []).append(func)
            return func

        return register

    def on_every(self, func: Handler) -> Handler:
        self.every.append(func)
        return func

    def apply(self, e: DomainEvent, rows: Rows) -> None:
        for handler in self.handlers.get(type(e), ()):
            handler(e, rows)
        for handler in self.every:
            handler(e, rows)


meta = MetaData()
tracking = Table(
    "cpty_tracking",
    meta,
    Column("key", String(120), primary_key=True),
    Column("position", BigInteger, nullable=False),
)
active_versions = Table(
    "cpty_projection_versions",
    meta,
    Column("name", String(80), primary_key=True),
    Column("version", Integer, nullable=False),
    # The table definitions the live version was built with: code that defines them otherwise
    # starts a new version (built from the log) instead of writing into tables of another shape.
    Column("fingerprint", String(64), nullable=False, server_default=""),
)

# The events a process manager failed on, tried ``MAX_ATTEMPTS`` times and passed over: shown in
# /v1/admin/projections and /metrics, and kept, because their effects never happened.
failures = Table(
    "cpty_process_failures",
    meta,
    Column("processor", String(120), primary_key=True),
    Column("position", BigInteger, primary_key=True),
    Column("event_type", String(200), nullable=False),
    Column("error", String(2000), nullable=False),
)


_fingerprints: dict[tuple[TableDefs, str, str], str] = {}


def tracking_key(name: str, version: int) -> str:
    return f"{name}@v{version}"


class Catalog:
    """The projections, their live versions, and their tables in this database."""

    def __init__(self, engine: Engine, projections: list[Projection]) -> None:
        self.engine = engine
        self.projections = {p.name: p for p in projections}
        self._lock = threading.Lock()
        self._tables: dict[tuple[str, int], dict[str, Table]] = {}
        self._statements: dict[tuple[str, int], dict[Any, Any]] = {}
        self._versions: dict[str, int] = {}
        for attempt in range(5):
            try:
                self._open()
                return
            except DBAPIError:
                # Another process is creating the same tables or rows right now: look again.
                if attempt == 4:
                    raise
                time.sleep(0.1 * (attempt + 1))

    def _open(self) -> None:
        engine = self.engine
        meta.create_all(engine)
        with engine.begin() as conn:
            rows = conn.execute(
                select(active_versions.c.name, active_versions.c.version, active_versions.c.fingerprint)
            )
            known = {name: (version, fingerprint) for name, version, fingerprint in rows.all()}
            stale = []
            for name in self.projections:
                fingerprint = self.fingerprint(name)
                if name not in known:
                    conn.execute(active_versions.insert().values(name=name, version=1, fingerprint=fingerprint))
                    known[name] = (1, fingerprint)
                elif known[name][1] != fingerprint:
                    stale.append((name, known[name][0]))
                    known[name] = (known[name][0] + 1, fingerprint)
                    conn.execute(
                        active_versions.update()
                        .where(active_versions.c.name == name)
                        .values(version=known[name][0], fingerprint=fingerprint)
                    )
            self._versions = {n: known[n][0] for n in self.projections}
        for name, version in self._versions.items():
            self.ensure(name, version)
        for name, version in stale:
            self.drop(name, version)

    def fingerprint(self, name: str) -> str:
        # Remembered per table definitions and dialect: a process that opens many catalogs (the
        # tests, a CLI run after a serve) compiles each definition's DDL once.
        defs, dialect = self.projections[name].tables, self.engine.dialect
        key = (defs, name, dialect.name)
        if key not in _fingerprints:
            tables = defs(MetaData(), f"{name}_v0_")
            ddl = "\n".join(str(CreateTable(t).compile(dialect=dialect)) for t in tables.values())
            _fingerprints[key] = hashlib.sha256(ddl.encode()).hexdigest()
        return _fingerprints[key]

    def table_set(self, name: str, version: int) -> dict[str, Table]:
        with self._lock:
            key = (name, version)
            if key not in self._tables:
                self._tables[key] = self.projections[name].tables(MetaData(), f"{name}_v{version}_")
            return self._tables[key]

    def statements(self, name: str, version: int) -> dict[Any, Any]:
        """The reusable statements of one table set (see ``Rows``)."""
        with self._lock:
            return self._statements.setdefault((name, version), {})

    def ensure(self, name: str, version: int) -> dict[str, Table]:
        """Creates the table set and its tracking row if they do not exist yet."""
        tables = self.table_set(name, version)
        next(iter(tables.values())).metadata.create_all(self.engine)
        with self.engine.begin() as conn:
            key = tracking_key(name, version)
            if conn.execute(select(tracking.c.position).where(tracking.c.key == key)).first() is None:
                conn.execute(tracking.insert().values(key=key, position=0))
        return tables

    def version(self, name: str) -> int:
        return self._versions[name]

    def refresh(self) -> None:
        """Re-reads the live versions (another process may have switched after a rebuild)."""
        with self.engine.connect() as conn:
            rows = dict(conn.execute(select(active_versions.c.name, active_versions.c.version)).all())
        self._versions.update({n: v for n, v in rows.items() if n in self.projections})

    def tables(self, name: str) -> dict[str, Table]:
        """The live tables of projection ``name`` (what queries read)."""
        return self.table_set(name, self._versions[name])

    def table(self, name: str, table: str) -> Table:
        return self.tables(name)[table]

    def switch(self, conn: Connection, name: str, version: int) -> None:
        conn.execute(active_versions.update().where(active_versions.c.name == name).values(version=version))
        self._versions[name] = version

    def drop(self, name: str, version: int) -> None:
        tables = self.table_set(name, version)
        next(iter(tables.values())).metadata.drop_all(self.engine)
        with self.engine.begin() as conn:
            conn.execute(tracking.delete().where(tracking.c.key == tracking_key(name, version)))
        with self._lock:
            self._tables.pop((name, version), None)
            self._statements.pop((name, version), None)

    def position(self, key: str) -> int:
        with self.engine.connect() as conn:
            value = conn.execute(select(tracking.c.position).where(tracking.c.key == key)).scalar()
        return int(value or 0)

    def positions(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return {k: int(p) for k, p in conn.execute(select(tracking.c.key, tracking.c.position)).all()}
