"""An index of the whole log by stream, type, recording time and business date, so the audit
endpoints can filter without scanning the log."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Column, Date, DateTime, Index, Integer, MetaData, String, Table

from aggregates.base import DomainEvent
from projections.catalog import Projection, Rows


def define(meta: MetaData, prefix: str) -> dict[str, Table]:
    events = Table(
        f"{prefix}events",
        meta,
        Column("position", BigInteger, primary_key=True, autoincrement=False),
        Column("stream", String(36), nullable=False),
        Column("stream_type", String(40), nullable=False),
        Column("version", Integer, nullable=False),
        Column("type", String(80), nullable=False),
        Column("recorded_at", DateTime(timezone=True)),
        Column("business_date", Date),
        Column("actor", String(120)),
    )
    Index(f"{prefix}ix_stream", events.c.stream, events.c.version)
    Index(f"{prefix}ix_type", events.c.type, events.c.position)
    Index(f"{prefix}ix_recorded", events.c.recorded_at)
    return {"events": events}


audit_index = Projection("audit_index", define)


def stream_type(e: DomainEvent) -> str:
    return type(e).TOPIC.split(".")[1]


def event_type(e: DomainEvent) -> str:
    return type(e).__name__


@audit_index.on_every
def indexed(e: DomainEvent, rows: Rows) -> None:
    meta: Any = e.meta
    rows.insert(
        "events",
        position=rows.position,
        stream=str(e.originator_id),
        stream_type=stream_type(e),
        version=e.originator_version,
        type=event_type(e),
        recorded_at=e.timestamp,
        business_date=meta.business_date if meta else None,
        actor=meta.actor if meta else None,
    )
