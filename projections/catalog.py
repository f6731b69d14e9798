"""Read models: each projection owns a versioned set of tables, so a rebuild can fill a new set
while the old one serves, then switch. The catalog knows which version is live."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, select
from sqlalchemy.engine import Connection, Engine

from aggregates.base import DomainEvent

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
)


def tracking_key(name: str, version: int) -> str:
    return f"{name}@v{version}"


class Rows:
    """A projection's tables inside one page transaction."""

    def __init__(self, conn: Connection, tables: dict[str, Table]) -> None:
        self.conn = conn
        self.tables = tables
        # The log position of the event being applied (a stable order key for rows).
        self.position = 0

    def insert(self, table: str, **values: Any) -> None:
        self.conn.execute(self.tables[table].insert().values(**values))

    def update(self, table: str, where: dict[str, Any], **values: Any) -> int:
        t = self.tables[table]
        stmt = t.update().values(**values)
        for column, value in where.items():
            stmt = stmt.where(t.c[column] == value)
        return self.conn.execute(stmt).rowcount

    def upsert(self, table: str, key: dict[str, Any], **values: Any) -> None:
        if not self.update(table, key, **values):
            self.insert(table, **key, **values)

    def delete(self, table: str, **where: Any) -> None:
        t = self.tables[table]
        stmt = t.delete()
        for column, value in where.items():
            stmt = stmt.where(t.c[column] == value)
        self.conn.execute(stmt)

    def get(self, table: str, **where: Any) -> dict[str, Any] | None:
        t = self.tables[table]
        stmt = select(t)
        for column, value in where.items():
            stmt = stmt.where(t.c[column] == value)
        row = self.conn.execute(stmt.limit(1)).mappings().first()
        return dict(row) if row else None

    def all(self, table: str, **where: Any) -> list[dict[str, Any]]:
        t = self.tables[table]
        stmt = select(t)
        for column, value in where.items():
            stmt = stmt.where(t.c[column] == value)
        return [dict(r) for r in self.conn.execute(stmt).mappings()]


class Catalog:
    """The projections, their live versions, and their tables in this database."""

    def __init__(self, engine: Engine, projections: list[Projection]) -> None:
        self.engine = engine
        self.projections = {p.name: p for p in projections}
        self._lock = threading.Lock()
        self._tables: dict[tuple[str, int], dict[str, Table]] = {}
        self._versions: dict[str, int] = {}
        meta.create_all(engine)
        with engine.begin() as conn:
            known = dict(conn.execute(select(active_versions.c.name, active_versions.c.version)).all())
            for name in self.projections:
                if name not in known:
                    conn.execute(active_versions.insert().values(name=name, version=1))
                    known[name] = 1
            self._versions = {n: known[n] for n in self.projections}
        for name, version in self._versions.items():
            self.ensure(name, version)

    def table_set(self, name: str, version: int) -> dict[str, Table]:
        with self._lock:
            key = (name, version)
            if key not in self._tables:
                self._tables[key] = self.projections[name].tables(MetaData(), f"{name}_v{version}_")
            return self._tables[key]

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

    def position(self, key: str) -> int:
        with self.engine.connect() as conn:
            value = conn.execute(select(tracking.c.position).where(tracking.c.key == key)).scalar()
        return int(value or 0)

    def positions(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return {k: int(p) for k, p in conn.execute(select(tracking.c.key, tracking.c.position)).all()}
