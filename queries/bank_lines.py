"""Bank lines waiting for a clerk: the unmatched ones, oldest first."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from projections.catalog import Catalog
from queries.formats import money
from queries.pages import PageRequest, page


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
        stmt = (
            select(t)
            .where(t.c.status == "unmatched")
            .order_by(t.c.position)
            .offset(request.offset)
            .limit(request.limit + 1)
        )
        with self.catalog.engine.connect() as conn:
            rows = [dict(r) for r in conn.execute(stmt).mappings()]
        return page([unmatched_view(r) for r in rows], request)
