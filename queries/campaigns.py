"""Campaign queries: the campaigns, their target selection (who the criteria pick and why) and
their effectiveness.

Target selection is one query over the read models: the partner directory (group, tags, status),
the profitability facts (last sale, revenue, products) and the interest-area subscriptions. Sales
of a partner merged into another count for the survivor; merged partners are never targets."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Date,
    Numeric,
    Select,
    String,
    and_,
    case,
    cast,
    distinct,
    exists,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.engine import Connection

from aggregates.campaign import Target
from aggregates.errors import not_found
from projections.catalog import Catalog
from queries.formats import money
from queries.pages import Keyset, PageRequest
from queries.reports import ratio

SALES = ("invoice", "credit_note")
ORDERING = ("order", "invoice")
NOT_ORDERED = ("draft", "cancelled")


def render_target(target: dict[str, Any]) -> dict[str, Any]:
    min_revenue = target.get("min_revenue")
    return {**target, "min_revenue": money(min_revenue) if min_revenue is not None else None}


def render(row: dict[str, Any], costs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "code": row["code"],
        "name": row["name"],
        "start_date": row["start_date"],
        "end_date": row["end_date"],
        "channel": row["channel"],
        "template": row["template"],
        "target": render_target(json.loads(row["target"])),
        "cost": money(row["cost"]),
        "costs": [{"date": c["date"], "amount": money(c["amount"]), "description": c["description"]} for c in costs],
        "total_cost": money(row["total_cost"]),
        "status": row["status"],
        "planned_on": row["planned_on"],
        "launched_on": row["launched_on"],
        "mailing": row["mailing_id"],
        "targeted": row["targeted"],
        "version": row["version"],
    }


class CampaignQueries:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def _table(self, projection: str, name: str) -> Any:
        return self.catalog.table(projection, name)

    def _row(self, conn: Connection, code: str) -> dict[str, Any]:
        t = self._table("campaigns", "campaigns")
        row = conn.execute(select(t).where(t.c.code == code.strip())).mappings().first()
        if row is None:
            raise not_found("campaign", code)
        return dict(row)

    def _costs(self, conn: Connection, code: str) -> list[dict[str, Any]]:
        t = self._table("campaigns", "costs")
        stmt = select(t).where(t.c.campaign == code).order_by(t.c.position)
        return [dict(r) for r in conn.execute(stmt).mappings()]

    def get(self, code: str) -> dict[str, Any]:
        with self.catalog.engine.connect() as conn:
            row = self._row(conn, code)
            return render(row, self._costs(conn, row["code"]))

    def search(self, request: PageRequest, status: str | None = None) -> dict[str, Any]:
        t = self._table("campaigns", "campaigns")
        stmt = select(t)
        if status:
            stmt = stmt.where(t.c.status == status)
        keys = Keyset(t.c.start_date.desc(), t.c.code)
        with self.catalog.engine.connect() as conn:
            rows = conn.execute(keys.select(stmt, request)).mappings().all()
            return keys.page(rows, request, lambda r: render(dict(r), self._costs(conn, r["code"])))

    def target(self, code: str) -> Target:
        with self.catalog.engine.connect() as conn:
            return Target.model_validate_json(self._row(conn, code)["target"])

    # -- target selection ----------------------------------------------------------------------

    def _owner(self, partner_id: Any) -> tuple[Any, Any, Any]:
        """The partner whose sales these are now: the survivor of a merge, else the partner. The
        join looks among merged partners only (indexed, and few)."""
        d = self._table("partner_directory", "partners").alias("owner")
        on = and_(d.c.id == partner_id, d.c.merged_into.is_not(None))
        return d, on, func.coalesce(d.c.merged_into, partner_id)

    def _period(self, column: Any, target: Target) -> list[Any]:
        bounds = []
        if target.revenue_from is not None:
            bounds.append(column >= target.revenue_from)
        if target.revenue_to is not None:
            bounds.append(column <= target.revenue_to)
        return bounds

    def _sales(self, target: Target) -> Any:
        """Per partner with sales (those of a merged partner on its survivor): the latest invoice
        date and the net revenue of invoices minus credit notes dated in the revenue period."""
        f = self._table("profitability", "facts")
        period = self._period(f.c.date, target)
        revenue = case((and_(*period), f.c.revenue), else_=literal(Decimal(0))) if period else f.c.revenue
        per_partner = (
            select(
                f.c.partner_id,
                func.max(case((f.c.kind == "invoice", f.c.date))).label("last_sale"),
                func.sum(revenue).label("revenue"),
            )
            .where(f.c.kind.in_(SALES))
            .group_by(f.c.partner_id)
            .subquery("per_partner")
        )
        d, on, owner = self._owner(per_partner.c.partner_id)
        return (
            select(owner.label("partner_id"), per_partner.c.last_sale, per_partner.c.revenue)
            .select_from(per_partner.outerjoin(d, on))
            .subquery("sales")
        )

    def _products(self, target: Target) -> Any:
        """The targeted products each partner bought in the revenue period: invoiced minus
        credited quantity above zero (a product credited in full was not bought)."""
        f = self._table("profitability", "facts")
        per_partner = (
            select(f.c.partner_id, f.c.product, func.sum(f.c.quantity).label("quantity"))
            .where(f.c.kind.in_(SALES), f.c.product.in_(target.products), *self._period(f.c.date, target))
            .group_by(f.c.partner_id, f.c.product)
            .subquery("bought_per_partner")
        )
        d, on, owner = self._owner(per_partner.c.partner_id)
        return (
            select(owner.label("partner_id"), per_partner.c.product)
            .select_from(per_partner.outerjoin(d, on))
            .group_by(owner, per_partner.c.product)
            .having(func.sum(per_partner.c.quantity) > 0)
            .subquery("bought")
        )

    def _subscribed(self, s: Any, target: Target) -> list[Any]:
        """A contact's current subscription to one of the target's interest areas."""
        return [s.c.area.in_(target.interest_areas), s.c.status == "subscribed"]

    def _listed(self, target: Target) -> list[Any]:
        """The criteria on the partner itself: active, group, tags, interest areas."""
        p = self._table("partner_directory", "partners")
        conditions = [p.c.status == "active"]
        if target.groups:
            conditions.append(p.c.group_code.in_(target.groups))
        if target.tags:
            tags = self._table("partner_directory", "tags")
            conditions.append(exists().where(tags.c.partner_id == p.c.id, tags.c.tag.in_(target.tags)))
        if target.interest_areas:
            s = self._table("interest_areas", "subscriptions")
            conditions.append(exists().where(s.c.partner_id == p.c.id, *self._subscribed(s, target)))
        return conditions

    def selection(self, target: Target) -> Select[Any]:
        """The one query: active partners meeting every criterion given, with their last sale
        date and revenue in the period, in name order (``total`` counts the whole selection).

        It is one aggregate per partner over three kinds of rows: the partners meeting the
        criteria on themselves (``listed``), their sales, and the target's products they bought;
        the sales criteria filter the aggregate. Nothing is joined to an aggregate afterwards:
        SQLite indexes no such join, and PostgreSQL, unable to estimate the aggregate's size,
        would nest loops over it."""
        p = self._table("partner_directory", "partners")
        text, no_date = cast(null(), String), cast(null(), Date)
        zero, none, one = literal(Decimal(0), Numeric(18, 2)), literal(0), literal(1)
        nothing = (text, text, text, text)
        sales = self._sales(target)
        parts = [
            select(
                p.c.id.label("partner_id"),
                p.c.code,
                p.c.name,
                p.c.name_key,
                p.c.group_code,
                no_date.label("last_sale"),
                zero.label("revenue"),
                one.label("listed"),
                none.label("bought"),
            ).where(*self._listed(target)),
            select(sales.c.partner_id, *nothing, sales.c.last_sale, sales.c.revenue, none, none),
        ]
        if target.products:
            bought = self._products(target)
            parts.append(select(bought.c.partner_id, *nothing, no_date, zero, none, one))
        rows = union_all(*parts).subquery("target_rows")
        revenue = func.sum(rows.c.revenue)
        last_sale = func.max(rows.c.last_sale)
        having = [func.sum(rows.c.listed) > 0]
        if target.last_sale_before is not None:
            having.append(last_sale < target.last_sale_before)
        if target.last_sale_after is not None:
            having.append(last_sale > target.last_sale_after)
        if target.min_revenue is not None:
            having.append(revenue >= target.min_revenue)
        if target.products:
            having.append(func.sum(rows.c.bought) > 0)
        partners = (
            select(
                rows.c.partner_id.label("id"),
                func.max(rows.c.code).label("code"),
                func.max(rows.c.name).label("name"),
                func.max(rows.c.name_key).label("name_key"),
                func.max(rows.c.group_code).label("group_code"),
                last_sale.label("last_sale"),
                revenue.label("revenue"),
            )
            .group_by(rows.c.partner_id)
            .having(and_(*having))
            .subquery("targets")
        )
        return select(
            partners.c.id,
            partners.c.code,
            partners.c.name,
            partners.c.group_code,
            partners.c.last_sale,
            partners.c.revenue,
            partners.c.name_key,
            func.count().over().label("total"),
        ).order_by(partners.c.name_key, partners.c.id)

    def target_ids(self, code: str) -> list[UUID]:
        """The whole target list of a campaign (what a launch sends to)."""
        stmt = self.selection(self.target(code))
        with self.catalog.engine.connect() as conn:
            return [UUID(row.id) for row in conn.execute(stmt)]

    def preview(self, code: str, request: PageRequest) -> dict[str, Any]:
        """A page of the target list; each partner with why it is there."""
        target = self.target(code)
        selection = self.selection(target)
        # The page is cut from the whole selection, so that ``total`` counts all of it.
        whole = selection.subquery("selection")
        keys = Keyset(whole.c.name_key, whole.c.id)
        with self.catalog.engine.connect() as conn:
            rows = conn.execute(keys.select(select(whole), request)).mappings().all()
            matched = self._matched(conn, target, [r["id"] for r in rows[: request.limit]])
            if rows:
                total = rows[0]["total"]
            else:  # past the end of the list, or an empty one: nothing to read the count from
                total = conn.execute(select(func.count()).select_from(selection.subquery())).scalar_one()
        criteria = criteria_given(target)
        return {
            "campaign": code.strip(),
            "total": total,
            **keys.page(
                rows,
                request,
                lambda r: {
                    "partner": r["id"],
                    "code": r["code"],
                    "name": r["name"],
                    "group": r["group_code"],
                    "matched": criteria,
                    "tags": matched["tags"].get(r["id"], []),
                    "interest_areas": matched["interest_areas"].get(r["id"], []),
                    "products": matched["products"].get(r["id"], []),
                    "last_sale": r["last_sale"],
                    "revenue": money(r["revenue"]),
                },
            ),
        }

    def _matched(self, conn: Connection, target: Target, ids: list[str]) -> dict[str, dict[str, list[str]]]:
        """Which of the target's tags, interest areas and products each partner of a page has."""
        found: dict[str, dict[str, list[str]]] = {"tags": {}, "interest_areas": {}, "products": {}}
        if not ids:
            return found
        if target.tags:
            tags = self._table("partner_directory", "tags")
            stmt = select(tags.c.partner_id, tags.c.tag).where(tags.c.partner_id.in_(ids), tags.c.tag.in_(target.tags))
            for partner, tag in conn.execute(stmt.order_by(tags.c.tag)):
                found["tags"].setdefault(partner, []).append(tag)
        if target.interest_areas:
            s = self._table("interest_areas", "subscriptions")
            stmt = select(s.c.partner_id, s.c.area).where(s.c.partner_id.in_(ids), *self._subscribed(s, target))
            for partner, area in conn.execute(stmt.distinct().order_by(s.c.area)):
                found["interest_areas"].setdefault(partner, []).append(area)
        if target.products:
            bought = self._products(target)
            stmt = select(bought.c.partner_id, bought.c.product).where(bought.c.partner_id.in_(ids))
            for partner, product in conn.execute(stmt.order_by(bought.c.product)):
                found["products"].setdefault(partner, []).append(product)
        return found

    # -- effectiveness -------------------------------------------------------------------------

    def effectiveness(self, code: str) -> dict[str, Any]:
        """What the campaign brought: the issued invoices and credit notes naming it (credit
        notes subtract), against its costs; and how its messages and targets fared."""
        f = self._table("profitability", "facts")
        m = self._table("messages", "messages")
        docs = self._table("documents", "documents")
        targets = self._table("campaigns", "targets")
        with self.catalog.engine.connect() as conn:
            row = self._row(conn, code)
            code = row["code"]
            counted = conn.execute(
                select(
                    func.count(distinct(f.c.document)),
                    func.count(distinct(case((f.c.kind == "invoice", f.c.document)))),
                    func.count(distinct(case((f.c.kind == "credit_note", f.c.document)))),
                    func.coalesce(func.sum(f.c.revenue), 0),
                    func.coalesce(func.sum(f.c.cost), 0),
                ).where(f.c.campaign == code, f.c.kind.in_(SALES))
            ).one()
            messages = conn.execute(
                select(
                    func.count(),
                    func.count(case((m.c.status.in_(("sent", "read")), 1))),
                    func.count(case((m.c.status == "read", 1))),
                ).where(m.c.campaign == code)
            ).one()
            d, on, owner = self._owner(docs.c.partner_id)
            ordering = (
                select(owner.label("partner_id"))
                .select_from(docs.outerjoin(d, on))
                .where(docs.c.campaign == code, docs.c.type.in_(ORDERING), docs.c.status.notin_(NOT_ORDERED))
                .distinct()
                .subquery("ordering")
            )
            t, target_on, target_owner = self._owner(targets.c.partner_id)
            targeted = (
                select(target_owner.label("partner_id"))
                .select_from(targets.outerjoin(t, target_on))
                .where(targets.c.campaign == code)
                .distinct()
                .subquery("targeted")
            )
            ordering_partners = conn.execute(select(func.count()).select_from(ordering)).scalar_one()
            converted = conn.execute(
                select(func.count()).select_from(
                    ordering.join(targeted, targeted.c.partner_id == ordering.c.partner_id)
                )
            ).scalar_one()
        documents, invoices, credit_notes, revenue, cost = counted
        revenue, cost, campaign_cost = Decimal(revenue), Decimal(cost), Decimal(row["total_cost"])
        margin = revenue - cost
        return {
            "campaign": code,
            "documents": documents,
            "invoices": invoices,
            "credit_notes": credit_notes,
            "revenue": money(revenue),
            "cost_of_goods": money(cost),
            "margin": money(margin),
            "campaign_cost": money(campaign_cost),
            "roi_percent": ratio(margin - campaign_cost, campaign_cost),
            "targeted": row["targeted"],
            "messages": messages[0],
            "sent": messages[1],
            "read": messages[2],
            "ordering_partners": ordering_partners,
            "converted_partners": converted,
            "conversion_percent": ratio(Decimal(converted), Decimal(row["targeted"])),
        }


def criteria_given(target: Target) -> list[str]:
    """The criteria a target sets (every partner listed meets all of them)."""
    return [
        name
        for name, value in target.model_dump().items()
        if value is not None and value != () and name not in ("revenue_from", "revenue_to")
    ]
