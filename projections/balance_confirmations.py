"""Balance confirmations as sent, and each customer's answer: who confirmed, who disputed, who has
not answered yet; and each series' progress, so that the preparer finds one that stalled."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import BigInteger, Boolean, Column, Date, DateTime, Index, MetaData, Numeric, String, Table, Text

from aggregates.balance_confirmation import (
    BalanceConfirmationConfirmed,
    BalanceConfirmationDisputed,
    BalanceConfirmationSent,
    BalanceConfirmationSeriesCompleted,
    BalanceConfirmationSeriesStarted,
    BalanceConfirmationsQueued,
)
from aggregates.base import DomainEvent
from aggregates.partner_merge import PartnerAbsorbed
from projections.catalog import Projection, Rows


def define(meta: MetaData, prefix: str) -> dict[str, Table]:
    confirmations = Table(
        f"{prefix}confirmations",
        meta,
        Column("id", String(36), primary_key=True),
        Column("series", String(36), nullable=False),
        Column("number", String(80), nullable=False),
        Column("partner_id", String(36), nullable=False),
        Column("as_of", Date, nullable=False),
        Column("channel", String(10), nullable=False),
        Column("currency", String(3), nullable=False),
        Column("total", Numeric(18, 2), nullable=False),
        # The items and the totals per currency as the event holds them (JSON): read whole, never
        # queried into.
        Column("items", Text, nullable=False),
        Column("totals", Text, nullable=False),
        Column("message", String(36), nullable=False),
        Column("sent_on", Date, nullable=False),
        Column("status", String(10), nullable=False),
        Column("comment", Text, nullable=False),
        Column("answered_on", Date),
        Column("answered_by", String(80)),
        Column("position", BigInteger, nullable=False),
    )
    Index(f"{prefix}ix_as_of", confirmations.c.as_of, confirmations.c.status, confirmations.c.position)
    Index(f"{prefix}ix_partner", confirmations.c.partner_id, confirmations.c.position)
    series = Table(
        f"{prefix}series",
        meta,
        Column("id", String(36), primary_key=True),
        Column("completed", Boolean, nullable=False),
        # When the last batch was recorded on the wall clock: how long a preparation has stalled.
        Column("progressed_at", DateTime(timezone=True), nullable=False),
        Column("position", BigInteger, nullable=False),
    )
    Index(f"{prefix}ix_series_stalled", series.c.completed, series.c.progressed_at)
    return {"confirmations": confirmations, "series": series}


balance_confirmations = Projection("balance_confirmations", define)


def _wall(e: DomainEvent) -> datetime:
    moment = e.timestamp
    if moment is None:
        return datetime.now(UTC)
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


@balance_confirmations.on(BalanceConfirmationSeriesStarted)
def series_started(e: BalanceConfirmationSeriesStarted, rows: Rows) -> None:
    rows.insert("series", id=str(e.originator_id), completed=False, progressed_at=_wall(e), position=rows.position)


@balance_confirmations.on(BalanceConfirmationsQueued, BalanceConfirmationSeriesCompleted)
def series_progressed(e: BalanceConfirmationsQueued | BalanceConfirmationSeriesCompleted, rows: Rows) -> None:
    done = isinstance(e, BalanceConfirmationSeriesCompleted)
    rows.update("series", {"id": str(e.originator_id)}, completed=done, progressed_at=_wall(e))


@balance_confirmations.on(BalanceConfirmationSent)
def sent(e: BalanceConfirmationSent, rows: Rows) -> None:
    rows.insert(
        "confirmations",
        id=str(e.originator_id),
        series=str(e.series),
        number=e.number,
        partner_id=str(e.partner),
        as_of=e.as_of,
        channel=e.channel.value,
        currency=e.currency,
        total=e.total,
        items=json.dumps([{**i.model_dump(mode="json"), "currency": i.currency or e.currency} for i in e.items]),
        # Confirmations sent before totals per currency were in one currency.
        totals=json.dumps(
            [t.model_dump(mode="json") for t in e.totals] or [{"currency": e.currency, "total": str(e.total)}]
        ),
        message=str(e.message),
        sent_on=e.on,
        status="pending",
        comment="",
        answered_on=None,
        answered_by=None,
        position=rows.position,
    )


@balance_confirmations.on(BalanceConfirmationConfirmed, BalanceConfirmationDisputed)
def answered(e: BalanceConfirmationConfirmed | BalanceConfirmationDisputed, rows: Rows) -> None:
    status = "confirmed" if isinstance(e, BalanceConfirmationConfirmed) else "disputed"
    rows.update(
        "confirmations",
        {"id": str(e.originator_id)},
        status=status,
        comment=e.comment,
        answered_on=e.on,
        answered_by=e.by,
    )


@balance_confirmations.on(PartnerAbsorbed)
def absorbed(e: PartnerAbsorbed, rows: Rows) -> None:
    rows.update("confirmations", {"partner_id": str(e.absorbed)}, partner_id=str(e.originator_id))
