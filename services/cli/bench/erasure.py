"""(l) The cost of keeping personal data encrypted per data subject: ``register_partner`` of
persons (name, e-mail, phone, tax id and a note: each its own envelope, a key made per person)
and reading + decoding their events, each against the same with the values in clear (as the log
held them before encryption), in interleaved rounds on one container."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.progress import Progress

from commands.partners import RegisterPartner, register_partner
from services.adapters.personal_data import PersonalCodec
from services.bootstrap.container import Container
from services.cli.bench.common import ROUNDS, Figure, Sizes, combined, open_container, rate, task, timed_commands
from services.cli.bench.targets import Target


class _Clear(PersonalCodec):
    """Leaves personal values as they are: the store as it was before encryption."""

    def prepare(self, events: Any) -> None:
        return None

    def encrypt(self, cls: Any, state: dict[str, Any], stream: str) -> None:
        return None

    def decrypt(self, cls: Any, state: dict[str, Any], stream: str) -> None:
        return None


@contextmanager
def in_clear(c: Container) -> Iterator[None]:
    mapper: Any = c.store.app.mapper
    codec = c.store.personal
    c.store.personal = mapper.personal = _Clear(codec.keys)
    try:
        yield
    finally:
        c.store.personal = mapper.personal = codec


def persons(first: int, n: int) -> list[RegisterPartner]:
    return [
        RegisterPartner(
            name=f"Person {i} Example",
            kind="person",  # type: ignore[arg-type]
            email=f"person{i}@example.com",
            phone=f"+43 1 {i:07d}",
            tax_id=f"AT{i:09d}",
            notes_private="met at the fair",
        )
        for i in range(first, first + n)
    ]


def read_decode(c: Container, after: int, upto: int) -> tuple[int, float]:
    """Reads the log between the positions and decodes every event: how many, in how long."""
    started = time.perf_counter()
    count = 0
    position = after
    while position < upto and (batch := c.store.read_raw(position, 1000)):
        for n in batch:
            if n.id > upto:
                break
            c.store.to_logged(n)
            count += 1
        position = batch[-1].id
    return count, time.perf_counter() - started


def bench_erasure(target: Target, sizes: Sizes, bar: Progress) -> list[Figure]:
    name = target.name
    chunk = max(1, sizes.commands // ROUNDS)
    sealed: list[Figure] = []
    clear: list[Figure] = []
    sealed_reads: list[Figure] = []
    clear_reads: list[Figure] = []
    advance = task(bar, f"{name}: register_partner, encrypted and in clear", 2 * chunk * ROUNDS)
    with open_container(target.settings("erasure")) as c:
        for k in range(ROUNDS):
            start = c.store.head()
            seconds, _ = timed_commands(c, register_partner, persons(2 * k * chunk, chunk), advance)
            sealed.append(rate(name, "register_partner, person, encrypted", chunk, seconds, "commands/s"))
            middle = c.store.head()
            with in_clear(c):
                seconds, _ = timed_commands(c, register_partner, persons((2 * k + 1) * chunk, chunk), advance)
            clear.append(rate(name, "register_partner, person, in clear", chunk, seconds, "commands/s"))
            end = c.store.head()
            # Decoding with the keys in memory (the steady state of a process).
            count, seconds = read_decode(c, start, middle)
            sealed_reads.append(rate(name, "read + decode, encrypted persons", count, seconds, "events/s"))
            with in_clear(c):
                count, seconds = read_decode(c, middle, end)
            clear_reads.append(rate(name, "read + decode, persons in clear", count, seconds, "events/s"))
    register, register_clear = combined(sealed), combined(clear)
    read, read_clear = combined(sealed_reads), combined(clear_reads)
    return [register_clear, register.against(register_clear), read_clear, read.against(read_clear)]
