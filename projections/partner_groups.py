"""Partner groups as a table."""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, Numeric, String, Table, Text

from aggregates.partner_group import PartnerGroupChanged, PartnerGroupCreated
from projections.catalog import Projection, Rows


def define(meta: MetaData, prefix: str) -> dict[str, Table]:
    return {
        "groups": Table(
            f"{prefix}groups",
            meta,
            Column("code", String(80), primary_key=True),
            Column("id", String(36), nullable=False),
            Column("name", Text, nullable=False),
            Column("credit_watch_percent", Numeric(7, 2), nullable=False),
            Column("collection_scheme", String(80)),
            Column("request_priority_boost", Integer, nullable=False),
            Column("version", Integer, nullable=False),
        )
    }


partner_groups = Projection("partner_groups", define)


@partner_groups.on(PartnerGroupCreated)
def created(e: PartnerGroupCreated, rows: Rows) -> None:
    rows.insert("groups", code=e.code, id=str(e.originator_id), version=e.originator_version, **e.settings.model_dump())


@partner_groups.on(PartnerGroupChanged)
def changed(e: PartnerGroupChanged, rows: Rows) -> None:
    rows.update("groups", {"id": str(e.originator_id)}, version=e.originator_version, **e.settings.model_dump())
