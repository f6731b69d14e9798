"""Collection queries: cases with history, runs with their reports, and what a run must visit."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import select

from aggregates.base import DomainEvent
from aggregates.errors import not_found
from aggregates.sales_document_events import DisputeResolved, InvoiceDisputed
from projections.catalog import Catalog
from projections.collection import history_entry
from queries.as_of import AsOf
from queries.pages import Keyset, PageRequest


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


MESSAGES = frozenset({"email", "sms", "letter"})


def run_counts(row: Any, acted: list[dict[str, Any]], skipped: list[dict[str, Any]]) -> dict[str, int]:
    """What a run did, derived from what it recorded (so a run completed after a restart counts
    the partners collected before it too): ``levels_reached`` and ``reminders`` per invoice;
    ``emails``, ``smss`` and ``letters`` per message; ``fees`` per fee charged; ``interest`` per
    invoice charged; ``blocks`` per partner and level blocked; ``tasks`` per task; ``skipped_<reason>``
    per action skipped for a partner and level, and per invoice skipped (``skipped``)."""
    counts: Counter[str] = Counter(levels_reached=row["levels_reached"], reminders=row["reminders"])
    seen: set[tuple[Any, ...]] = set()

    def once(key: str, *identity: Any) -> None:
        if (key, *identity) not in seen:
            seen.add((key, *identity))
            counts[key] += 1

    for a in acted:
        action = a["action"]
        if a["status"] == "skipped":
            once(f"skipped_{a['reason']}", a["partner"], a["level"], action)
        elif action in MESSAGES:
            once(f"{action}s", a["message"])
        elif action == "fee" and a["amount"] is not None and Decimal(a["amount"]) != 0:
            counts["fees"] += 1
        elif action == "interest":
            counts["interest"] += 1
        elif action == "interest_note" and a["amount"] is not None and Decimal(a["amount"]) != 0:
            counts["interest_notes"] += 1
        elif action == "block_sales":
            once("blocks", a["partner"], a["level"])
        elif action == "task":
            once("tasks", a["task"])
    counts.update(f"skipped_{s['reason']}" for s in skipped)
    return {key: n for key, n in sorted(counts.items()) if n}


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
        keys = Keyset(t.c.opened_on, t.c.id)
        with self.catalog.engine.connect() as conn:
            rows = conn.execute(keys.select(stmt, request)).mappings().all()
        return keys.page(rows, request, lambda r: case_view(dict(r)))

    def case(self, case_id: str) -> dict[str, Any]:
        t = self._t("cases")
        with self.catalog.engine.connect() as conn:
            row = conn.execute(select(t).where(t.c.id == case_id)).mappings().first()
        if row is None:
            raise not_found("collection case", case_id)
        return case_view(dict(row))

    def case_as_of(self, case_id: str, as_of: AsOf, events: Callable[[UUID], list[DomainEvent]]) -> dict[str, Any]:
        """The case as it was then: its own events replayed (level, times dunned, status) and its
        history rebuilt from them and from the disputes on its invoice, in log order."""
        current = self.case(case_id)
        history = as_of.history(events(UUID(case_id)))
        if not history:
            raise not_found("collection case at that time", case_id)
        case: Any = None
        for e in history:
            case = e.mutate(case)
        disputes: list[DomainEvent] = [
            e for e in as_of.history(events(case.document)) if isinstance(e, InvoiceDisputed | DisputeResolved)
        ]
        t = self.catalog.table("audit_index", "events")
        with self.catalog.engine.connect() as conn:
            found = conn.execute(
                select(t.c.stream, t.c.version, t.c.position).where(t.c.stream.in_([case_id, str(case.document)]))
            ).all()
        positions = {(stream, version): position for stream, version, position in found}

        def position(e: DomainEvent) -> int:
            return int(positions.get((str(e.originator_id), e.originator_version), 0))

        # A dispute before the case opened is not in its history (the projection had no case yet).
        disputes = [d for d in disputes if position(d) > position(history[0])]
        lines = [history_entry(e) for e in sorted(history + disputes, key=position)]
        return {
            **current,
            "level": case.level,
            "times_dunned": case.times_dunned,
            "status": case.status.value,
            "close_reason": case.close_reason,
            "collection_status": case.collection_status,
            "closed_on": case.closed_on,
            "history": [line for line in lines if line is not None],
        }

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
        skipped = json.loads(row["skipped"])
        return {
            "date": row["day"],
            "status": row["status"],
            "partners": row["partners"],
            "invoices": row["invoices"],
            "actions": acted,
            "skipped": skipped,
            "counts": run_counts(row, acted, skipped),
            "not_collected": json.loads(row["not_collected"]),
        }

    def runs(self, request: PageRequest, start: date | None, end: date | None) -> dict[str, Any]:
        t = self._t("runs")
        stmt = select(t.c.day)
        if start:
            stmt = stmt.where(t.c.day >= start)
        if end:
            stmt = stmt.where(t.c.day <= end)
        keys = Keyset(t.c.day.desc())
        with self.catalog.engine.connect() as conn:
            rows = conn.execute(keys.select(stmt, request)).mappings().all()
        return keys.page(rows, request, lambda r: self.run(r["day"]))
