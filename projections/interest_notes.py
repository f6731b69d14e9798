"""Interest notes as issued: the period, the rate, the total, and each invoice's line."""

from __future__ import annotations

import json

from sqlalchemy import BigInteger, Column, Date, Index, Integer, MetaData, Numeric, String, Table, Text

from aggregates.interest_note import InterestNoteIssued
from aggregates.partner_merge import PartnerAbsorbed
from projections.catalog import Projection, Rows


def define(meta: MetaData, prefix: str) -> dict[str, Table]:
    notes = Table(
        f"{prefix}notes",
        meta,
        Column("id", String(36), primary_key=True),
        Column("number", String(80), nullable=False),
        Column("partner_id", String(36), nullable=False),
        Column("period_from", Date, nullable=False),
        Column("period_to", Date, nullable=False),
        Column("annual_rate", Numeric(18, 2), nullable=False),
        Column("currency", String(3), nullable=False),
        Column("total", Numeric(18, 2), nullable=False),
        Column("item_id", String(36), nullable=False),
        Column("level", Integer),
        Column("issued_on", Date, nullable=False),
        # The lines as the event holds them (JSON): read whole, never queried into.
        Column("lines", Text, nullable=False),
        Column("position", BigInteger, nullable=False),
    )
    Index(f"{prefix}ix_partner", notes.c.partner_id, notes.c.position)
    return {"notes": notes}


interest_notes = Projection("interest_notes", define)


@interest_notes.on(InterestNoteIssued)
def note_issued(e: InterestNoteIssued, rows: Rows) -> None:
    rows.insert(
        "notes",
        id=str(e.note),
        number=e.number,
        partner_id=str(e.partner),
        period_from=e.period_from,
        period_to=e.period_to,
        annual_rate=e.annual_rate,
        currency=e.currency,
        total=e.total,
        item_id=str(e.item),
        level=e.level,
        issued_on=e.on,
        lines=json.dumps([line.model_dump(mode="json") for line in e.lines]),
        position=rows.position,
    )


@interest_notes.on(PartnerAbsorbed)
def absorbed(e: PartnerAbsorbed, rows: Rows) -> None:
    # The absorbed partner's account, with the notes' receivables, moves to the survivor.
    rows.update("notes", {"partner_id": str(e.absorbed)}, partner_id=str(e.originator_id))
