"""The event store: one ``eventsourcing`` application over SQLite (default) or PostgreSQL.

Events are pydantic models, stored as JSON by orjson under their explicit versioned topic. A
``class_version`` above 1 is written into the stored state, and reading chains the event class's
``upcast_vN_vN+1`` functions, so a stored event is never edited.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, cast
from urllib.parse import unquote, urlparse
from uuid import UUID

import orjson
from eventsourcing.application import AggregateNotFoundError, Application, LRUCache
from eventsourcing.persistence import (
    IntegrityError,
    Mapper,
    Notification,
    StoredEvent,
    Transcoder,
)

from aggregates.base import Aggregate, DomainEvent, event_class
from aggregates.errors import NotFound
from aggregates.partner_erasure import PersonalDataErased
from commands.context import ConcurrencyConflict
from projections.log import LoggedEvent
from services.adapters.batch_reads import read_in_order, read_streams
from services.adapters.group_commit import GroupCommitter, Superseded, continuation
from services.adapters.personal_data import KeyRing, PersonalCodec, key_table
from services.adapters.streams import StreamIndex
from services.adapters.units import Units


class OrjsonTranscoder(Transcoder):
    def encode(self, obj: Any) -> bytes:
        return orjson.dumps(obj)

    def decode(self, data: bytes) -> Any:
        return orjson.loads(data)


def decode_state(topic: str, state: dict[str, Any]) -> type[DomainEvent]:
    """Upcasts ``state`` in place to the current version of its event class."""
    cls = event_class(topic)
    version = state.pop("class_version", 1)
    while version < cls.class_version:
        getattr(cls, f"upcast_v{version}_v{version + 1}")(state)
        version += 1
    return cls


class PydanticMapper(Mapper[UUID]):
    # Encrypts and decrypts the personal values of the events (``personal_data``).
    personal: PersonalCodec | None = None

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        e = cast(DomainEvent, domain_event)
        state = e.model_dump(mode="json", exclude={"originator_id", "originator_version"})
        if self.personal is not None:
            self.personal.encrypt(type(e), state, str(e.originator_id))
        if type(e).class_version > 1:
            state["class_version"] = type(e).class_version
        data = self.transcoder.encode(state)
        if self.compressor:
            data = self.compressor.compress(data)
        if self.cipher:
            data = self.cipher.encrypt(data)
        return StoredEvent(
            originator_id=e.originator_id,
            originator_version=e.originator_version,
            topic=type(e).TOPIC,
            state=data,
        )

    def decode_raw(self, topic: str, data: bytes) -> dict[str, Any]:
        if self.cipher:
            data = self.cipher.decrypt(data)
        if self.compressor:
            data = self.compressor.decompress(data)
        return cast(dict[str, Any], self.transcoder.decode(data))

    def to_domain_event(self, stored: StoredEvent) -> Any:
        state = self.decode_raw(stored.topic, stored.state)
        cls = decode_state(stored.topic, state)
        if self.personal is not None:
            self.personal.decrypt(cls, state, str(stored.originator_id))
        return cls.model_validate(
            {**state, "originator_id": stored.originator_id, "originator_version": stored.originator_version}
        )


class CounterpartyLog(Application[UUID]):
    name = "counterparty"
    is_snapshotting_enabled = True

    def construct_mapper(self) -> Mapper[UUID]:
        return self.factory.mapper(transcoder=OrjsonTranscoder(), mapper_class=PydanticMapper)


def project(aggregate: Any, events: Iterable[Any]) -> Any:
    """Folds events into an aggregate: the library's ``project_aggregate`` without its
    ``isinstance`` check against a runtime-checkable Protocol, which on Python 3.11 costs about
    30 µs per event, most of an aggregate load (every one of our events has ``mutate``)."""
    for e in events:
        aggregate = e.mutate(aggregate)
    return aggregate


# An LRU cache of loaded aggregates that is fast-forwarded from the log on every load (the
# library's AGGREGATE_CACHE_FASTFORWARD, on by default) and deep-copied for each command: a load
# reads only the events recorded since, not the whole stream. Without it, a long stream such as
# the partner number series (one event per registration) is replayed in full by every command.
AGGREGATE_CACHE = {"AGGREGATE_CACHE_MAXSIZE": "2000", "AGGREGATE_CACHE_FASTFORWARD": "y"}


def store_env(database_url: str, pool_size: int = 8) -> dict[str, str]:
    """The ``eventsourcing`` environment for a ``sqlite:///…`` or ``postgresql://…`` URL; on
    PostgreSQL a pool of ``pool_size // 2`` connections kept open and up to ``pool_size`` more."""
    return {**_persistence_env(database_url, pool_size), **AGGREGATE_CACHE}


