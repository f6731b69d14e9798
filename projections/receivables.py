"""Receivables: open items with their open amounts, every dated movement of an item or of
unapplied credit (so balances and aging can be computed as of any past date), and payments."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Column, Date, Index, Integer, MetaData, Numeric, String, Table, Text, select

from aggregates.account import (
    AccountAbsorbed,
    ChargeWaived,
    CreditNoteAllocated,
    ItemCancelled,
    PaymentAllocated,
    ReceivableBooked,
    UnappliedCreditUsed,
)
from aggregates.money import ZERO
from aggregates.payment import PaymentReceived
from projections.catalog import Projection, Rows


def define(meta: MetaData, prefix: str) -> dict[str, Table]:
    items = Table(
        f"{prefix}items",
        meta,
        Column("id", String(36), primary_key=True),
        Column("partner_id", String(36), nullable=False),
        Column("kind", String(10), nullable=False),
        Column("document", String(36)),
        Column("number", String(80)),
        Column("due_date", Date, nullable=False),
        Column("booked_on", Date, nullable=False),
        Column("amount", Numeric(18, 2), nullable=False),
        Column("open_amount", Numeric(18, 2), nullable=False),
        Column("currency", String(3), nullable=False),
        Column("status", String(10), nullable=False),
        Column("settled_on", Date),
        Column("position", BigInteger, nullable=False),
    )
    Index(f"{prefix}ix_items_partner", items.c.partner_id, items.c.status, items.c.due_date)
    Index(f"{prefix}ix_items_due", items.c.status, items.c.due_date)
    movements = Table(
        f"{prefix}movements",
        meta,
        Column("position", BigInteger, primary_key=True, autoincrement=False),
        Column("seq", Integer, primary_key=True, autoincrement=False),
        Column("item_id", String(36)),
        Column("partner_id", String(36), nullable=False),
        Column("on", Date, nullable=False),
        Column("amount", Numeric(18, 2), nullable=False),
        Column("unapplied", Numeric(18, 2), nullable=False),
    )
    Index(f"{prefix}ix_mov_partner", movements.c.partner_id, movements.c.on)
    Index(f"{prefix}ix_mov_item", movements.c.item_id, movements.c.on)
    payments = Table(
        f"{prefix}payments",
        meta,
        Column("id", String(36), primary_key=True),
        Column("number", String(80), nullable=False),
        Column("partner_id", String(36), nullable=False),
        Column("amount", Numeric(18, 2), nullable=False),
        Column("currency", String(3), nullable=False),
        Column("date", Date, nullable=False),
        Column("reference", Text, nullable=False),
        Column("allocations", Text, nullable=False),
        Column("unapplied", Numeric(18, 2), nullable=False),
        Column("position", BigInteger, nullable=False),
    )
    Index(f"{prefix}ix_pay_partner", payments.c.partner_id, payments.c.date)
    return {"items": items, "movements": movements, "payments": payments}


receivables = Projection("receivables", define)


def _movement(rows: Rows, seq: int, partner: Any, on: Any, item: Any, amount: Decimal, unapplied: Decimal) -> None:
    rows.insert(
        "movements",
        position=rows.position,
        seq=seq,
        item_id=str(item) if item else None,
        partner_id=str(partner),
        on=on,
        amount=amount,
        unapplied=unapplied,
    )


@receivables.on(ReceivableBooked)
def booked(e: ReceivableBooked, rows: Rows) -> None:
    item = e.item
    rows.insert(
        "items",
        id=str(item.item_id),
        partner_id=str(e.partner),
        kind=item.kind.value,
        document=str(item.document) if item.document else None,
        number=item.number,
        due_date=item.due_date,
        booked_on=item.booked_on,
        amount=item.amount,
        open_amount=item.amount,
        currency=item.currency,
        status="open",
        settled_on=None,
        position=rows.position,
    )
    _movement(rows, 0, e.partner, item.booked_on, item.item_id, item.amount, ZERO)


def _settle(rows: Rows, e: Any, on: Any, unapplied: Decimal) -> None:
    for seq, a in enumerate(e.allocations, start=1):
        row = rows.get("items", id=str(a.item_id))
        assert row is not None
        left = Decimal(row["open_amount"]) - a.amount
        values: dict[str, Any] = {"open_amount": left}
        if left <= 0:
            values.update(status="settled", settled_on=on)
        rows.update("items", {"id": row["id"]}, **values)
        _movement(rows, seq, e.partner, on, a.item_id, -a.amount, ZERO)
    if unapplied:
        _movement(rows, 0, e.partner, on, None, ZERO, unapplied)


@receivables.on(PaymentAllocated, CreditNoteAllocated)
def allocated(e: PaymentAllocated | CreditNoteAllocated, rows: Rows) -> None:
    _settle(rows, e, e.on, e.unapplied)
    if isinstance(e, PaymentAllocated):
        rows.update(
            "payments",
            {"id": str(e.payment)},
            allocations=json.dumps([{"item": str(a.item_id), "amount": str(a.amount)} for a in e.allocations]),
            unapplied=e.unapplied,
        )


def _unused_credit(rows: Rows, partner: Any) -> list[list[Any]]:
    """The partner's unapplied credit not yet used, oldest first, as ``[day received, amount]``
    (credit is used first in, first out)."""
    m = rows.tables["movements"]
    stmt = (
        select(m.c.on, m.c.unapplied)
        .where(m.c.partner_id == str(partner), m.c.item_id.is_(None), m.c.unapplied != 0)
        .order_by(m.c.position, m.c.seq)
    )
    chunks: list[list[Any]] = []
    used = ZERO
    for day, amount in rows.conn.execute(stmt).all():
        if Decimal(amount) > 0:
            chunks.append([day, Decimal(amount)])
        else:
            used -= Decimal(amount)
    while chunks and used > 0:
        take = min(used, chunks[0][1])
        chunks[0][1] -= take
        used -= take
        if chunks[0][1] <= 0:
            chunks.pop(0)
    return chunks


@receivables.on(UnappliedCreditUsed)
def credit_used(e: UnappliedCreditUsed, rows: Rows) -> None:
    # An item booked with a past date takes earlier credit on its booking date, but credit that
    # arrived later only from the day it arrived: aging as of a day in between still shows it open.
    chunks = _unused_credit(rows, e.partner)
    seq = 0
    for a in e.allocations:
        row = rows.get("items", id=str(a.item_id))
        assert row is not None
        left, last = a.amount, e.on
        while left > 0:
            if chunks:
                day, available = chunks[0]
                share = min(left, available)
                chunks[0][1] -= share
                if chunks[0][1] <= 0:
                    chunks.pop(0)
            else:  # not expected: the account never uses more credit than it has
                day, share = e.on, left
            last = max(e.on, day)
            left -= share
            _movement(rows, seq + 1, e.partner, last, a.item_id, -share, ZERO)
            _movement(rows, seq + 2, e.partner, last, None, ZERO, -share)
            seq += 2
        open_left = Decimal(row["open_amount"]) - a.amount
        values: dict[str, Any] = {"open_amount": open_left}
        if open_left <= 0:
            values.update(status="settled", settled_on=last)
        rows.update("items", {"id": row["id"]}, **values)


@receivables.on(ItemCancelled, ChargeWaived)
def removed(e: ItemCancelled | ChargeWaived, rows: Rows) -> None:
    row = rows.get("items", id=str(e.item_id))
    assert row is not None
    status = "cancelled" if isinstance(e, ItemCancelled) else "waived"
    rows.update("items", {"id": row["id"]}, open_amount=ZERO, status=status, settled_on=e.on)
    _movement(rows, 0, e.partner, e.on, e.item_id, -Decimal(row["open_amount"]), ZERO)


@receivables.on(PaymentReceived)
def payment(e: PaymentReceived, rows: Rows) -> None:
    rows.insert(
        "payments",
        id=str(e.originator_id),
        number=e.number,
        partner_id=str(e.partner),
        amount=e.amount,
        currency=e.currency,
        date=e.date,
        reference=e.reference,
        allocations="[]",
        unapplied=ZERO,
        position=rows.position,
    )


@receivables.on(AccountAbsorbed)
def absorbed(e: AccountAbsorbed, rows: Rows) -> None:
    for moved in e.items:
        rows.update("items", {"id": str(moved.item.item_id)}, partner_id=str(e.partner))
    if e.unapplied:
        _movement(rows, 0, e.partner, e.on, None, ZERO, e.unapplied)
        _movement(rows, 1, e.absorbed_partner, e.on, None, ZERO, -e.unapplied)
