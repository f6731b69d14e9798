"""Personal data in the log, encrypted per data subject (crypto-shredding).

Each data subject (a ``person`` partner, a contact) has its own data key (AES-256-GCM). Data keys
live in the table ``personal_keys`` beside the log (never in it), each wrapped (encrypted) with
the master key: ``CPTY_MASTER_KEY``, else the key file ``master.key`` that the first start
creates in the data directory. When an event is stored, each personal value its class marks
(``aggregates.personal``) becomes an envelope ``{"$enc": subject, "v": base64(nonce|ciphertext)}``;
reading turns it back into the value, or into ``[erased]`` once the subject's key is destroyed.
Values stored in clear (before this existed) read as they are. The stored bytes never change, so
the audit hash chain and ``replay --verify`` are unaffected by an erasure.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from aggregates.base import DomainEvent, personal_specs
from aggregates.errors import conflict
from aggregates.personal import ERASED, is_personal, places

KEY_FILE = "master.key"
ENVELOPE = "$enc"
# How long a process trusts its cached keys before it looks whether another process erased a
# subject meanwhile (an erasure in this process is seen at once).
RECHECK_SECONDS = 1.0


def master_key(configured: str | None, data_dir: Path) -> bytes:
    """The master key: ``configured`` (base64 of 32 bytes), else the data directory's key file,
    created (mode 0600) when missing."""
    if configured:
        return _key_bytes(configured, "CPTY_MASTER_KEY")
    path = data_dir / KEY_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # another process starting at the same moment may still be writing it
            if text := path.read_text().strip():
                return _key_bytes(text, str(path))
            time.sleep(0.1)
        return _key_bytes("", str(path))
    with os.fdopen(fd, "w") as f:
        f.write(base64.b64encode(AESGCM.generate_key(bit_length=256)).decode() + "\n")
    return _key_bytes(path.read_text().strip(), str(path))


def _key_bytes(text: str, where: str) -> bytes:
    try:
        key = base64.b64decode(text, validate=True)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise ValueError(f"{where} must be the base64 of 32 bytes (a 256-bit key)")
    return key


class MasterKeyMismatch(RuntimeError):
    """The master key does not unwrap the data keys in the database: a process started with it
    would read every personal value as ``[erased]`` and write new keys the others cannot open."""


class KeyTable(Protocol):
    """Where the wrapped data keys are kept: one row per subject, ``wrapped`` None once erased."""

    def create(self) -> None: ...

    def get(self, subject: str) -> tuple[bytes | None] | None: ...

    def insert(self, subject: str, wrapped: bytes) -> None: ...

    def erase(self, subjects: Sequence[str]) -> None: ...

    def erased_count(self) -> int: ...

    def sample(self) -> tuple[str, bytes] | None: ...

    def close(self) -> None: ...


class SqlKeyTable:
    """The key table in the log's database (SQLite file or PostgreSQL), on a connection of its own."""

    def __init__(self, connect: Callable[[], Any], postgres: bool) -> None:
        self._connect = connect
        self._mark = "%s" if postgres else "?"
        self._blob = "BYTEA" if postgres else "BLOB"
        self._conn: Any = None
        self._lock = threading.Lock()

    def _run(self, sql: str, params: Sequence[Any] = (), fetch: bool = False) -> list[Any]:
        with self._lock:
            for attempt in (1, 2):
                try:
                    if self._conn is None:
                        self._conn = self._connect()
                    cursor = self._conn.execute(sql.replace("?", self._mark), params)
                    return list(cursor.fetchall()) if fetch else []
                except Exception:
                    self._conn = None  # a lost connection: once more on a new one
                    if attempt == 2:
                        raise
            return []

    def create(self) -> None:
        self._run(
            f"CREATE TABLE IF NOT EXISTS personal_keys (subject VARCHAR(36) PRIMARY KEY, wrapped {self._blob},"
            " created_at VARCHAR(40) NOT NULL, erased_at VARCHAR(40))"
        )

    def get(self, subject: str) -> tuple[bytes | None] | None:
        rows = self._run("SELECT wrapped FROM personal_keys WHERE subject = ?", (subject,), fetch=True)
        return (bytes(rows[0][0]) if rows[0][0] is not None else None,) if rows else None

    def insert(self, subject: str, wrapped: bytes) -> None:
        self._run(
            "INSERT INTO personal_keys (subject, wrapped, created_at) VALUES (?, ?, ?)"
            " ON CONFLICT (subject) DO NOTHING",
            (subject, wrapped, _now()),
        )

    def erase(self, subjects: Sequence[str]) -> None:
        for subject in subjects:
            self._run(
                "INSERT INTO personal_keys (subject, wrapped, created_at, erased_at) VALUES (?, NULL, ?, ?)"
                " ON CONFLICT (subject) DO UPDATE SET wrapped = NULL,"
                " erased_at = COALESCE(personal_keys.erased_at, excluded.erased_at)",
                (subject, _now(), _now()),
            )

    def erased_count(self) -> int:
        return int(self._run("SELECT COUNT(*) FROM personal_keys WHERE wrapped IS NULL", fetch=True)[0][0])

    def sample(self) -> tuple[str, bytes] | None:
        rows = self._run("SELECT subject, wrapped FROM personal_keys WHERE wrapped IS NOT NULL LIMIT 1", fetch=True)
        return (rows[0][0], bytes(rows[0][1])) if rows else None

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


def _now() -> str:
    return datetime.now(UTC).isoformat()


