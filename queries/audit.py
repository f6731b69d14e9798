"""Audit queries: the log itself, filtered through the audit index, and any stream replayed to a
version or a moment."""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol
from uuid import UUID

from pydantic_core import to_jsonable_python
from sqlalchemy import select

from aggregates.base import DomainEvent
from aggregates.errors import not_found
from projections.audit_index import event_type, stream_type
from projections.catalog import Catalog
from queries.as_of import AsOf
from queries.formats import utc

ENVELOPE = {"originator_id", "originator_version", "timestamp", "meta", "originator_topic"}


class LogLookup(Protocol):
    def event_at(self, position: int) -> DomainEvent | None: ...

    def stream(self, aggregate_id: UUID) -> list[DomainEvent]: ...

    def head(self) -> int: ...


def event_data(e: DomainEvent) -> dict[str, Any]:
    return e.model_dump(mode="json", exclude=ENVELOPE)


def describe(e: DomainEvent, position: int | None) -> dict[str, Any]:
    meta = e.meta
    return {
        "position": position,
        "stream": str(e.originator_id),
        "stream_type": stream_type(e),
        "version": e.originator_version,
        "type": event_type(e),
        "topic": type(e).TOPIC,
        "recorded_at": utc(e.timestamp),
        "business_date": meta.business_date if meta else None,
        "actor": meta.actor if meta else None,
        "causation": meta.causation if meta else None,
        "correlation": meta.correlation if meta else None,
        "data": event_data(e),
    }


class AuditQueries:
    def __init__(self, catalog: Catalog, log: LogLookup) -> None:
        self.catalog = catalog
        self.log = log

    def events(
        self,
        after: int,
        limit: int,
        stream: str | None = None,
        type_: str | None = None,
        start: date | None = None,
        end: date | None = None,
    ) -> dict[str, Any]:
        t = self.catalog.table("audit_index", "events")
        stmt = select(t.c.position).where(t.c.position > after)
        if stream:
            stmt = stmt.where(t.c.stream == stream)
        if type_:
            # A topic (counterparty.partner.PartnerRegistered.v1) or the bare event name.
            name = type_.split(".")[-2] if type_.count(".") >= 2 else type_
            stmt = stmt.where(t.c.type == name)
        if start:
            stmt = stmt.where(t.c.business_date >= start)
        if end:
            stmt = stmt.where(t.c.business_date <= end)
        stmt = stmt.order_by(t.c.position).limit(limit + 1)
        with self.catalog.engine.connect() as conn:
            positions = [p for (p,) in conn.execute(stmt).all()]
        more = len(positions) > limit
        positions = positions[:limit]
        items = []
        for position in positions:
            e = self.log.event_at(position)
            if e is not None:
                items.append(describe(e, position))
        return {"items": items, "next_after": positions[-1] if more else None}

    def stream(self, stream: str, as_of: AsOf | None, version: int | None) -> dict[str, Any]:
        try:
            stream_id = UUID(stream)
        except ValueError:
            raise not_found("stream", stream) from None
        events = self.log.stream(stream_id)
        if not events:
            raise not_found("stream", stream)
        if version is not None:
            events = [e for e in events if e.originator_version <= version]
        if as_of is not None:
            events = as_of.history(events)
        positions = self._positions(stream)
        aggregate: Any = None
        for e in events:
            aggregate = e.mutate(aggregate)
        return {
            "stream": stream,
            "stream_type": stream_type(events[0]) if events else None,
            "version": events[-1].originator_version if events else 0,
            "state": to_jsonable_python(aggregate.state()) if aggregate is not None else None,
            "events": [describe(e, positions.get(e.originator_version)) for e in events],
        }

    def _positions(self, stream: str) -> dict[int, int]:
        t = self.catalog.table("audit_index", "events")
        with self.catalog.engine.connect() as conn:
            return dict(conn.execute(select(t.c.version, t.c.position).where(t.c.stream == stream)).all())
