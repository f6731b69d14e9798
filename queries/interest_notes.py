"""Interest note queries: one note with its lines and what is still open of it, and a partner's
notes, newest first."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from aggregates.errors import not_found
from projections.catalog import Catalog
from queries.formats import money
from queries.pages import Keyset, PageRequest


def render(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "number": row["number"],
        "partner": row["partner_id"],
        "from": row["period_from"],
        "to": row["period_to"],
        "annual_rate": money(row["annual_rate"]),
        "currency": row["currency"],
        "total": money(row["total"]),
        "open_amount": money(row["open_amount"]) if row["open_amount"] is not None else money(row["total"]),
        "status": row["status"] or "open",
        "issue_date": row["issued_on"],
        "level": row["level"],
        "lines": json.loads(row["lines"]),
    }


class InterestNoteQueries:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def _select(self) -> Any:
        """The notes with their receivable's open amount and status (open, settled, waived)."""
        n = self.catalog.table("interest_notes", "notes")
        items = self.catalog.table("receivables", "items")
        joined = n.outerjoin(items, items.c.id == n.c.item_id)
        return n, select(n, items.c.open_amount, items.c.status).select_from(joined)

    def get(self, note_id: str) -> dict[str, Any]:
        n, stmt = self._select()
        with self.catalog.engine.connect() as conn:
            row = conn.execute(stmt.where(n.c.id == note_id.strip())).mappings().first()
        if row is None:
            raise not_found("interest note", note_id)
        return render(dict(row))

    def for_partner(self, partner_id: str | None, request: PageRequest) -> dict[str, Any]:
        n, stmt = self._select()
        if partner_id is not None:
            stmt = stmt.where(n.c.partner_id == partner_id)
        keys = Keyset(n.c.position.desc())
        with self.catalog.engine.connect() as conn:
            rows = conn.execute(keys.select(stmt, request)).mappings().all()
        return keys.page(rows, request, lambda r: render(dict(r)))
