"""Recurring invoice templates with their next date, count and invoices."""

from __future__ import annotations

import json

from sqlalchemy import Column, Date, Index, Integer, MetaData, String, Table, Text

from aggregates.recurring_invoice import (
    RecurringInvoiceCreated,
    RecurringInvoiceFinished,
    RecurringInvoiceGenerated,
    RecurringInvoiceResumed,
    RecurringInvoiceSuspended,
)
from projections.catalog import Projection, Rows


def define(meta: MetaData, prefix: str) -> dict[str, Table]:
    templates = Table(
        f"{prefix}templates",
        meta,
        Column("id", String(36), primary_key=True),
        Column("partner_id", String(36), nullable=False),
        Column("status", String(12), nullable=False),
        Column("next_date", Date, nullable=False),
        Column("days_ahead", Integer, nullable=False),
        Column("count", Integer, nullable=False),
        Column("version", Integer, nullable=False),
        Column("invoices", Text, nullable=False),
        Column("schedule", Text, nullable=False),
    )
    Index(f"{prefix}ix_due", templates.c.status, templates.c.next_date)
    Index(f"{prefix}ix_partner", templates.c.partner_id)
    return {"templates": templates}


recurring_invoices = Projection("recurring_invoices", define)


@recurring_invoices.on(RecurringInvoiceCreated)
def created(e: RecurringInvoiceCreated, rows: Rows) -> None:
    s = e.schedule
    rows.insert(
        "templates",
        id=str(e.originator_id),
        partner_id=str(s.partner),
        status="active",
        next_date=s.first_date,
        days_ahead=s.days_ahead,
        count=0,
        version=e.originator_version,
        invoices="[]",
        schedule=json.dumps(s.model_dump(mode="json"), sort_keys=True),
    )


@recurring_invoices.on(RecurringInvoiceGenerated)
def generated(e: RecurringInvoiceGenerated, rows: Rows) -> None:
    row = rows.get("templates", id=str(e.originator_id))
    assert row is not None
    invoices = [*json.loads(row["invoices"]), {"id": str(e.invoice), "date": e.schedule_date.isoformat()}]
    rows.update(
        "templates",
        {"id": row["id"]},
        next_date=e.next_date,
        count=e.count,
        invoices=json.dumps(invoices),
        version=e.originator_version,
    )


@recurring_invoices.on(RecurringInvoiceResumed)
def resumed(e: RecurringInvoiceResumed, rows: Rows) -> None:
    rows.update(
        "templates", {"id": str(e.originator_id)}, status="active", next_date=e.next_date, version=e.originator_version
    )


@recurring_invoices.on(RecurringInvoiceSuspended)
def suspended(e: RecurringInvoiceSuspended, rows: Rows) -> None:
    rows.update("templates", {"id": str(e.originator_id)}, status="suspended", version=e.originator_version)


@recurring_invoices.on(RecurringInvoiceFinished)
def finished(e: RecurringInvoiceFinished, rows: Rows) -> None:
    rows.update("templates", {"id": str(e.originator_id)}, status="finished", version=e.originator_version)
