"""Interest area queries: the areas with their subscriber counts, an area's subscriptions, and a
partner's subscriptions (for its profile)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import func, select

from aggregates.errors import not_found
from projections.catalog import Catalog
from queries.pages import Keyset, PageRequest

STATUSES = ("subscribed", "opted_out")


def render_subscription(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "area": row["area"],
        "contact": row["contact_id"],
        "partner": row["partner_id"],
        "status": row["status"],
        "subscribed_on": row["subscribed_on"],
        "opted_out_on": row["opted_out_on"],
        "version": row["version"],
    }


class InterestAreaQueries:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def _table(self, name: str) -> Any:
        return self.catalog.table("interest_areas", name)

    def _with_counts(self) -> Any:
        a, s = self._table("areas"), self._table("subscriptions")
        subscribers = (
            select(func.count())
            .where(s.c.area == a.c.code, s.c.status == "subscribed")
            .scalar_subquery()
            .label("subscribers")
        )
        return select(a, subscribers)

    @staticmethod
    def _render(row: dict[str, Any]) -> dict[str, Any]:
        return {
            "code": row["code"],
            "name": row["name"],
            "self_service": bool(row["self_service"]),
            "subscribers": int(row["subscribers"]),
            "created_on": row["created_on"],
            "version": row["version"],
        }

    def get(self, code: str) -> dict[str, Any]:
        a = self._table("areas")
        with self.catalog.engine.connect() as conn:
            row = conn.execute(self._with_counts().where(a.c.code == code.strip())).mappings().first()
        if row is None:
            raise not_found("interest area", code)
        return self._render(dict(row))

    def areas(self, request: PageRequest) -> dict[str, Any]:
        a = self._table("areas")
        keys = Keyset(a.c.code)
        with self.catalog.engine.connect() as conn:
            rows = conn.execute(keys.select(self._with_counts(), request)).mappings().all()
        return keys.page(rows, request, lambda r: self._render(dict(r)))

    def self_service(self, codes: list[str]) -> dict[str, tuple[str, bool]]:
        """Each known area's name and whether contacts manage it themselves."""
        a = self._table("areas")
        with self.catalog.engine.connect() as conn:
            rows = conn.execute(select(a.c.code, a.c.name, a.c.self_service).where(a.c.code.in_(codes))).all()
        return {code: (name, bool(flag)) for code, name, flag in rows}

    def subscriptions(self, code: str, request: PageRequest, status: str | None = "subscribed") -> dict[str, Any]:
        """The area's subscriptions in the order contacts first subscribed; ``status`` None: all."""
        self.get(code)
        s = self._table("subscriptions")
        stmt = select(s).where(s.c.area == code.strip())
        if status:
            stmt = stmt.where(s.c.status.in_(status.split(",")))
        keys = Keyset(s.c.position, s.c.contact_id)
        with self.catalog.engine.connect() as conn:
            rows = conn.execute(keys.select(stmt, request)).mappings().all()
        return keys.page(rows, request, lambda r: render_subscription(dict(r)))

    def subscription(self, code: str, contact: UUID) -> dict[str, Any]:
        s = self._table("subscriptions")
        with self.catalog.engine.connect() as conn:
            stmt = select(s).where(s.c.area == code.strip(), s.c.contact_id == str(contact))
            row = conn.execute(stmt).mappings().first()
        if row is None:
            raise not_found("subscription of contact", contact)
        return render_subscription(dict(row))

    def of_partners(self, partner_ids: list[str]) -> list[dict[str, Any]]:
        """The subscriptions of the partners' contacts, with the area's name (for the profile)."""
        a, s = self._table("areas"), self._table("subscriptions")
        stmt = (
            select(s, a.c.name)
            .join(a, a.c.code == s.c.area)
            .where(s.c.partner_id.in_(partner_ids))
            .order_by(s.c.area, s.c.position)
        )
        with self.catalog.engine.connect() as conn:
            rows = conn.execute(stmt).mappings().all()
        return [{**render_subscription(dict(r)), "name": r["name"]} for r in rows]
