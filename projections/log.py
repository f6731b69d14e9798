"""The port through which the read side and the process managers read the log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from aggregates.base import DomainEvent


@dataclass(frozen=True)
class LoggedEvent:
    position: int
    event: DomainEvent


class LogReader(Protocol):
    def head(self) -> int: ...

    def read(self, after: int, limit: int = 1000, upto: int | None = None) -> list[LoggedEvent]: ...
