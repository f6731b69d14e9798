"""Collection queries: cases with history, runs with their reports, and what a run must visit."""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import select

from aggregates.errors import not_found
from projections.catalog import Catalog
from queries.pages import PageRequest, page


def case_view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "document": row["document"],
        "number": row["number"],
        "partner": row["partner_id"],
        "scheme": row["scheme"],
        "level": row["level"],
        "times_dunned": row["times_dunned"],
        "status": row["status"],
        "close_reason": row["close_reason"],
        "collection_status": row["collection_status"],
        "opened_on": row["opened_on"],
        "closed_on": row["closed_on"],
        "history": json.loads(row["history"]),
    }


class CollectionQueries:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def _t(self, name: str) -> Any:
        return self.catalog.table("collection", name)

    def cases(
        self, request: PageRequest, partner_ids: list[str] | None, document: str | None, status: str | None
    ) -> dict[str, Any]:
        t = self._t("cases")
        stmt = select(t)
        if partner_ids is not None:
            stmt = stmt.where(t.c.partner_id.in_(partner_ids))
        if document:
            stmt = stmt.where(t.c.document == document)
        if status:
            stmt = stmt.where(t.c.status == status)
        stmt = stmt.order_by(t.c.opened_on, t.c.id).offset(request.offset).limit(request.limit + 1)
        with self.catalog.engine.connect() as conn:
            rows = [case_view(dict(r)) for r in conn.execute(stmt).mappings()]
        return page(rows, request)

    def case(self, case_id: str) -> dict[str, Any]:
        t = self._t("cases")
        with self.catalog.engine.connect() as conn:
            row = conn.execute(select(t).where(t.c.id == case_id)).mappings().first()
        if row is None:
            raise not_found("collection case", case_id)
        return case_view(dict(row))

    def open_cases(self, partners: list[UUID] | None = None) -> dict[UUID, list[UUID]]:
        """The open case ids per partner (of the given partners, or of all)."""
        cases = self._t("cases")
        stmt = select(cases.c.partner_id, cases.c.id).where(cases.c.status == "open")
        if partners is not None:
            stmt = stmt.where(cases.c.partner_id.in_([str(p) for p in partners]))
        found: dict[UUID, list[UUID]] = {}
        with self.catalog.engine.connect() as conn:
            for partner_id, case_id in conn.execute(stmt.order_by(cases.c.id)):
                found.setdefault(UUID(partner_id), []).append(UUID(case_id))
        return found

    def partners_to_collect(self) -> dict[UUID, list[UUID]]:
        """Partners with an open invoice or an open case, in id order, with their open cases."""
        items = self.catalog.table("receivables", "items")
        with self.catalog.engine.connect() as conn:
            owing = conn.execute(
                select(items.c.partner_id).distinct().where(items.c.status == "open", items.c.kind == "invoice")
            ).scalars()
            candidates: dict[UUID, list[UUID]] = {UUID(p): [] for p in owing}
        candidates.update(self.open_cases())
        return dict(sorted(candidates.items(), key=lambda kv: str(kv[0])))

    def run_completed(self, day: date) -> bool:
        t = self._t("runs")
        with self.catalog.engine.connect() as conn:
            return conn.execute(select(t.c.status).where(t.c.day == day)).scalar() == "completed"

    def run(self, day: date) -> dict[str, Any]:
        runs, actions = self._t("runs"), self._t("actions")
        with self.catalog.engine.connect() as conn:
            row = conn.execute(select(runs).where(runs.c.day == day)).mappings().first()
            if row is None:
                raise not_found("collection run", day)
            entries = conn.execute(select(actions).where(actions.c.run == day).order_by(actions.c.position)).mappings()
            acted = [
                {"case": a["case_id"], "document": a["document"], "partner": a["partner_id"], **json.loads(a["entry"])}
                for a in entries
            ]
        return {
            "date": row["day"],
            "status": row["status"],
            "partners": row["partners"],
            "invoices": row["invoices"],
            "actions": acted,
            "skipped": json.loads(row["skipped"]),
            "counts": json.loads(row["counts"]),
            "not_collected": json.loads(row["not_collected"]),
        }

    def runs(self, request: PageRequest, start: date | None, end: date | None) -> dict[str, Any]:
        t = self._t("runs")
        stmt = select(t.c.day)
        if start:
            stmt = stmt.where(t.c.day >= start)
        if end:
            stmt = stmt.where(t.c.day <= end)
        stmt = stmt.order_by(t.c.day.desc()).offset(request.offset).limit(request.limit + 1)
        with self.catalog.engine.connect() as conn:
            days = conn.execute(stmt).scalars().all()
        return page([self.run(d) for d in days], request)
