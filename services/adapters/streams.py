"""Which streams exist, known without asking the database.

Commands look up many aggregates that mostly do not exist: the claim on a number just drawn, an
Idempotency-Key's record, the custom-field catalogue before anyone defined a field, the manual
clock before it moved. Each such miss used to cost two queries (snapshot, events). The index is a
Bloom filter over the id of every stream in the log: an id it does not hold certainly has no
stream, one it holds probably has one (the database answers then). Streams are never removed, so
the filter only grows:

- at start it reads the ids of every stream once, with the log position they go up to;
- this process's own saves add their new streams before they commit;
- following the log (``follow``, on every look at the head, so in every runner round) adds what
  other processes created since.

Between another process's commit and this process's next look at the head, an absence is a guess.
A create that collides with such a stream is refused by the store and retried once the index
knows it (``add``), and a command that fails on a guessed absence is run again with the index out
of the way (``verified``), so a stale guess never becomes a wrong answer.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from uuid import UUID

log = logging.getLogger("counterparty.store")

# Bits per stream the filter is sized for, and how many of them one id sets: at most about 1 %
# false "probably exists" at capacity, far fewer below it.
BITS_PER_STREAM = 10
HASHES = 7
MIN_CAPACITY = 1 << 20  # 1.25 MiB of bits


class BloomFilter:
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.size = capacity * BITS_PER_STREAM
        self.bits = bytearray(self.size // 8 + 1)
        self.count = 0

    def _positions(self, stream_id: UUID) -> Iterator[int]:
        # Constant ids (a singleton's) are not random: hash, then derive the k bits by double hashing.
        digest = hashlib.blake2b(stream_id.bytes, digest_size=16).digest()
        h1, h2 = int.from_bytes(digest[:8], "little"), int.from_bytes(digest[8:], "little") | 1
        return ((h1 + i * h2) % self.size for i in range(HASHES))

    def add(self, stream_id: UUID) -> None:
        new = False
        for p in self._positions(stream_id):
            if not self.bits[p >> 3] & (1 << (p & 7)):
                self.bits[p >> 3] |= 1 << (p & 7)
                new = True
        self.count += new  # an id seen again (our own creations, then the log) counts once

    def __contains__(self, stream_id: UUID) -> bool:
        return all(self.bits[p >> 3] & (1 << (p & 7)) for p in self._positions(stream_id))


class StreamIndex:
    """``head()`` reads the log's head; ``created(after, upto)`` the ids of the streams whose
    first event lies in the log after ``after`` and up to ``upto``."""

    def __init__(
        self, head: Callable[[], int], created: Callable[[int, int], list[UUID]], min_capacity: int = MIN_CAPACITY
    ) -> None:
        self._head = head
        self._created = created
        self._min_capacity = min_capacity
        self._lock = threading.Lock()
        self._load_lock = threading.Lock()
        self._filter: BloomFilter | None = None
        self._position = 0
        # Streams added while the filter is (re)built from the log: they join the new filter.
        self._pending: list[UUID] | None = []
        self._local = threading.local()

    def may_exist(self, stream_id: UUID) -> bool:
        """False: the stream certainly does not exist (as far as the log was followed)."""
        if getattr(self._local, "verify", False):
            return True
        found = self._filter or self._load()
        if stream_id in found:
            return True
        self._local.guessed = True
        return False

    def add(self, stream_ids: Iterable[UUID]) -> None:
        ids = list(stream_ids)
        if not ids:
            return
        full = False
        with self._lock:
            if self._pending is not None:
                self._pending.extend(ids)
            if self._filter is not None:
                for i in ids:
                    self._filter.add(i)
                full = self._filter.count > self._filter.capacity and self._pending is None
                if full:
                    self._pending = ids  # some may commit only after the rebuild read the log
        if full:
            threading.Thread(target=self._rebuild, name="stream-index", daemon=True).start()

    def found(self, stream_ids: Iterable[UUID]) -> None:
        """Streams the database showed to exist: those a verified lookup found were perhaps
        guessed absent until now."""
        if getattr(self._local, "verify", False):
            self.add(stream_ids)

    @property
    def capacity(self) -> int:
        """How many streams the filter is sized for (0 before it is loaded)."""
        return self._filter.capacity if self._filter is not None else 0

    def follow(self, head: int) -> None:
        """Adds the streams created up to ``head`` (the log's head, just read) that the index
        has not seen: other processes' creations."""
        if self._filter is None or head <= self._position:
            return
        ids = self._created(self._position, head)
        with self._lock:
            if self._filter is not None:
                for i in ids:
                    self._filter.add(i)
                self._position = max(self._position, head)

    def load(self) -> None:
        """Reads the ids of every stream now, so that a serving process does it as it starts,
        not in its first request."""
        self._load()

    def _load(self) -> BloomFilter:
        with self._load_lock:
            if self._filter is None:
                self._build()
            assert self._filter is not None
            return self._filter

    def _rebuild(self) -> None:
        with self._load_lock:
            try:
                self._build()
            except Exception:  # the old filter keeps serving (more "probably exists"); a later add retries
                log.exception("rebuilding the stream index failed")
                with self._lock:
                    self._pending = None

    def _build(self) -> None:
        position = self._head()
        ids = self._created(0, position)
        built = BloomFilter(max(self._min_capacity, 2 * len(ids)))
        for i in ids:
            built.add(i)
        with self._lock:
            for i in self._pending or ():
                built.add(i)
            self._pending = None
            self._filter = built
            self._position = position

    # -- guessed absences --------------------------------------------------------------------

    def guessed(self) -> bool:
        """Whether an absence was answered from the filter since ``reset`` (in this thread)."""
        return bool(getattr(self._local, "guessed", False))

    def reset(self) -> None:
        self._local.guessed = False

    @contextmanager
    def verified(self) -> Iterator[None]:
        """Every lookup inside asks the database (in this thread)."""
        before = getattr(self._local, "verify", False)
        self._local.verify = True
        try:
            yield
        finally:
            self._local.verify = before
