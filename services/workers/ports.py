"""What a background worker is handed: the few capabilities it uses, not the composition root.

The container builds one ``Ports`` and gives it to the clock, the sender and the mailing
preparer, so the workers know nothing of how the store, the runner and the command executor are
wired (and the composition root can import them without a cycle)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from commands.context import CommandContext, Idempotency, Result
from projections.catalog import Catalog
from services.adapters.store import EventStore
from services.settings import Settings


@dataclass
class Request:
    """Who asks, and the guards the HTTP request carried."""

    actor: str = "system"
    expected_version: int | None = None
    idempotency: Idempotency | None = None
    correlation: str | None = None
    causation: str | None = None
    # The business time the command acts at, when it is not the clock's (a day start being run).
    now: datetime | None = None


class Execute(Protocol):
    """Runs a command handler with retries on lost races (the container's ``execute``)."""

    def __call__(
        self, handler: Callable[[Any, CommandContext], Result], command: Any, request: Request | None = None
    ) -> Result: ...


class WaitFor(Protocol):
    """Waits until every read model and process manager has passed ``position``."""

    def __call__(self, position: int, timeout: float) -> bool: ...


@dataclass(frozen=True)
class Ports:
    settings: Settings
    store: EventStore
    catalog: Catalog
    execute: Execute
    wait: WaitFor
    # The business time (the clock's now).
    now: Callable[[], datetime]
