"""Reading many streams at once: the latest snapshot of each and the events after it, in two
queries per ``PAGE`` streams whatever their number, instead of two (or one fast-forward) per
stream. What a command that decides about many aggregates at once (a collection run's chunk of
partners, a mailing's batch of recipients) loads them with."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

# Streams per query pair: well inside SQLite's bound parameters, and a modest IN list.
PAGE = 500


def read_streams(app: Any, ids: Sequence[UUID], postgres: bool) -> dict[UUID, list[StoredEvent]]:
    """Each stream's stored events to fold, in order: its latest snapshot (if any), then the
    events after it. A stream without events is left out."""
    found: dict[UUID, list[StoredEvent]] = {}
    read = _postgres if postgres else _sqlite
    for start in range(0, len(ids), PAGE):
        page = list(ids[start : start + PAGE])
        snapshots, events = read(app, page)
        for stored in [*snapshots, *events]:
            found.setdefault(_uuid(stored.originator_id), []).append(stored)
    for stream in found.values():
        stream.sort(key=lambda stored: stored.originator_version)  # a snapshot comes before the events after it
    return found


def _uuid(value: UUID | str) -> UUID:
    return value if isinstance(value, UUID) else UUID(value)


def _stored(row: Any, originator_id: UUID | str) -> StoredEvent:
    return StoredEvent(
        originator_id=originator_id,
        originator_version=row["originator_version"],
        topic=row["topic"],
        state=bytes(row["state"]),
    )


def _sqlite(app: Any, ids: list[UUID]) -> tuple[list[StoredEvent], list[StoredEvent]]:
    recorder, snapshots = app.recorder, app.snapshots.recorder if app.snapshots else None
    marks = ",".join("?" * len(ids))
    by_hex = {i.hex: i for i in ids}  # the ids as stored: no UUID to parse per row
    found: list[StoredEvent] = []
    after = dict.fromkeys(ids, 0)
    if snapshots is not None:
        table = snapshots.events_table_name
        query = (
            f"SELECT s.originator_id, s.originator_version, s.topic, s.state FROM {table} s JOIN "
            f"(SELECT originator_id, MAX(originator_version) AS v FROM {table} WHERE originator_id IN ({marks}) "
            "GROUP BY originator_id) m ON s.originator_id = m.originator_id AND s.originator_version = m.v"
        )
        with snapshots.datastore.transaction(commit=False) as c:
            c.execute(query, [i.hex for i in ids])
            found = [_stored(row, by_hex[row["originator_id"]]) for row in c.fetchall()]
        for snapshot in found:
            after[_uuid(snapshot.originator_id)] = snapshot.originator_version
    pairs = ",".join("(?,?)" for _ in ids)
    query = (
        f"WITH w(id, v) AS (VALUES {pairs}) SELECT e.originator_id, e.originator_version, e.topic, e.state "
        f"FROM w JOIN {recorder.events_table_name} e ON e.originator_id = w.id AND e.originator_version > w.v"
    )
    with recorder.datastore.transaction(commit=False) as c:
        c.execute(query, [p for i, v in after.items() for p in (i.hex, v)])
        events = [_stored(row, by_hex[row["originator_id"]]) for row in c.fetchall()]
    return found, events


def _postgres(app: Any, ids: list[UUID]) -> tuple[list[StoredEvent], list[StoredEvent]]:
    from psycopg.sql import SQL, Identifier

    recorder, snapshots = app.recorder, app.snapshots.recorder if app.snapshots else None
    datastore = recorder.datastore
    key = [i if datastore.originator_id_type == "uuid" else str(i) for i in ids]
    array = SQL("%s::uuid[]" if datastore.originator_id_type == "uuid" else "%s::text[]")
    found: list[StoredEvent] = []
    after = dict.fromkeys(ids, 0)
    with datastore.get_connection() as conn, conn.cursor() as curs:
        if snapshots is not None:
            query = SQL(
                "SELECT DISTINCT ON (originator_id) originator_id, originator_version, topic, state "
                "FROM {schema}.{table} WHERE originator_id = ANY({ids}) ORDER BY originator_id, originator_version DESC"
            ).format(schema=Identifier(datastore.schema), table=Identifier(snapshots.events_table_name), ids=array)
            curs.execute(query, [key])
            found = [_stored(row, row["originator_id"]) for row in curs.fetchall()]
            for snapshot in found:
                after[_uuid(snapshot.originator_id)] = snapshot.originator_version
        query = SQL(
            "SELECT e.originator_id, e.originator_version, e.topic, e.state "
            "FROM unnest({ids}, %s::bigint[]) AS w(id, v) "
            "JOIN {schema}.{table} e ON e.originator_id = w.id AND e.originator_version > w.v"
        ).format(schema=Identifier(datastore.schema), table=Identifier(recorder.events_table_name), ids=array)
        curs.execute(query, [key, list(after.values())])
        events = [_stored(row, row["originator_id"]) for row in curs.fetchall()]
    return found, events


def read_in_order(app: Any, ids: Sequence[UUID], postgres: bool) -> list[StoredEvent]:
    """Every stored event of the streams ``ids`` (no snapshots), in the order of the log."""
    rows: list[tuple[int, StoredEvent]] = []
    for start in range(0, len(ids), PAGE):
        page = list(ids[start : start + PAGE])
        rows += _postgres_ordered(app, page) if postgres else _sqlite_ordered(app, page)
    rows.sort(key=lambda row: row[0])
    return [stored for _, stored in rows]


def _sqlite_ordered(app: Any, ids: list[UUID]) -> list[tuple[int, StoredEvent]]:
    recorder = app.recorder
    by_hex = {i.hex: i for i in ids}
    query = (
        f"SELECT rowid, originator_id, originator_version, topic, state FROM {recorder.events_table_name} "
        f"WHERE originator_id IN ({','.join('?' * len(ids))})"
    )
    with recorder.datastore.transaction(commit=False) as c:
        c.execute(query, list(by_hex))
        return [(row["rowid"], _stored(row, by_hex[row["originator_id"]])) for row in c.fetchall()]


def _postgres_ordered(app: Any, ids: list[UUID]) -> list[tuple[int, StoredEvent]]:
    from psycopg.sql import SQL, Identifier

    recorder = app.recorder
    datastore = recorder.datastore
    key = [i if datastore.originator_id_type == "uuid" else str(i) for i in ids]
    array = SQL("%s::uuid[]" if datastore.originator_id_type == "uuid" else "%s::text[]")
    query = SQL(
        "SELECT notification_id, originator_id, originator_version, topic, state "
        "FROM {schema}.{table} WHERE originator_id = ANY({ids})"
    ).format(schema=Identifier(datastore.schema), table=Identifier(recorder.events_table_name), ids=array)
    with datastore.get_connection() as conn, conn.cursor() as curs:
        curs.execute(query, [key])
        return [(row["notification_id"], _stored(row, row["originator_id"])) for row in curs.fetchall()]
