"""Balance confirmation queries: the plan of a series (every partner's items open at the date,
from the receivables' dated movements), one confirmation, and the list of who answered."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select

from aggregates.balance_confirmation import ConfirmedItem
from aggregates.errors import not_found
from commands.balance_confirmations import Planned
from projections.catalog import Catalog
from queries.batches import stalled
from queries.formats import money
from queries.pages import Keyset, PageRequest
from queries.receivables import ReceivableQueries


def render(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "number": row["number"],
        "series": row["series"],
        "partner": row["partner_id"],
        "as_of": row["as_of"],
        "channel": row["channel"],
        "currency": row["currency"],
        "items": json.loads(row["items"]),
        "total": money(row["total"]),
        "totals": json.loads(row["totals"]),
        "message": row["message"],
        "sent_on": row["sent_on"],
        "status": row["status"],
        "comment": row["comment"],
        "answered_on": row["answered_on"],
        "answered_by": row["answered_by"],
    }


class BalanceConfirmationQueries:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.receivables = ReceivableQueries(catalog)

    def plan(self, as_of: date, partners: tuple[UUID, ...], groups: tuple[str, ...]) -> list[Planned]:
        """The partners with items open at the end of ``as_of`` (all of them, or those named and
        those in the groups), in id order. A merge leaves the absorbed partners' items under their
        ids: they count for the survivor."""
        directory = self.catalog.table("partner_directory", "partners")
        with self.catalog.engine.connect() as conn:
            items = self.receivables.open_on(as_of, conn)
            who = conn.execute(select(directory.c.id, directory.c.merged_into, directory.c.group_code)).all()
        survivor = {pid: merged_into or pid for pid, merged_into, _ in who}
        group_of = {pid: group for pid, _, group in who}
        wanted = {str(p) for p in partners}
        per_partner: dict[str, list[dict[str, Any]]] = {}
        for item in items:
            owner = survivor.get(item["partner_id"], item["partner_id"])
            if (partners or groups) and owner not in wanted and group_of.get(owner) not in groups:
                continue
            per_partner.setdefault(owner, []).append(item)
        return [
            Planned(
                partner=UUID(pid),
                items=[
                    ConfirmedItem(
                        item=UUID(r["id"]),
                        kind=r["kind"],
                        document=UUID(r["document"]) if r["document"] else None,
                        number=r["number"],
                        due_date=r["due_date"],
                        amount=r["amount"],
                        open_amount=r["open_amount"],
                        currency=r["currency"],
                    )
                    for r in rows
                ],
            )
            for pid, rows in sorted(per_partner.items())
        ]

    def get(self, confirmation_id: str, partner_id: str | None = None) -> dict[str, Any]:
        """One confirmation; ``partner_id`` (the portal's) answers another partner's as unknown."""
        t = self.catalog.table("balance_confirmations", "confirmations")
        stmt = select(t).where(t.c.id == confirmation_id.strip())
        if partner_id is not None:
            stmt = stmt.where(t.c.partner_id == partner_id)
        with self.catalog.engine.connect() as conn:
            row = conn.execute(stmt).mappings().first()
        if row is None:
            raise not_found("balance confirmation", confirmation_id)
        return render(dict(row))

    def list(
        self,
        request: PageRequest,
        as_of: date | None = None,
        status: str | None = None,
        partner_id: str | None = None,
    ) -> dict[str, Any]:
        t = self.catalog.table("balance_confirmations", "confirmations")
        stmt = select(t)
        if as_of is not None:
            stmt = stmt.where(t.c.as_of == as_of)
        if status is not None:
            stmt = stmt.where(t.c.status == status)
        if partner_id is not None:
            stmt = stmt.where(t.c.partner_id == partner_id)
        keys = Keyset(t.c.position.desc())
        with self.catalog.engine.connect() as conn:
            rows = conn.execute(keys.select(stmt, request)).mappings().all()
        return keys.page(rows, request, lambda r: render(dict(r)))

    def stalled(self, progressed_before: datetime, limit: int = 10) -> tuple[UUID, ...]:
        """Series whose preparation has not moved since ``progressed_before`` (wall clock): the
        process sending them stopped."""
        t = self.catalog.table("balance_confirmations", "series")
        return tuple(stalled(self.catalog.engine, t, t.c.completed, t.c.position, progressed_before, limit))
