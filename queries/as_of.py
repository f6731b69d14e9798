"""What ``as_of`` selects: the state at the end of a business day, or as recorded at a moment.

A business date selects by when things took effect: an aggregate's events by the business day
they were recorded on, and money by its value date (a payment's date, an invoice's issue date),
which is what the receivables' dated movements carry. A moment selects by recording time: the
events recorded at or before it, and the read models' rows written from the log up to the last
position recorded then."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from aggregates.base import DomainEvent
from projections.catalog import Catalog


@dataclass(frozen=True)
class AsOf:
    day: date | None = None
    moment: datetime | None = None  # aware, UTC

    def __post_init__(self) -> None:
        assert (self.day is None) != (self.moment is None), "a business date or a moment"

    def includes(self, e: DomainEvent) -> bool:
        if self.moment is not None:
            return e.timestamp is not None and e.timestamp <= self.moment
        assert self.day is not None
        recorded_on = e.meta.business_date if e.meta is not None else None
        if recorded_on is None and e.timestamp is not None:
            recorded_on = e.timestamp.date()
        return recorded_on is not None and recorded_on <= self.day

    def history(self, events: Iterable[DomainEvent]) -> list[DomainEvent]:
        """The events selected, in their order."""
        return [e for e in events if self.includes(e)]

    def last_position(self, catalog: Catalog, conn: Connection) -> int:
        """The last log position recorded at or before the moment (0: none), from the audit index."""
        assert self.moment is not None
        t = catalog.table("audit_index", "events")
        latest = conn.execute(
            select(t.c.recorded_at).where(t.c.recorded_at <= self.moment).order_by(t.c.recorded_at.desc()).limit(1)
        ).scalar()
        if latest is None:
            return 0
        # The events one command saved share their recording time: the last of them.
        return int(conn.execute(select(func.max(t.c.position)).where(t.c.recorded_at == latest)).scalar_one())
