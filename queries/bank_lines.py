"""Bank lines waiting for a clerk: the unmatched ones, oldest first."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from projections.catalog import Catalog
from queries.formats import money
from queries.pages import Keyset, PageRequest


def unmatched_view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["line"],
        "date": row["date"],
        "amount": money(row["amount"]),
        "currency": row["currency"],
        "reference": row["reference"],
        "iban": row["iban"],
        "reason": row["reason"],
    }


class BankLineQueries:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def unmatched(self, request: PageRequest) -> dict[str, Any]:
        t = self.catalog.table("bank_lines", "lines")
        keys = Keyset(t.c.position, t.c.id)
        stmt = keys.select(select(t).where(t.c.status == "unmatched"), request)
        with self.catalog.engine.connect() as conn:
            rows = conn.execute(stmt).mappings().all()
        return keys.page(rows, request, lambda r: unmatched_view(dict(r)))
