"""What the work prepared in batches (commands.batches: mailings, balance-confirmation series)
reads back: which preparations have stalled, for the mailer to resume them."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import Column, Table, and_, select
from sqlalchemy.engine import Engine


def stalled(
    engine: Engine, table: Table, done: Column, order: Column, progressed_before: datetime, limit: int
) -> list[UUID]:
    """The ids of ``table``'s rows not ``done`` whose preparation has not moved since
    ``progressed_before`` (wall clock): the process preparing them stopped. Oldest first."""
    moment = progressed_before.astimezone(UTC) if progressed_before.tzinfo else progressed_before
    stmt = (
        select(table.c.id).where(and_(done.is_(False), table.c.progressed_at <= moment)).order_by(order).limit(limit)
    )
    with engine.connect() as conn:
        return [UUID(i) for (i,) in conn.execute(stmt)]
