"""Bank lines that matched no partner, for a clerk to assign; an assigned line leaves the list but
keeps its row (which payment it became)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Date, Index, MetaData, Numeric, String, Table

from aggregates.bank_line import BankLineAssigned, BankLineUnmatched
from projections.catalog import Projection, Rows


def define(meta: MetaData, prefix: str) -> dict[str, Table]:
    lines = Table(
        f"{prefix}lines",
        meta,
        Column("id", String(36), primary_key=True),
        Column("line", String(200), nullable=False),
        Column("date", Date, nullable=False),
        Column("amount", Numeric(18, 2), nullable=False),
        Column("currency", String(3), nullable=False),
        Column("reference", String(200), nullable=False),
        Column("partner_code", String(40)),
        Column("iban", String(34)),
        Column("reason", String(2000), nullable=False),
        Column("status", String(10), nullable=False),
        Column("partner_id", String(36)),
        Column("payment_id", String(36)),
        Column("position", BigInteger, nullable=False),
    )
    Index(f"{prefix}ix_line", lines.c.line, unique=True)
    Index(f"{prefix}ix_status", lines.c.status, lines.c.position)
    return {"lines": lines}


bank_lines = Projection("bank_lines", define)


@bank_lines.on(BankLineUnmatched)
def unmatched(e: BankLineUnmatched, rows: Rows) -> None:
    rows.insert(
        "lines",
        id=str(e.originator_id),
        line=e.line,
        date=e.date,
        amount=e.amount,
        currency=e.currency,
        reference=e.reference,
        partner_code=e.partner_code,
        iban=e.iban,
        reason=e.reason,
        status="unmatched",
        partner_id=None,
        payment_id=None,
        position=rows.position,
    )


@bank_lines.on(BankLineAssigned)
def assigned(e: BankLineAssigned, rows: Rows) -> None:
    rows.update(
        "lines", {"id": str(e.originator_id)}, status="assigned", partner_id=str(e.partner), payment_id=str(e.payment)
    )
