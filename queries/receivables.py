"""Receivables queries: a partner's balance and open items, the receivables list, aging as of any
date (from the dated movements, so a past date is exact), and payments."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from aggregates.errors import not_found
from aggregates.money import ZERO
from projections.catalog import Catalog
from queries.as_of import AsOf
from queries.formats import money
from queries.pages import Keyset, PageRequest

# SQLite sums NUMERIC as floating point: an item paid in parts may sum to 1e-14, not 0.
HALF_CENT = Decimal("0.005")
BUCKETS = ("current", "d1_30", "d31_60", "d61_90", "d90_plus")


def bucket(days_overdue: int) -> str:
    if days_overdue <= 0:
        return "current"
    if days_overdue <= 30:
        return "d1_30"
    if days_overdue <= 60:
        return "d31_60"
    if days_overdue <= 90:
        return "d61_90"
    return "d90_plus"


def item_view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "kind": row["kind"],
        "document": row["document"],
        "number": row["number"],
        "partner": row["partner_id"],
        "due_date": row["due_date"],
        "booked_on": row["booked_on"],
        "amount": money(row["amount"]),
        "open_amount": money(row["open_amount"]),
        "currency": row["currency"],
        "status": row["status"],
        "settled_on": row["settled_on"],
    }


class ReceivableQueries:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def _t(self, name: str) -> Any:
        return self.catalog.table("receivables", name)

    def open_items(self, partner_id: str) -> list[dict[str, Any]]:
        t = self._t("items")
        stmt = select(t).where(t.c.partner_id == partner_id, t.c.status == "open").order_by(t.c.due_date, t.c.position)
        with self.catalog.engine.connect() as conn:
            return [item_view(dict(r)) for r in conn.execute(stmt).mappings()]

    def totals(self, partner_id: str, conn: Connection | None = None) -> tuple[Decimal, Decimal]:
        """(open receivables, unapplied credit) of the partner; on ``conn`` when the caller holds
        one (a second connection per request can exhaust the pool with every request waiting)."""
        if conn is None:
            with self.catalog.engine.connect() as own:
                return self.totals(partner_id, own)
        items, movements = self._t("items"), self._t("movements")
        open_total = conn.execute(
            select(func.coalesce(func.sum(items.c.open_amount), 0)).where(
                items.c.partner_id == partner_id, items.c.status == "open"
            )
        ).scalar_one()
        unapplied = conn.execute(
            select(func.coalesce(func.sum(movements.c.unapplied), 0)).where(movements.c.partner_id == partner_id)
        ).scalar_one()
        return Decimal(open_total), Decimal(unapplied)

    def as_of(self, partner_ids: list[str], as_of: AsOf, conn: Connection) -> tuple[list[dict[str, Any]], Decimal]:
        """A partner's items open then, with their open amounts then, and its unapplied credit
        then: sums of the dated movements up to the date (or up to the log position of the
        moment), not a replay of the account, so a long history costs an index range. A merge
        leaves the absorbed partners' movements under their ids: ``partner_ids`` names them too."""
        movements = self._t("movements")
        upto = self._movements_upto(as_of, conn)
        open_items = [
            {k: v for k, v in item.items() if k not in ("partner_id", "currency")}
            for item in self.open_then(upto, movements.c.partner_id.in_(partner_ids), conn)
        ]
        unapplied = conn.execute(
            select(func.coalesce(func.sum(movements.c.unapplied), 0)).where(
                movements.c.partner_id.in_(partner_ids), upto
            )
        ).scalar_one()
        return open_items, Decimal(unapplied)

    def open_then(self, upto: Any, which: Any, conn: Connection) -> list[dict[str, Any]]:
        """The items open then (``upto``: the movements up to then) among the movements ``which``
        selects, with their open amounts then, by due date."""
        items, movements = self._t("items"), self._t("movements")
        open_then = func.sum(movements.c.amount)
        still_open = (
            select(movements.c.item_id, open_then.label("open_amount"))
            .where(which, upto, movements.c.item_id.is_not(None))
            .group_by(movements.c.item_id)
            .having(open_then > HALF_CENT)
            .subquery()
        )
        stmt = (
            select(
                items.c.id,
                items.c.partner_id,
                items.c.kind,
                items.c.document,
                items.c.number,
                items.c.due_date,
                items.c.amount,
                items.c.currency,
                still_open.c.open_amount,
            )
            .select_from(still_open.join(items, items.c.id == still_open.c.item_id))
            .order_by(items.c.due_date, items.c.position)
        )
        return [
            {
                "id": item_id,
                "partner_id": partner_id,
                "kind": kind,
                "document": document,
                "number": number,
                "due_date": due_date,
                "amount": money(amount),
                "open_amount": money(open_amount),
                "currency": currency,
            }
            for item_id, partner_id, kind, document, number, due_date, amount, currency, open_amount in conn.execute(
                stmt
            ).all()
        ]

    def open_on(self, day: date, conn: Connection) -> list[dict[str, Any]]:
        """Every partner's items open at the end of ``day`` (a balance confirmation series)."""
        movements = self._t("movements")
        return self.open_then(movements.c.on <= day, movements.c.item_id.is_not(None), conn)

    def item_open_as_of(self, item_id: str, as_of: AsOf, conn: Connection) -> Decimal | None:
        """One item's open amount then (None: not booked then)."""
        movements = self._t("movements")
        upto = self._movements_upto(as_of, conn)
        found = conn.execute(
            select(func.count(), func.sum(movements.c.amount)).where(movements.c.item_id == item_id, upto)
        ).one()
        return Decimal(found[1]) if found[0] else None

    def _movements_upto(self, as_of: AsOf, conn: Connection) -> Any:
        movements = self._t("movements")
        if as_of.day is not None:
            return movements.c.on <= as_of.day
        return movements.c.position <= as_of.last_position(self.catalog, conn)

    def balance_expr(self, partner_column: Any) -> Any:
        """SQL for a partner's balance, for filters over the directory."""
        items, movements = self._t("items"), self._t("movements")
        open_total = (
            select(func.coalesce(func.sum(items.c.open_amount), 0))
            .where(items.c.partner_id == partner_column, items.c.status == "open")
            .scalar_subquery()
        )
        unapplied = (
            select(func.coalesce(func.sum(movements.c.unapplied), 0))
            .where(movements.c.partner_id == partner_column)
            .scalar_subquery()
        )
        return open_total - unapplied

    def items(
        self, request: PageRequest, partner_id: str | None, status: str | None, overdue: bool | None, today: date
    ) -> dict[str, Any]:
        t = self._t("items")
        stmt = select(t)
        if partner_id:
            stmt = stmt.where(t.c.partner_id == partner_id)
        if status:
            stmt = stmt.where(t.c.status == status)
        if overdue is True:
            stmt = stmt.where(t.c.status == "open", t.c.due_date < today)
        elif overdue is False:
            stmt = stmt.where(t.c.due_date >= today)
        keys = Keyset(t.c.due_date, t.c.position, t.c.id)
        with self.catalog.engine.connect() as conn:
            rows = conn.execute(keys.select(stmt, request)).mappings().all()
        return keys.page(rows, request, lambda r: item_view(dict(r)))

    def item(self, item_id: str) -> dict[str, Any]:
        t = self._t("items")
        with self.catalog.engine.connect() as conn:
            row = conn.execute(select(t).where(t.c.id == item_id)).mappings().first()
        if row is None:
            raise not_found("receivable", item_id)
        return item_view(dict(row))

    def item_partner(self, item_id: str) -> str | None:
        t = self._t("items")
        with self.catalog.engine.connect() as conn:
            return conn.execute(select(t.c.partner_id).where(t.c.id == item_id)).scalar()

    def aging(self, as_of: date, partner_id: str | None = None) -> dict[str, Any]:
        """Each item's open amount as of the date (its movements up to then), bucketed by days
        overdue; per partner and in total."""
        items, movements = self._t("items"), self._t("movements")
        open_as_of = func.sum(movements.c.amount)
        stmt = (
            select(items.c.partner_id, items.c.due_date, open_as_of.label("open"))
            .select_from(movements.join(items, items.c.id == movements.c.item_id))
            .where(movements.c.on <= as_of, items.c.booked_on <= as_of)
            .group_by(items.c.id, items.c.partner_id, items.c.due_date)
            .having(open_as_of > 0)
        )
        if partner_id:
            stmt = stmt.where(items.c.partner_id == partner_id)
        per_partner: dict[str, dict[str, Decimal]] = {}
        with self.catalog.engine.connect() as conn:
            for pid, due, amount in conn.execute(stmt).all():
                row = per_partner.setdefault(pid, {b: ZERO for b in BUCKETS})
                row[bucket((as_of - due).days)] += Decimal(amount)
        total = {b: ZERO for b in BUCKETS}
        partners = []
        names = self._partner_names(list(per_partner))
        for pid in sorted(per_partner, key=lambda p: names.get(p, ("", ""))):
            row = per_partner[pid]
            for b in BUCKETS:
                total[b] += row[b]
            code, name = names.get(pid, ("", ""))
            partners.append(
                {
                    "partner": pid,
                    "code": code,
                    "name": name,
                    **{b: money(row[b]) for b in BUCKETS},
                    "total": money(sum(row.values(), ZERO)),
                }
            )
        return {
            "as_of": as_of,
            "partners": partners,
            "total": {**{b: money(total[b]) for b in BUCKETS}, "total": money(sum(total.values(), ZERO))},
        }

    def _partner_names(self, ids: list[str]) -> dict[str, tuple[str, str]]:
        if not ids:
            return {}
        t = self.catalog.table("partner_directory", "partners")
        with self.catalog.engine.connect() as conn:
            rows = conn.execute(select(t.c.id, t.c.code, t.c.name).where(t.c.id.in_(ids))).all()
        return {r[0]: (r[1], r[2]) for r in rows}

    def payments(self, request: PageRequest, partner_ids: list[str] | None) -> dict[str, Any]:
        t = self._t("payments")
        stmt = select(t)
        if partner_ids is not None:
            stmt = stmt.where(t.c.partner_id.in_(partner_ids))
        keys = Keyset(t.c.date.desc(), t.c.position.desc(), t.c.id)
        with self.catalog.engine.connect() as conn:
            rows = conn.execute(keys.select(stmt, request)).mappings().all()
        return keys.page(rows, request, lambda r: payment_view(dict(r)))

    def payment(self, payment_id: str) -> dict[str, Any] | None:
        t = self._t("payments")
        with self.catalog.engine.connect() as conn:
            row = conn.execute(select(t).where(t.c.id == payment_id)).mappings().first()
        return payment_view(dict(row)) if row else None

    def counts(self, partner_ids: list[str]) -> dict[str, Any]:
        t = self._t("payments")
        with self.catalog.engine.connect() as conn:
            n, total = conn.execute(
                select(func.count(), func.coalesce(func.sum(t.c.amount), 0)).where(t.c.partner_id.in_(partner_ids))
            ).one()
        return {"count": int(n), "total": Decimal(total)}


def payment_view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "number": row["number"],
        "partner": row["partner_id"],
        "amount": money(row["amount"]),
        "currency": row["currency"],
        "date": row["date"],
        "reference": row["reference"],
        "allocations": [{"item": a["item"], "amount": money(a["amount"])} for a in json.loads(row["allocations"])],
        "unapplied": money(row["unapplied"]),
    }
