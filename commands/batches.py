"""Preparing in batches (a mailing's recipients, a balance confirmation series): one command per
batch, each recorded after the last recorded one, then one command that completes the whole.

A resumed preparation and a worker may be at the same one at once: the store lets one of them
record each batch, and the refusal the other gets says so; that one stops quietly."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from uuid import UUID

from aggregates.errors import DomainError
from commands.context import CommandContext, Result

# Runs a handler as one command (``Container.execute`` with the caller's actor).
Run = Callable[[Callable[[Any, CommandContext], Result], Any], Result]
# A handler and the command to run it with.
Step = tuple[Callable[[Any, CommandContext], Result], Any]

Progress = TypeVar("Progress")
Planned = TypeVar("Planned")


def prepare_in_batches(
    run: Run,
    progress: Progress,
    pending: Sequence[Planned],
    size: int,
    *,
    record: Callable[[Progress, list[Planned]], Step],
    complete: Callable[[Progress], Step],
    taken: frozenset[str],
    log: logging.Logger,
    what: str,
    key: UUID,
) -> Progress:
    """Records ``pending`` ``size`` at a time, then completes; answers the progress after the last
    step that went through. ``taken`` are the refusal codes that mean another preparer is (or was)
    at the same ``what`` (logged with its ``key``): they end this one, any other is raised."""
    try:
        for start in range(0, len(pending), size):
            progress = run(*record(progress, list(pending[start : start + size]))).detail
        return run(*complete(progress)).detail  # type: ignore[no-any-return]
    except DomainError as refusal:
        if refusal.code not in taken:
            raise
        log.info(f"{what} taken over by another preparer", extra={what: str(key)})
        return progress