def _persistence_env(database_url: str, pool_size: int) -> dict[str, str]:
    url = urlparse(database_url)
    if url.scheme == "sqlite":
        # SQLAlchemy's convention: sqlite:///relative.db and sqlite:////absolute.db
        path = database_url.split(":///", 1)[1] if ":///" in database_url else ":memory:"
        if path != ":memory:" and not path.startswith("file:"):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": path,
            "SQLITE_LOCK_TIMEOUT": "30",
        }
    if url.scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": unquote(url.path.lstrip("/")) or "postgres",
            "POSTGRES_HOST": url.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(url.port or 5432),
            "POSTGRES_USER": unquote(url.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(url.password or ""),
            "POSTGRES_POOL_SIZE": str(max(1, pool_size // 2)),
            "POSTGRES_MAX_OVERFLOW": str(pool_size),
            "POSTGRES_LOCK_TIMEOUT": "10",
            "POSTGRES_PRE_PING": "y",
            "POSTGRES_ENABLE_DB_FUNCTIONS": "n",
        }
        query = dict(p.split("=", 1) for p in url.query.split("&") if "=" in p)
        if "host" in query:  # a unix socket directory: postgresql://user@/db?host=/tmp
            env["POSTGRES_HOST"] = unquote(query["host"])
        return env
    raise ValueError(f"unsupported database URL {database_url!r}")


def postgres_conninfo(database_url: str, **options: Any) -> str:
    """A libpq connection string for a connection of our own beside the store's pool (LISTEN,
    locks), with extra libpq ``options`` (``application_name``, keepalives…)."""
    import psycopg

    env = store_env(database_url)
    return psycopg.conninfo.make_conninfo(
        dbname=env["POSTGRES_DBNAME"],
        host=env["POSTGRES_HOST"],
        port=env["POSTGRES_PORT"],
        user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"] or None,
        **options,
    )


def sqlite_path(database_url: str) -> str:
    return store_env(database_url)["SQLITE_DBNAME"]


class EventStore:
    """What the rest of the program sees of the log: load, save, read in order."""

    def __init__(self, database_url: str, master_key: bytes, pool_size: int = 8) -> None:
        self.database_url = database_url
        self.is_postgres = not database_url.startswith("sqlite")
        self.app = CounterpartyLog(env=store_env(database_url, pool_size))
        self.keys = KeyRing(master_key, key_table(database_url), on_erased=self._forget_cached)
        self.keys.open()
        self.personal = PersonalCodec(self.keys)
        cast(PydanticMapper, self.app.mapper).personal = self.personal
        self._listeners: list[Callable[[int], None]] = []
        self._erasure_listeners: list[Callable[[list[str]], None]] = []
        self.streams = StreamIndex(self._max_notification_id, self._created_between)
        self.committer = GroupCommitter(self._record)
        self.units = Units()

    # -- the write side (the commands' Store port) ---------------------------------------------

    def get(self, aggregate_id: UUID, version: int | None = None) -> Aggregate:
        """The aggregate as recorded; for a running command (``units``), with the events that
        commands of this process queued and that are not written yet."""
        unit = self.units.current()
        if unit is None or version is not None:
            return self._load(aggregate_id, version)
        self.units.hold(unit, aggregate_id)
        queued = self.committer.pending(aggregate_id)  # before the load: what is written meanwhile is in it
        try:
            base: Aggregate | None = self._load(aggregate_id)
        except NotFound:
            if not queued:
                raise
            base = None
        events, saves = continuation(queued, base.version if base else 0)
        if not events:
            if base is None:
                raise NotFound(f"{aggregate_id} not found")
            return base
        unit.read |= saves
        return cast(Aggregate, project(base, events))

    def _load(self, aggregate_id: UUID, version: int | None = None) -> Aggregate:
        if not self.streams.may_exist(aggregate_id):
            raise NotFound(f"{aggregate_id} not found")
        try:
            aggregate = cast(Aggregate, self.app.repository.get(aggregate_id, version=version, projector_func=project))
        except AggregateNotFoundError:
            raise NotFound(f"{aggregate_id} not found") from None
        self.streams.found((aggregate_id,))
        return aggregate

    def get_many(self, ids: Iterable[UUID]) -> dict[UUID, Aggregate]:
        """The aggregates of several streams as recorded, read in a few queries whatever their
        number (``batch_reads``); those without a stream are left out. For a command deciding
        about many aggregates at once: unlike ``get`` it neither holds the streams nor looks at
        queued saves, so a save built on them may lose a race, and is refused like any other.
        It asks the database about every id (an absent one costs nothing more in the same
        query), so what it leaves out is known absent, not guessed by the stream index."""
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return {}
        mapper = self.app.mapper
        found = {
            stream: cast(Aggregate, project(None, (mapper.to_domain_event(s) for s in stored)))
            for stream, stored in read_streams(self.app, wanted, self.is_postgres).items()
        }
        self.streams.add(found)
        return found

    def stream_version(self, aggregate_id: UUID) -> int:
        if not self.streams.may_exist(aggregate_id):
            return 0
        last = self.app.recorder.select_events(aggregate_id, desc=True, limit=1)
        if not last:
            return 0
        self.streams.found((aggregate_id,))
        return int(last[0].originator_version)

    def existing(self, ids: Sequence[UUID]) -> set[UUID]:
        """Which of the streams exist, in one query (a stream exists once its version 1 does);
        none for the ids the stream index knows to be absent."""
        maybe = [i for i in ids if self.streams.may_exist(i)]
        if not maybe:
            return set()
        if self.is_postgres:
            found = self._first_events("originator_id = ANY(%s)", [maybe])
        else:
            found = self._first_events(f"originator_id IN ({','.join('?' * len(maybe))})", [i.hex for i in maybe])
        self.streams.found(found)
        return set(found)

    def streams_begun_by(self, topics: Sequence[str]) -> list[UUID]:
        """The streams whose first event has one of ``topics``: every aggregate of those kinds."""
        if not topics:
            return []
        mark = "%s" if self.is_postgres else "?"
        return self._first_events(f"topic IN ({','.join([mark] * len(topics))})", list(topics))

    def streams_not_begun_by(self, topics: Sequence[str]) -> list[UUID]:
        """The streams whose first event has none of ``topics``."""
        mark = "%s" if self.is_postgres else "?"
        return self._first_events(f"topic NOT IN ({','.join([mark] * len(topics))})", list(topics))

    def in_log_order(self, ids: Sequence[UUID]) -> list[DomainEvent]:
        """Every event of the streams ``ids``, in the order of the log (a copy of part of the
        books keeps the order in which its read models and process managers saw them)."""
        mapper = self.app.mapper
        return [cast(DomainEvent, mapper.to_domain_event(s)) for s in read_in_order(self.app, ids, self.is_postgres)]

    def _created_between(self, after: int, upto: int) -> list[UUID]:
        """The streams whose first event lies in the log after ``after``, up to ``upto``."""
        column = "notification_id" if self.is_postgres else "rowid"
        mark = "%s" if self.is_postgres else "?"
        return self._first_events(f"{column} > {mark} AND {column} <= {mark}", [after, upto])

    def _first_events(self, condition: str, params: list[Any]) -> list[UUID]:
        """The ids of the streams whose first event matches ``condition`` (SQL of the backend)."""
        recorder: Any = self.app.recorder
        if self.is_postgres:
            from psycopg.sql import SQL, Identifier

            statement = SQL(
                "SELECT originator_id FROM {schema}.{table} WHERE originator_version = 1 AND " + condition
            ).format(schema=Identifier(recorder.datastore.schema), table=Identifier(recorder.events_table_name))
            with recorder.datastore.get_connection() as conn, conn.cursor() as curs:
                curs.execute(statement, params)
                return [UUID(str(row["originator_id"])) for row in curs.fetchall()]
        query = f"SELECT originator_id FROM {recorder.events_table_name} WHERE originator_version = 1 AND {condition}"
        with recorder.datastore.transaction(commit=False) as c:
            c.execute(query, params)
            return [UUID(str(row["originator_id"])) for row in c.fetchall()]

    def save(self, events: Sequence[DomainEvent]) -> int:
        """Records one command's events atomically, in a transaction shared with the commands
        saving at the same moment (``GroupCommitter``); returns the position of its last event."""
        if not events:
            return self.head()
        self.personal.prepare(events)
        # Known before the commit, so no command of this process guesses them absent after it. If
        # the save fails they stay as "probably exists": the retry then asks the database.
        self.streams.add(e.originator_id for e in events if e.originator_version == 1)
        unit = self.units.current()
        save = self.committer.submit(events, after=unit.read if unit else ())
        if unit is not None:
            self.units.release(unit)  # the next command on these streams builds on the queued events
        try:
            position = self.committer.wait(save)
        except (IntegrityError, Superseded) as error:
            raise ConcurrencyConflict(str(error)) from error
        self._erase(events)
        for listener in list(self._listeners):
            listener(position)
        return position

    def _erase(self, events: Iterable[DomainEvent]) -> None:
        """Destroys the keys of the subjects whose erasure was just written (after the commit:
        should the process die in between, asking for the erasure again destroys them)."""
        subjects = [str(s) for e in events if isinstance(e, PersonalDataErased) for s in e.subjects]
        if subjects:
            self.keys.erase(subjects)
            for listener in list(self._erasure_listeners):
                listener(subjects)

    def _forget_cached(self) -> None:
        """Drops the cached aggregates: those loaded before an erasure hold its subjects' values."""
        repository = self.app.repository
        if repository.cache is not None:
            repository.cache = LRUCache(maxsize=int(AGGREGATE_CACHE["AGGREGATE_CACHE_MAXSIZE"]))

    def save_apart(self, batches: Sequence[Sequence[DomainEvent]]) -> list[int | ConcurrencyConflict]:
        """Records each batch atomically and on its own (a command that decides for many
        partners saves each partner's), submitted together so that they share transactions;
        answers each batch's position, or the conflict that refused it alone. Any other error is
        raised once every batch is written or refused."""
        assert all(batches), "a batch to save has events"
        for events in batches:
            self.personal.prepare(events)
        self.streams.add(e.originator_id for events in batches for e in events if e.originator_version == 1)
        unit = self.units.current()
        saves = [self.committer.submit(events, after=unit.read if unit else ()) for events in batches]
        if unit is not None:
            self.units.release(unit)
        outcomes: list[int | ConcurrencyConflict] = []
        failure: Exception | None = None
        for save in saves:  # each wait writes what is queued, so all of them are settled
            try:
                outcomes.append(self.committer.wait(save))
            except (IntegrityError, Superseded) as error:
                outcomes.append(ConcurrencyConflict(str(error)))
            except Exception as error:  # the database's failure, not one batch's
                failure = failure or error
        if failure is not None:
            raise failure
        position = max((o for o in outcomes if isinstance(o, int)), default=0)
        self._erase(e for events, o in zip(batches, outcomes, strict=True) if isinstance(o, int) for e in events)
        if position:
            for listener in list(self._listeners):
                listener(position)
        return outcomes

    def _record(self, events: Sequence[DomainEvent]) -> list[int]:
        """One transaction: the position of each event, in order. The events go to the
        application's event store directly: ``Application.save`` would check each one against a
        runtime-checkable Protocol (as ``project`` avoids), a tenth of a collection run's time,
        and has nothing else to do for events (no aggregates to cache or snapshot, no followers)."""
        return [r.notification.id for r in self.app.events.put(list(events))]

    def snapshot(self, aggregate: Aggregate) -> None:
        assert self.app.snapshots is not None
        self.app.snapshots.put([aggregate.snapshot()])

    def on_saved(self, listener: Callable[[int], None]) -> None:
        """In-process wake-up for the projection runner (other processes poll or LISTEN)."""
        self._listeners.append(listener)

    def on_erased(self, listener: Callable[[list[str]], None]) -> None:
        """``listener`` is told the data subjects whose keys this process just destroyed, to
        remove what else holds their personal data (the letters' files)."""
        self._erasure_listeners.append(listener)

    # -- the read side (the projections' LogReader port) ----------------------------------------

    def head(self) -> int:
        """The log's head. Every look at it (each runner round does one) also brings the stream
        index up to it, so what other processes created stops being guessed absent."""
        head = self._max_notification_id()
        self.streams.follow(head)
        return head

    def _max_notification_id(self) -> int:
        return self.app.recorder.max_notification_id() or 0

    def read(
        self, after: int, limit: int = 1000, upto: int | None = None, topics: Sequence[str] = ()
    ) -> list[LoggedEvent]:
        """The events after ``after``; only those of ``topics``, if given (the others are neither
        read nor decoded)."""
        notifications = self.app.recorder.select_notifications(
            start=after, limit=limit, stop=upto, topics=topics, inclusive_of_start=False
        )
        return [self.to_logged(n) for n in notifications]

    def to_logged(self, n: Notification) -> LoggedEvent:
        return LoggedEvent(position=n.id, event=cast(DomainEvent, self.app.mapper.to_domain_event(n)))

    def read_raw(self, after: int, limit: int = 1000) -> list[Notification]:
        return list(self.app.recorder.select_notifications(start=after, limit=limit, inclusive_of_start=False))

    def event_at(self, position: int) -> DomainEvent | None:
        found = self.app.recorder.select_notifications(start=position, limit=1, stop=position)
        return cast(DomainEvent, self.app.mapper.to_domain_event(found[0])) if found else None

    def stream(self, aggregate_id: UUID) -> list[DomainEvent]:
        return cast(list[DomainEvent], list(self.app.events.get(aggregate_id)))

    def iterate(self, after: int = 0, page: int = 1000, topics: Sequence[str] = ()) -> Iterator[LoggedEvent]:
        """The log after ``after``, in pages; only the events of ``topics``, if given."""
        while True:
            batch = self.read(after, page, topics=topics)
            if not batch:
                return
            yield from batch
            after = batch[-1].position

    def close(self) -> None:
        self.keys.table.close()
        self.app.close()
