"""Custom field definitions as a table."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, MetaData, String, Table, Text

from aggregates.custom_field import CustomFieldDefined
from projections.catalog import Projection, Rows


def define(meta: MetaData, prefix: str) -> dict[str, Table]:
    return {
        "fields": Table(
            f"{prefix}fields",
            meta,
            Column("entity", String(20), primary_key=True),
            Column("code", String(80), primary_key=True),
            Column("label", Text, nullable=False),
            Column("type", String(20), nullable=False),
            Column("options", Text, nullable=False),
            Column("required", Boolean, nullable=False),
            Column("position", BigInteger, nullable=False),
        )
    }


custom_fields = Projection("custom_fields", define)


@custom_fields.on(CustomFieldDefined)
def defined(e: CustomFieldDefined, rows: Rows) -> None:
    d = e.definition
    rows.insert(
        "fields",
        entity=d.entity.value,
        code=d.code,
        label=d.label,
        type=d.type.value,
        options="\n".join(d.options),
        required=d.required,
        position=rows.position,
    )
