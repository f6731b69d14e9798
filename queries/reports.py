"""Reports over the profitability facts and the documents: any grouping is one query."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal, get_args

from sqlalchemy import func, select

from aggregates.errors import Invalid
from projections.catalog import Catalog
from queries.formats import money

Grouping = Literal["partner", "group", "sales_rep", "product"]
GROUPINGS: tuple[str, ...] = get_args(Grouping)
ACCEPTED = ("accepted", "partially_ordered", "ordered")


def ratio(part: Decimal, whole: Decimal) -> str | None:
    if whole == 0:
        return None
    return str((part * 100 / whole).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def figures(revenue: Decimal, cost: Decimal, other: Decimal) -> dict[str, Any]:
    margin = revenue - cost
    return {
        "revenue": money(revenue),
        "cost": money(cost),
        "margin": money(margin),
        "markup_percent": ratio(margin, cost),
        "margin_percent": ratio(margin, revenue),
        "other_income": money(other),
    }


class ReportQueries:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def _labels(self, group_by: str, keys: list[str]) -> dict[str, str]:
        keys = [k for k in keys if k]
        if not keys or group_by == "product":
            return {k: k for k in keys}
        table, key, label = {
            "partner": (("partner_directory", "partners"), "id", "name"),
            "group": (("partner_groups", "groups"), "code", "name"),
            "sales_rep": (("users", "users"), "username", "name"),
        }[group_by]
        t = self.catalog.table(*table)
        with self.catalog.engine.connect() as conn:
            return dict(conn.execute(select(t.c[key], t.c[label]).where(t.c[key].in_(keys))).all())

    def profitability(self, start: date | None, end: date | None, group_by: str) -> dict[str, Any]:
        if group_by not in GROUPINGS:
            raise Invalid(["query", "group_by"], f"group_by is one of {', '.join(GROUPINGS)}")
        t = self.catalog.table("profitability", "facts")
        column = {
            "partner": t.c.partner_id,
            "group": t.c.group_code,
            "sales_rep": t.c.sales_rep,
            "product": t.c.product,
        }[group_by]
        stmt = select(column, func.sum(t.c.revenue), func.sum(t.c.cost), func.sum(t.c.other_income)).group_by(column)
        if start:
            stmt = stmt.where(t.c.date >= start)
        if end:
            stmt = stmt.where(t.c.date <= end)
        with self.catalog.engine.connect() as conn:
            sums = [(k, Decimal(r or 0), Decimal(c or 0), Decimal(o or 0)) for k, r, c, o in conn.execute(stmt).all()]
        labels = self._labels(group_by, [k for k, *_ in sums])
        rows = [
            {"key": key, "label": labels.get(key, key) if key else "(none)", **figures(r, c, o)}
            for key, r, c, o in sorted(sums, key=lambda s: (s[0] is None, str(s[0])))
        ]
        total = figures(
            sum((s[1] for s in sums), Decimal(0)),
            sum((s[2] for s in sums), Decimal(0)),
            sum((s[3] for s in sums), Decimal(0)),
        )
        return {"from": start, "to": end, "group_by": group_by, "rows": rows, "total": total}

    def sales_reps(self, start: date | None, end: date | None) -> dict[str, Any]:
        docs = self.catalog.table("documents", "documents")
        facts = self.catalog.table("profitability", "facts")
        reps_table = self.catalog.table("partner_directory", "reps")
        partners = self.catalog.table("partner_directory", "partners")
        period = []
        if start:
            period.append(docs.c.issue_date >= start)
        if end:
            period.append(docs.c.issue_date <= end)
        fact_period = []
        if start:
            fact_period.append(facts.c.date >= start)
        if end:
            fact_period.append(facts.c.date <= end)
        issued = docs.c.status.notin_(("draft", "cancelled"))
        with self.catalog.engine.connect() as conn:
            partner_counts: dict[str, int] = dict(
                conn.execute(
                    select(reps_table.c.username, func.count())
                    .select_from(reps_table.join(partners, partners.c.id == reps_table.c.partner_id))
                    .where(partners.c.status == "active")
                    .group_by(reps_table.c.username)
                ).all()
            )
            doc_rows = conn.execute(
                select(docs.c.sales_rep, docs.c.type, docs.c.status, func.count())
                .where(issued, docs.c.type.in_(("quote", "order")), *period)
                .group_by(docs.c.sales_rep, docs.c.type, docs.c.status)
            ).all()
            money_rows = conn.execute(
                select(facts.c.sales_rep, func.sum(facts.c.revenue), func.sum(facts.c.cost))
                .where(facts.c.kind.in_(("invoice", "credit_note")), *fact_period)
                .group_by(facts.c.sales_rep)
            ).all()
        reps: dict[str, dict[str, Any]] = {}

        def rep(name: str) -> dict[str, Any]:
            return reps.setdefault(
                name,
                {
                    "sales_rep": name,
                    "partners": partner_counts.get(name, 0),
                    "quotes_sent": 0,
                    "quotes_accepted": 0,
                    "orders": 0,
                    "revenue": Decimal(0),
                    "margin": Decimal(0),
                },
            )

        for name in partner_counts:
            rep(name)
        for name, doc_type, status, n in doc_rows:
            if not name:
                continue
            r = rep(name)
            if doc_type == "quote":
                r["quotes_sent"] += n
                if status in ACCEPTED:
                    r["quotes_accepted"] += n
            else:
                r["orders"] += n
        for name, revenue, cost in money_rows:
            if not name:
                continue
            r = rep(name)
            r["revenue"] += Decimal(revenue or 0)
            r["margin"] += Decimal(revenue or 0) - Decimal(cost or 0)
        labels = self._labels("sales_rep", list(reps))
        rows = []
        for name in sorted(reps):
            r = reps[name]
            rows.append(
                {**r, "name": labels.get(name, name), "revenue": money(r["revenue"]), "margin": money(r["margin"])}
            )
        return {"from": start, "to": end, "rows": rows}