def key_table(database_url: str) -> SqlKeyTable:
    from services.adapters.store import postgres_conninfo, sqlite_path

    if database_url.startswith("sqlite"):
        path = sqlite_path(database_url)
        uri = path.startswith("file:")
        return SqlKeyTable(
            lambda: sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False, uri=uri),
            postgres=False,
        )
    import psycopg

    conninfo = postgres_conninfo(database_url, application_name="counterparty-keys")
    return SqlKeyTable(lambda: psycopg.connect(conninfo, autocommit=True), postgres=True)


class KeyRing:
    """The subjects' data keys, unwrapped on first use and kept in memory."""

    def __init__(self, master: bytes, table: KeyTable, on_erased: Callable[[], None] = lambda: None) -> None:
        self._master = AESGCM(master)
        self.table = table
        self.on_erased = on_erased
        # subject -> its cipher, or None when erased; a subject without a key is not in it.
        self._ciphers: dict[str, AESGCM | None] = {}
        self._lock = threading.Lock()
        self._erased_seen = -1
        self._checked = 0.0

    def open(self) -> None:
        """Creates the table and checks that the master key opens it (a wrong key would make every
        personal value unreadable). All processes of a PostgreSQL deployment share the table, so
        one started with another key (another host's ``master.key``) refuses to start here."""
        self.table.create()
        sample = self.table.sample()
        if sample is not None:
            try:
                self._unwrap(*sample)
            except InvalidTag:
                raise MasterKeyMismatch(
                    "the master key (CPTY_MASTER_KEY or the data directory's master.key) does not open the"
                    " personal data keys of this database: start every process with the same CPTY_MASTER_KEY"
                    " (restore the one that goes with this database)"
                ) from None
        self._erased_seen = self.table.erased_count()
        self._checked = time.monotonic()

    def _unwrap(self, subject: str, wrapped: bytes) -> AESGCM:
        return AESGCM(self._master.decrypt(wrapped[:12], wrapped[12:], subject.encode()))

    def _recheck(self) -> None:
        """Forgets the cached keys when another process erased a subject since the last look."""
        if time.monotonic() - self._checked < RECHECK_SECONDS:
            return
        self._checked = time.monotonic()
        erased = self.table.erased_count()
        if erased != self._erased_seen:
            self._erased_seen = erased
            self.forget()

    def forget(self) -> None:
        with self._lock:
            self._ciphers.clear()
        self.on_erased()

    def cipher(self, subject: str, create: bool = False) -> AESGCM | bool | None:
        """The subject's cipher; False if it was erased; None if it has no key (and ``create``
        is not asked)."""
        self._recheck()
        if subject in self._ciphers:
            found = self._ciphers[subject]
            return False if found is None else found
        row = self.table.get(subject)
        if row is None and create:
            dek = AESGCM.generate_key(bit_length=256)
            nonce = secrets.token_bytes(12)
            self.table.insert(subject, nonce + self._master.encrypt(nonce, dek, subject.encode()))
            row = self.table.get(subject)  # another process may have created it first
        if row is None:
            return None
        cipher = self._unwrap(subject, row[0]) if row[0] is not None else None
        with self._lock:
            self._ciphers[subject] = cipher
        return False if cipher is None else cipher

    def is_erased(self, subject: str) -> bool:
        return self.cipher(subject) is False

    def erase(self, subjects: Iterable[str]) -> None:
        """Destroys the subjects' keys (a tombstone row stays: the subject is known erased)."""
        subjects = list(subjects)
        self.table.erase(subjects)
        self._erased_seen = -1
        self.forget()


class PersonalCodec:
    """Encrypts and decrypts the personal values of events' JSON states, in place."""

    def __init__(self, keys: KeyRing) -> None:
        self.keys = keys

    def prepare(self, events: Iterable[DomainEvent]) -> None:
        """Before a save: refuses new personal data of an erased subject (409 ``subject_erased``)
        and creates the keys of new subjects, so that the writer finds them made."""
        for e in events:
            if not type(e).PERSONAL:
                continue
            state = e.model_dump(mode="json")
            for place in places(personal_specs(type(e), state), state, str(e.originator_id)):
                if not is_personal(place.holder[place.key]):
                    continue
                if self.keys.cipher(place.subject, create=not place.spec.known_only) is False:
                    raise conflict("subject_erased", f"the personal data of {place.subject} was erased")

    def encrypt(self, cls: type[DomainEvent], state: dict[str, Any], stream: str) -> None:
        specs = personal_specs(cls, state)
        for place in places(specs, state, stream) if specs else ():
            value = place.holder[place.key]
            if not is_personal(value):
                continue
            cipher = self.keys.cipher(place.subject, create=not place.spec.known_only)
            if cipher is None:
                continue  # not a data subject (an organization's address): stays in clear
            if cipher is False:  # erased after ``prepare`` looked: nothing of it is written
                place.holder[place.key] = ERASED
                continue
            assert isinstance(cipher, AESGCM)
            nonce = secrets.token_bytes(12)
            sealed = nonce + cipher.encrypt(nonce, value.encode(), place.subject.encode())
            text = binascii.b2a_base64(sealed, newline=False).decode()
            place.holder[place.key] = {ENVELOPE: place.subject, "v": text}

    def decrypt(self, cls: type[DomainEvent], state: dict[str, Any], stream: str) -> None:
        specs = personal_specs(cls, state)
        for place in places(specs, state, stream) if specs else ():
            value = place.holder[place.key]
            if isinstance(value, dict) and ENVELOPE in value:
                place.holder[place.key] = self._open(value[ENVELOPE], value["v"])

    def _open(self, subject: str, sealed: str) -> str:
        cipher = self.keys.cipher(subject)
        if not isinstance(cipher, AESGCM):
            return ERASED
        raw = binascii.a2b_base64(sealed)
        return cipher.decrypt(raw[:12], raw[12:], subject.encode()).decode()
