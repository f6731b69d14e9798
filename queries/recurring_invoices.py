"""Recurring invoice queries."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import select

from aggregates.errors import not_found
from projections.catalog import Catalog
from queries.formats import money
from queries.pages import Keyset, PageRequest


def render(row: dict[str, Any]) -> dict[str, Any]:
    s = json.loads(row["schedule"])
    return {
        "id": row["id"],
        "partner": row["partner_id"],
        "status": row["status"],
        "version": row["version"],
        "next_date": row["next_date"],
        "count": row["count"],
        "invoices": [i["id"] for i in json.loads(row["invoices"])],
        "frequency": s["frequency"],
        "first_date": s["first_date"],
        "end_date": s["end_date"],
        "max_count": s["max_count"],
        "auto_issue": s["auto_issue"],
        "send_email": s["send_email"],
        "payment_terms_days": s["payment_terms_days"],
        "days_ahead": s["days_ahead"],
        "lines": [
            {
                **line,
                "unit_price": money(line["unit_price"]),
                "unit_cost": money(line["unit_cost"]),
                "discount_percent": money(line["discount_percent"]),
                "tax_rate": money(line["tax_rate"]),
            }
            for line in s["lines"]
        ],
    }


class RecurringQueries:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    @property
    def table(self) -> Any:
        return self.catalog.table("recurring_invoices", "templates")

    def get(self, template_id: str) -> dict[str, Any]:
        t = self.table
        with self.catalog.engine.connect() as conn:
            row = conn.execute(select(t).where(t.c.id == template_id)).mappings().first()
        if row is None:
            raise not_found("recurring invoice", template_id)
        return render(dict(row))

    def search(self, request: PageRequest, partner_id: str | None, status: str | None) -> dict[str, Any]:
        t = self.table
        stmt = select(t)
        if partner_id:
            stmt = stmt.where(t.c.partner_id == partner_id)
        if status:
            stmt = stmt.where(t.c.status == status)
        keys = Keyset(t.c.next_date, t.c.id)
        with self.catalog.engine.connect() as conn:
            rows = conn.execute(keys.select(stmt, request)).mappings().all()
        return keys.page(rows, request, lambda r: render(dict(r)))

    def due(self, day: date) -> list[UUID]:
        """Active templates with an invoice due by ``day`` (counting their days ahead)."""
        t = self.table
        horizon = day + timedelta(days=366)
        stmt = select(t.c.id, t.c.next_date, t.c.days_ahead).where(t.c.status == "active", t.c.next_date <= horizon)
        with self.catalog.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        return [UUID(i) for i, next_date, ahead in rows if next_date - timedelta(days=ahead) <= day]
