"""A projection's writes inside one page transaction: each row a page touches is read at most once
and written once, in a few statements per table, whatever the number of events that touch it."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import BindParameter, Boolean, ColumnClause, Table, Text, bindparam, cast, func, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.type_api import TypeEngine

Normalize = Callable[[Any], Any]
_UNKNOWN = object()  # a column whose value an INSERT leaves to the database (a computed default)
_CLEAN, _NEW, _CHANGED = 0, 1, 2  # a cached row as stored, not stored yet, stored but changed since
IN_LIST = 500  # values per DELETE ... IN (...)


class _Cached:
    __slots__ = ("row", "state")

    def __init__(self, row: dict[str, Any] | None, state: int = _CLEAN) -> None:
        self.row = row  # None: the page knows that no such row exists
        self.state = state


class _Columns:
    """What ``Rows`` needs to know about a table, worked out once per table set."""

    def __init__(self, table: Table, dialect: Dialect) -> None:
        self.table = table
        self.pk = tuple(c.name for c in table.primary_key)
        self.normalize = {c.name: _normalizer(c.type, dialect) for c in table.columns}
        self.fill: dict[str, Any] = {}
        for c in table.columns:
            default = c.default
            if c.server_default is not None or (default is not None and not getattr(default, "is_scalar", False)):
                self.fill[c.name] = _UNKNOWN
            else:
                self.fill[c.name] = default.arg if default is not None else None  # type: ignore[attr-defined]


def _normalizer(type_: TypeEngine[Any], dialect: Dialect) -> Normalize | None:
    """A value as the database gives it back, so that a row the page wrote reads like a stored
    one (``Decimal('5.00')`` for a NUMERIC(18, 2), a naive datetime from SQLite, ...)."""
    impl = type_.dialect_impl(dialect)
    if dialect.name == "sqlite":
        bind = impl.bind_processor(dialect)
        result = impl.result_processor(dialect, None)
        if bind and result:
            return lambda v: None if v is None else result(bind(v))
        return bind or result
    if isinstance(impl, Boolean):
        return lambda v: None if v is None else bool(v)
    scale = getattr(impl, "scale", None)
    if getattr(impl, "asdecimal", False):
        quantum = Decimal(1).scaleb(-scale) if scale is not None else None

        def decimal(v: Any) -> Any:
            if v is None:
                return None
            d = Decimal(str(v)) if isinstance(v, float) else Decimal(v)
            return d.quantize(quantum, ROUND_HALF_UP) if quantum is not None else d

        return decimal
    return None


class _Table:
    """What the page did to one table and has not sent yet.

    Deletes are sent before inserts: a delete cancels the pending inserts it would remove, so the
    ones left do not match it and the order between them does not matter. Rows read or written by
    primary key are kept in ``cached`` and written once at the end (new ones with INSERT, changed
    ones with an upsert)."""

    __slots__ = ("cached", "changed", "columns", "deletes", "indexes", "inserts", "unsure")

    def __init__(self, columns: _Columns, cache: bool) -> None:
        self.columns = columns
        self.deletes: list[tuple[Any, tuple[Any, ...]]] = []  # (shape, the values of its non-NULL columns)
        self.inserts: list[dict[str, Any] | None] = []  # None: cancelled by a later delete
        # Pending inserts by the values of the columns that deletes filter on.
        self.indexes: dict[tuple[str, ...], dict[tuple[Any, ...], list[int]]] = {}
        self.unsure: set[tuple[str, ...]] = set()  # indexes over inserts that lack one of the columns
        self.cached: dict[tuple[Any, ...], _Cached] | None = {} if cache else None
        self.changed: dict[tuple[Any, ...], _Cached] = {}

    def key(self, where: dict[str, Any]) -> tuple[Any, ...] | None:
        """The normalised primary key if ``where`` names all of it, else None."""
        pk = self.columns.pk
        if not pk or len(where) < len(pk):
            return None
        key = []
        for column in pk:
            value = where.get(column)
            if value is None:
                return None
            normalize = self.columns.normalize[column]
            key.append(normalize(value) if normalize else value)
        return tuple(key)

    def matches(self, row: dict[str, Any], where: dict[str, Any]) -> bool:
        for column, value in where.items():
            if value is None:
                if row[column] is not None:
                    return False
            else:
                normalize = self.columns.normalize[column]
                if row[column] != (normalize(value) if normalize else value):
                    return False
        return True

    def index_last(self, values: dict[str, Any]) -> None:
        """Adds the last pending insert, ``values``, to the indexes."""
        position = len(self.inserts) - 1
        for columns, index in self.indexes.items():
            self._index(columns, index, position, values)

    def _index(
        self, columns: tuple[str, ...], index: dict[tuple[Any, ...], list[int]], position: int, values: dict[str, Any]
    ) -> None:
        try:
            index.setdefault(tuple([values[c] for c in columns]), []).append(position)
        except (KeyError, TypeError):  # a column left to its default, or an unhashable value
            self.unsure.add(columns)

    def cancel_inserts(self, where: dict[str, Any]) -> bool:
        """Drops the pending inserts that a delete by ``where`` removes; False if it cannot tell."""
        columns = tuple(where)
        index = self.indexes.get(columns)
        if index is None:
            index = self.indexes[columns] = {}
            for position, values in enumerate(self.inserts):
                if values is not None:
                    self._index(columns, index, position, values)
        if columns in self.unsure:
            return False
        try:
            positions = index.pop(tuple(where.values()), [])
        except TypeError:  # an unhashable value
            return False
        for position in positions:
            self.inserts[position] = None
        return True


class Rows:
    """A projection's tables inside one page transaction.

    Statements are built once per shape (table, columns, which keys are NULL) and reused with
    bound parameters, so SQLAlchemy compiles each shape once. Writes wait for the end of the page
    (or for a read of their table) and go out as one executemany per table and shape:

    - a row read or changed by its primary key is kept for the rest of the page, so later events
      read it from memory, and it is written once (INSERT if the page created it, else an upsert);
    - a delete is sent before the table's inserts and cancels the pending inserts it would remove;
    - any other statement on a table, and ``conn``, send that table's (or every table's) writes
      first, so reads and writes see every earlier change in order.

    A table is kept by key once the projection reads or updates it by key, from then on in every
    page of the table set (``statements`` remembers it)."""

    def __init__(self, conn: Connection, tables: dict[str, Table], statements: dict[Any, Any] | None = None) -> None:
        self._conn = conn
        self.tables = tables
        self._statements: dict[Any, Any] = {} if statements is None else statements
        self._keyed: set[str] = self._statements.setdefault("keyed tables", set())
        self._pending: dict[str, _Table] = {}
        # The log position of the event being applied (a stable order key for rows).
        self.position = 0

    @property
    def conn(self) -> Connection:
        self.flush()
        for pending in self._pending.values():
            if pending.cached is not None:
                pending.cached.clear()  # raw SQL may change anything
        return self._conn

    # -- the pending work --------------------------------------------------------------------

    def _table(self, table: str) -> _Table:
        pending = self._pending.get(table)
        if pending is None:
            key = ("columns", table)
            columns = self._statements.get(key)
            if columns is None:
                columns = self._statements[key] = _Columns(self.tables[table], self._conn.dialect)
            pending = self._pending[table] = _Table(columns, table in self._keyed)
        return pending

    def _keep_by_key(self, table: str, pending: _Table) -> dict[tuple[Any, ...], _Cached]:
        if pending.cached is None:
            self._keyed.add(table)
            pending.cached = {}
        return pending.cached

    def flush(self) -> None:
        """Sends every pending write."""
        for table, pending in self._pending.items():
            self._send(table, pending)
            self._write(table, pending)

    def _flush(self, table: str) -> _Table:
        pending = self._table(table)
        self._send(table, pending)
        self._write(table, pending)
        return pending

    def _send(self, table: str, pending: _Table) -> None:
        """Sends the table's deletes, then its pending inserts."""
        deletes: dict[Any, list[tuple[Any, ...]]] = {}
        for shape, where in pending.deletes:  # deletes commute: one statement per shape
            deletes.setdefault(shape, []).append(where)
        pending.deletes = []
        for shape, keys in deletes.items():
            stmt = self._delete(table, shape)
            if not keys[0]:  # only IS NULL conditions, or none
                self._conn.execute(stmt)
                continue
            listed: list[Any] = [k[0] for k in keys] if len(keys[0]) == 1 else keys
            for start in range(0, len(listed), IN_LIST):
                self._conn.execute(stmt, {"keys": listed[start : start + IN_LIST]})
        inserts = [values for values in pending.inserts if values is not None]
        pending.inserts = []
        pending.indexes.clear()
        pending.unsure.clear()
        for _, params in _runs([(tuple(values), values) for values in inserts]):
            self._insert(table, params)

    def _write(self, table: str, pending: _Table) -> None:
        """Writes the kept rows that the page created or changed, each once."""
        if not pending.changed:
            return
        new: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        for entry in pending.changed.values():
            if entry.row is not None:
                (new if entry.state == _NEW else changed).append(entry.row)
            entry.state = _CLEAN
        pending.changed = {}
        if new:
            self._insert(table, new)
        if changed:
            self._insert(table, changed, upsert=True)

    def _entry(self, table: str, pending: _Table, key: tuple[Any, ...]) -> _Cached:
        """The kept row with this primary key, read from the table if the page has not seen it."""
        cached = self._keep_by_key(table, pending)
        entry = cached.get(key)
        if entry is None:
            if pending.deletes or pending.inserts:
                self._send(table, pending)
            where = dict(zip(pending.columns.pk, key, strict=True))
            row = self._select(table, where, one=True).first()
            entry = cached[key] = _Cached(dict(row) if row else None)
        return entry

    # -- statements ----------------------------------------------------------------------------

    def _insert(self, table: str, rows: list[dict[str, Any]], upsert: bool = False) -> None:
        """INSERTs (or upserts: INSERT ... ON CONFLICT DO UPDATE) rows that all name the same columns.
        On PostgreSQL several rows go as one statement that reads them from one JSON parameter
        (``json_to_recordset``): an executemany would run one statement per row, through the
        driver's pipeline and on the server, and arrays cost the driver an escape per value."""
        columns = tuple(rows[0])
        bulk = self._conn.dialect.name == "postgresql" and len(rows) > 1
        key = ("insert", table, columns if bulk or upsert else None, bulk, upsert)
        stmt = self._statements.get(key)
        if stmt is None:
            stmt = self._statements[key] = self._insert_statement(self.tables[table], columns, bulk, upsert)
        if bulk:
            self._conn.execute(stmt, {"rows": json.dumps(rows, default=str)})
        else:
            self._conn.execute(stmt, rows if len(rows) > 1 else rows[0])

    def _insert_statement(self, t: Table, columns: tuple[str, ...], bulk: bool, upsert: bool) -> Any:
        stmt: Any = (postgresql if self._conn.dialect.name == "postgresql" else sqlite).insert(t)
        if bulk:
            source = (
                func.json_to_recordset(cast(bindparam("rows", type_=Text), postgresql.JSON))
                .table_valued(*(ColumnClause(c, t.c[c].type) for c in columns))
                .render_derived(with_types=True)
            )
            stmt = stmt.from_select(columns, select(*source.c))
        if upsert:
            pk = [c.name for c in t.primary_key]
            rest = {c: stmt.excluded[c] for c in columns if c not in pk}
            if rest:
                stmt = stmt.on_conflict_do_update(index_elements=pk, set_=rest)
            else:
                stmt = stmt.on_conflict_do_nothing(index_elements=pk)
        return stmt

    def _delete(self, table: str, shape: tuple[tuple[str, bool], ...]) -> Any:
        """A DELETE of the rows whose columns hold any of a list of values (``keys``)."""
        key = ("delete", table, shape)
        stmt = self._statements.get(key)
        if stmt is None:
            t = self.tables[table]
            stmt = t.delete().where(*(t.c[column].is_(None) for column, is_null in shape if is_null))
            columns = [t.c[column] for column, is_null in shape if not is_null]
            listed: BindParameter[Any] = bindparam("keys", expanding=True)
            if len(columns) == 1:
                stmt = stmt.where(columns[0].in_(listed))
            elif columns:
                stmt = stmt.where(tuple_(*columns).in_(listed))
            self._statements[key] = stmt
        return stmt

    def _select(self, table: str, where: dict[str, Any], one: bool) -> Any:
        key = ("select", table, _shape(where), one)
        stmt = self._statements.get(key)
        if stmt is None:
            t = self.tables[table]
            stmt = _where(t, select(t), _shape(where))
            self._statements[key] = stmt = stmt.limit(1) if one else stmt
        return self._conn.execute(stmt, _where_params(where)).mappings()

    # -- what projections call -----------------------------------------------------------------

    def insert(self, table: str, **values: Any) -> None:
        pending = self._pending.get(table) or self._table(table)
        if pending.cached is not None:
            key = pending.key(values)
            entry = pending.cached.get(key) if key is not None else None
            if key is not None and (entry is None or entry.row is None):
                row = self._complete(pending.columns, values)
                if row is not None:
                    pending.cached[key] = pending.changed[key] = _Cached(row, _NEW)
                    return
                pending.cached.pop(key, None)  # the database computes a part: read it back if asked
        # A duplicate goes to the database too, which refuses it at the end of the page.
        pending.inserts.append(values)
        if pending.indexes:
            pending.index_last(values)

    @staticmethod
    def _complete(columns: _Columns, values: dict[str, Any]) -> dict[str, Any] | None:
        """The whole row an INSERT of ``values`` stores, or None if the database would compute a part."""
        row = {}
        for column, fill in columns.fill.items():
            if column in values:
                value = values[column]
                normalize = columns.normalize[column]
                row[column] = normalize(value) if normalize and value is not None else value
            elif fill is _UNKNOWN:
                return None
            else:
                row[column] = fill
        return None if any(column not in row for column in values) else row

    def update(self, table: str, where: dict[str, Any], **values: Any) -> int:
        pending = self._table(table)
        key = pending.key(where)
        if any(column in values for column in pending.columns.pk):
            key = None  # the row moves to another key: not one the page keeps
        entry = pending.cached.get(key) if key is not None and pending.cached is not None else None
        if key is not None and entry is not None:
            if entry.row is None or (len(where) > len(key) and not pending.matches(entry.row, where)):
                return 0
            normalize = pending.columns.normalize
            for column, value in values.items():
                f = normalize[column]
                entry.row[column] = f(value) if f and value is not None else value
            if entry.state == _CLEAN:
                entry.state = _CHANGED
            pending.changed[key] = entry
            return 1
        if key is not None:
            # A row the page has not read: one UPDATE, as cheap as reading it (a later read in
            # the page reads it once, changed). Only the table's deletes and inserts go first.
            self._send(table, pending)
        else:
            self._flush(table)
        shape_key = ("update", table, _shape(where), tuple(values))
        stmt = self._statements.get(shape_key)
        if stmt is None:
            t = self.tables[table]
            sets = {column: bindparam(f"v_{column}", type_=t.c[column].type) for column in values}
            stmt = self._statements[shape_key] = _where(t, t.update().values(sets), _shape(where))
        params = {f"v_{column}": value for column, value in values.items()}
        count = int(self._conn.execute(stmt, {**params, **_where_params(where)}).rowcount)
        if key is None and pending.cached:
            pending.cached.clear()  # the statement may have changed any kept row
        return count

    def upsert(self, table: str, key: dict[str, Any], **values: Any) -> None:
        if not self.update(table, key, **values):
            self.insert(table, **key, **values)

    def delete(self, table: str, **where: Any) -> None:
        pending = self._table(table)
        if pending.inserts and not pending.cancel_inserts(where):
            self._send(table, pending)
        if pending.cached:
            key = pending.key(where)
            keys = [key] if key is not None else list(pending.cached)
            for k in keys:
                entry = pending.cached.get(k)
                if entry is None or entry.row is None or not pending.matches(entry.row, where):
                    continue
                if entry.state == _CHANGED:
                    # Stored with other values than those matched here: delete it by its key.
                    pending.deletes.append((tuple((column, False) for column in pending.columns.pk), k))
                entry.row = None
                entry.state = _CLEAN
                pending.changed.pop(k, None)
        pending.deletes.append((_shape(where), tuple(v for v in where.values() if v is not None)))

    def get(self, table: str, **where: Any) -> dict[str, Any] | None:
        pending = self._table(table)
        key = pending.key(where)
        if key is not None:
            row = self._entry(table, pending, key).row
            if row is None or (len(where) > len(key) and not pending.matches(row, where)):
                return None
            return dict(row)
        self._flush(table)
        found = self._select(table, where, one=True).first()
        return dict(found) if found else None

    def all(self, table: str, **where: Any) -> list[dict[str, Any]]:
        self._flush(table)
        return [dict(r) for r in self._select(table, where, one=False)]


def _runs(items: list[tuple[Any, dict[str, Any]]]) -> list[tuple[Any, list[dict[str, Any]]]]:
    """Consecutive items of the same shape, as (shape, their parameters)."""
    runs: list[tuple[Any, list[dict[str, Any]]]] = []
    for shape, params in items:
        if runs and runs[-1][0] == shape:
            runs[-1][1].append(params)
        else:
            runs.append((shape, [params]))
    return runs


def _shape(where: dict[str, Any]) -> tuple[tuple[str, bool], ...]:
    return tuple((column, value is None) for column, value in where.items())


def _where_params(where: dict[str, Any]) -> dict[str, Any]:
    return {f"w_{column}": value for column, value in where.items() if value is not None}


def _where(t: Table, stmt: Any, shape: tuple[tuple[str, bool], ...]) -> Any:
    for column, is_null in shape:
        if is_null:
            stmt = stmt.where(t.c[column].is_(None))
        else:
            stmt = stmt.where(t.c[column] == bindparam(f"w_{column}", type_=t.c[column].type))
    return stmt
