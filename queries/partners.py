"""Partner queries: one partner (now or as it was then), the filtered directory, the CSV export,
the balance and credit, the timeline."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Select, and_, case, exists, func, literal, or_, select
from sqlalchemy.engine import Connection

from aggregates.base import DomainEvent
from aggregates.credit import credit_status
from aggregates.errors import Invalid, not_found
from aggregates.partner import Partner
from aggregates.partner_details import PartnerStatus, normalise_code
from projections.catalog import Catalog
from queries.activities import ActivityQueries
from queries.as_of import AsOf
from queries.collection import CollectionQueries
from queries.documents import DocumentQueries, summary
from queries.formats import money, utc
from queries.interest_areas import InterestAreaQueries
from queries.pages import Keyset, PageRequest
from queries.receivables import ReceivableQueries
from queries.requests import RequestQueries

DEFAULT_WATCH = Decimal("90.00")


# -- one partner -----------------------------------------------------------------------------------


def _address(a: dict[str, Any]) -> dict[str, Any]:
    return {**a, "usage": list(a.get("usage", ()))}


def _contact(c: dict[str, Any]) -> dict[str, Any]:
    # ``opted_out_on`` is shown only on a contact that opted out of every mailing.
    return {
        **{k: v for k, v in c.items() if k != "opted_out_on" or v is not None},
        "responsibilities": list(c.get("responsibilities", ())),
        "availability": [
            {"weekday": a["weekday"], "from": a["start"], "to": a["end"]} for a in c.get("availability", ())
        ],
    }


@dataclass
class PartnerState:
    """What the representation is made of; built from a directory row or from replayed events."""

    id: str
    code: str
    version: int
    status: str
    merged_into: str | None
    created_on: date
    details: dict[str, Any]
    addresses: dict[str, Any]
    contacts: dict[str, Any]
    attachments: dict[str, Any]
    manual_hold: str | None
    blocked: bool = False
    balance: Decimal = Decimal("0")
    unapplied: Decimal = Decimal("0")
    watch_percent: Decimal = DEFAULT_WATCH
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> PartnerState:
        return cls(
            id=row["id"],
            code=row["code"],
            version=row["version"],
            status=row["status"],
            merged_into=row["merged_into"],
            created_on=row["created_on"],
            details=json.loads(row["details"]),
            addresses=json.loads(row["addresses"]),
            contacts=json.loads(row["contacts"]),
            attachments=json.loads(row["attachments"]),
            manual_hold=row["manual_hold"],
            blocked=bool(row.get("blocks")),
            balance=Decimal(row.get("balance") or 0),
        )

    @classmethod
    def from_aggregate(cls, p: Partner) -> PartnerState:
        def dump(items: dict[UUID, Any]) -> dict[str, Any]:
            return {str(k): v.model_dump(mode="json") for k, v in items.items()}

        return cls(
            id=str(p.id),
            code=p.code,
            version=p.version,
            status=p.status.value,
            merged_into=str(p.merged_into) if p.merged_into else None,
            created_on=p.created_on,
            details=p.details.model_dump(mode="json"),
            addresses=dump(p.addresses) if p.status is PartnerStatus.ACTIVE else {},
            contacts=dump(p.contacts) if p.status is PartnerStatus.ACTIVE else {},
            attachments=dump(p.attachments),
            manual_hold=p.manual_hold,
            blocked=bool(p.blocks),
        )

    def credit_status(self) -> str:
        d = self.details
        return credit_status(
            self.balance,
            Decimal(d["credit_limit"]),
            d["credit_check"],
            self.watch_percent,
            self.manual_hold is not None or self.blocked,
        )

    def render(self) -> dict[str, Any]:
        d = self.details
        return {
            "id": self.id,
            "code": self.code,
            "version": self.version,
            "status": self.status,
            "merged_into": self.merged_into,
            **{k: v for k, v in d.items() if k not in ("credit_limit",)},
            "credit_limit": money(d["credit_limit"]),
            "addresses": [_address(a) for a in self.addresses.values()],
            "contacts": [_contact(c) for c in self.contacts.values()],
            "attachments": list(self.attachments.values()),
            "balance": money(self.balance),
            "credit_status": self.credit_status(),
            "credit_hold": self.manual_hold,
            "created_on": self.created_on.isoformat(),
            **self.extra,
        }


class PartnerQueries:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.receivables = ReceivableQueries(catalog)

    @property
    def partners(self) -> Any:
        return self.catalog.table("partner_directory", "partners")

    def _watch_percent(self, conn: Connection, group: str | None) -> Decimal:
        if not group:
            return DEFAULT_WATCH
        groups = self.catalog.table("partner_groups", "groups")
        value = conn.execute(select(groups.c.credit_watch_percent).where(groups.c.code == group.upper())).scalar()
        return Decimal(value) if value is not None else DEFAULT_WATCH

    def find_row(self, conn: Connection, ref: str, follow_merge: bool = True) -> dict[str, Any] | None:
        t = self.partners
        try:
            condition = t.c.id == str(UUID(ref))
        except ValueError:
            condition = t.c.code == normalise_code(ref)
        row = conn.execute(select(t).where(condition)).mappings().first()
        hops = 0
        while follow_merge and row is not None and row["merged_into"] and hops < 10:
            row = conn.execute(select(t).where(t.c.id == row["merged_into"])).mappings().first()
            hops += 1
        return dict(row) if row else None

    def state(self, conn: Connection, ref: str) -> PartnerState:
        row = self.find_row(conn, ref)
        if row is None:
            raise not_found("partner", ref)
        state = PartnerState.from_row(row)
        state.watch_percent = self._watch_percent(conn, state.details.get("group"))
        open_total, state.unapplied = self.receivables.totals(state.id, conn)
        state.balance = open_total - state.unapplied
        return state

    def get(self, ref: str) -> dict[str, Any]:
        with self.catalog.engine.connect() as conn:
            return self.state(conn, ref).render()

    def partner_id(self, ref: str) -> str:
        with self.catalog.engine.connect() as conn:
            return self.state(conn, ref).id

    def sender(self, email: str) -> tuple[str, str | None] | None:
        """The (partner id, contact id) an e-mail address belongs to: an active contact's before
        a partner's own address, the oldest partner first; None when nobody has it."""
        t, emails = self.partners, self.catalog.table("partner_directory", "emails")
        stmt = (
            select(emails.c.partner_id, emails.c.contact_id)
            .join(t, t.c.id == emails.c.partner_id)
            .where(emails.c.email == email.strip().lower(), t.c.status == "active")
            .order_by((emails.c.contact_id == "").asc(), t.c.created_position, emails.c.contact_id)
            .limit(1)
        )
        with self.catalog.engine.connect() as conn:
            row = conn.execute(stmt).first()
        return (row[0], row[1] or None) if row else None

    def as_of(self, ref: str, as_of: AsOf, events: Callable[[UUID], list[DomainEvent]]) -> dict[str, Any]:
        """The partner as it was then, replayed from its own events, with its balance then."""
        with self.catalog.engine.connect() as conn:
            state, _ = self._state_as_of(conn, ref, as_of, events)
        return state.render()

    def _state_as_of(
        self, conn: Connection, ref: str, as_of: AsOf, events: Callable[[UUID], list[DomainEvent]]
    ) -> tuple[PartnerState, list[dict[str, Any]]]:
        row = self.find_row(conn, ref)
        if row is None:
            raise not_found("partner", ref)
        history = as_of.history(events(UUID(row["id"])))
        if not history:
            raise not_found("partner at that time", ref)
        aggregate: Any = None
        for e in history:
            aggregate = e.mutate(aggregate)
        state = PartnerState.from_aggregate(aggregate)
        state.watch_percent = self._watch_percent(conn, state.details.get("group"))
        ids = [state.id, *self._absorbed_ids(conn, state.id)]
        open_items, state.unapplied = self.receivables.as_of(ids, as_of, conn)
        state.balance = sum((Decimal(i["open_amount"]) for i in open_items), Decimal(0)) - state.unapplied
        return state, open_items

    def balance(
        self, ref: str, as_of: AsOf | None = None, events: Callable[[UUID], list[DomainEvent]] | None = None
    ) -> dict[str, Any]:
        """Now, or then (``as_of``, replaying the partner's own ``events``)."""
        with self.catalog.engine.connect() as conn:
            if as_of is not None:
                assert events is not None
                state, open_items = self._state_as_of(conn, ref, as_of, events)
            else:
                state = self.state(conn, ref)
                open_items = self.receivables.open_items(state.id)
        return {
            "partner": state.id,
            "balance": money(state.balance),
            "currency": state.details["currency"],
            "credit_limit": money(state.details["credit_limit"]),
            "credit_status": state.credit_status(),
            "open_items": [
                {k: item[k] for k in ("id", "kind", "document", "number", "due_date", "amount", "open_amount")}
                for item in open_items
            ],
            "unapplied_credit": money(state.unapplied),
        }

    def profile(self, ref: str, today: date, now: datetime | None = None) -> dict[str, Any]:
        """The 360° view; later capabilities add their sections to what this returns. ``now``
        (the business clock's; by default the start of ``today``) dates the requests' due states."""
        partner = self.get(ref)
        ids = self.merged_ids(partner["id"])
        recent = self.timeline(partner["id"], None, None, None, PageRequest(limit=10), newest_first=True)["items"]
        documents = summary(self.catalog, ids, today)
        payments = self.receivables.counts(ids)
        balance = self.balance(partner["id"])
        activities = ActivityQueries(self.catalog).of_partners(ids, today)
        return {
            "partner": partner,
            "balance": balance,
            "open_items": balance["open_items"],
            "counts": {
                **documents["counts"],
                "payments": payments["count"],
                "contacts": len(partner["contacts"]),
                "addresses": len(partner["addresses"]),
            },
            "totals": {**documents["totals"], "payments": money(payments["total"])},
            "turnover": documents["turnover"],
            "last_activities": activities["last"],
            "next_activities": activities["next"],
            "open_requests": RequestQueries(self.catalog).open_requests(
                ids, now or datetime.combine(today, time.min, UTC)
            ),
            "open_collection_cases": [
                {k: case[k] for k in ("id", "document", "number", "level", "times_dunned", "opened_on", "scheme")}
                for case in CollectionQueries(self.catalog).cases(PageRequest(limit=500), ids, None, "open")["items"]
            ],
            "blocked": self._blocked(partner["id"]),
            "interest_areas": InterestAreaQueries(self.catalog).of_partners(ids),
            "deliveries": self._deliveries(partner, ids),
            "recent": recent,
        }

    def _deliveries(self, partner: dict[str, Any], ids: list[str]) -> list[dict[str, Any]]:
        """Current and future deliveries, each with the address it goes to."""
        addresses = {a["id"]: a for a in partner["addresses"]}
        return [
            {**d, "address": addresses.get(d["shipping_address"])}
            for d in DocumentQueries(self.catalog).current_deliveries(ids)
        ]

    def _blocked(self, partner_id: str) -> bool:
        with self.catalog.engine.connect() as conn:
            return self.state(conn, partner_id).blocked

    def merged_ids(self, partner_id: str) -> list[str]:
        """The partner and every partner merged into it (their documents are the survivor's)."""
        with self.catalog.engine.connect() as conn:
            return [partner_id, *self._absorbed_ids(conn, partner_id)]

    # -- the directory -------------------------------------------------------------------------

    def _credit_status_expr(self) -> Any:
        t = self.partners
        groups = self.catalog.table("partner_groups", "groups")
        watch = func.coalesce(
            select(groups.c.credit_watch_percent).where(groups.c.code == t.c.group_code).scalar_subquery(),
            literal(DEFAULT_WATCH),
        )
        balance = self.receivables.balance_expr(t.c.id)
        return case(
            (or_(t.c.manual_hold.is_not(None), t.c.blocks > 0), "stop"),
            (or_(t.c.credit_check.is_(False), t.c.credit_limit <= 0), "no_check"),
            (balance > t.c.credit_limit, "hold"),
            (balance > t.c.credit_limit * watch / 100, "watch"),
            else_="ok",
        )

    def _filtered(self, filters: PartnerFilters) -> Select[Any]:
        t = self.partners
        tables = self.catalog.tables("partner_directory")
        stmt = select(t, self.receivables.balance_expr(t.c.id).label("balance")).where(t.c.status == "active")
        if filters.q:
            words = [w for w in filters.q.lower().split() if w][:10]
            for word in words:
                escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                stmt = stmt.where(t.c.search.like(f"%{escaped}%", escape="\\"))
        for name, column, value in (
            ("roles", "role", filters.role),
            ("tags", "tag", filters.tag),
            ("reps", "username", filters.sales_rep),
        ):
            if value:
                side = tables[name]
                stmt = stmt.where(exists().where(and_(side.c.partner_id == t.c.id, side.c[column] == value)))
        if filters.group:
            stmt = stmt.where(t.c.group_code == filters.group.strip().upper())
        if filters.kind:
            stmt = stmt.where(t.c.kind == filters.kind)
        if filters.parent:
            stmt = stmt.where(t.c.parent == filters.parent)
        if filters.credit_status:
            stmt = stmt.where(self._credit_status_expr() == filters.credit_status)
        fields_table = tables["fields"]
        for code, value in filters.custom_fields.items():
            stmt = stmt.where(
                exists().where(
                    and_(
                        fields_table.c.partner_id == t.c.id,
                        fields_table.c.code == code,
                        or_(
                            fields_table.c.value == value,
                            fields_table.c.value.like(f"{value}\x1f%"),
                            fields_table.c.value.like(f"%\x1f{value}"),
                            fields_table.c.value.like(f"%\x1f{value}\x1f%"),
                        ),
                    )
                )
            )
        return stmt.order_by(*self._order(filters))

    def _order(self, filters: PartnerFilters) -> tuple[Any, ...]:
        t = self.partners
        order = {
            "name": (t.c.name_key, t.c.id),
            "-name": (t.c.name_key.desc(), t.c.id.desc()),
            "created_on": (t.c.created_on, t.c.created_position, t.c.id),
            "-created_on": (t.c.created_on.desc(), t.c.created_position.desc(), t.c.id),
            "code": (t.c.code, t.c.id),
            "-code": (t.c.code.desc(), t.c.id),
        }
        if filters.sort not in order:
            raise Invalid(["query", "sort"], f"sort by one of {', '.join(order)}")
        return order[filters.sort]

    def _states(self, conn: Connection, rows: list[Any]) -> list[PartnerState]:
        watch: dict[str | None, Decimal] = {}
        states = []
        for row in rows:
            state = PartnerState.from_row(dict(row))
            group = state.details.get("group")
            if group not in watch:
                watch[group] = self._watch_percent(conn, group)
            state.watch_percent = watch[group]
            states.append(state)
        return states

    def directory(self, filters: PartnerFilters, request: PageRequest) -> dict[str, Any]:
        keys = Keyset(*self._order(filters))
        with self.catalog.engine.connect() as conn:
            rows = conn.execute(keys.select(self._filtered(filters), request)).mappings().all()
            shown = keys.page(rows, request, lambda r: r)
            shown["items"] = [s.render() for s in self._states(conn, shown["items"])]
        return shown

    def export_csv(self, filters: PartnerFilters) -> Iterator[str]:
        # The filters are checked now, before the response starts: a bad one is a 422, not a
        # 200 with a broken body.
        stmt = self._filtered(filters).execution_options(yield_per=500)
        return self._csv_rows(stmt)

    def _csv_rows(self, stmt: Select[Any]) -> Iterator[str]:
        columns = [
            "id",
            "code",
            "name",
            "kind",
            "roles",
            "group",
            "tags",
            "email",
            "phone",
            "tax_id",
            "sales_reps",
            "credit_limit",
            "balance",
            "credit_status",
            "created_on",
        ]
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(columns)
        with self.catalog.engine.connect() as conn:
            result = conn.execute(stmt).mappings()
            while True:
                chunk = result.fetchmany(500)
                if not chunk:
                    break
                for state in self._states(conn, list(chunk)):
                    r = state.render()
                    values = [
                        r["id"],
                        r["code"],
                        r["name"],
                        r["kind"],
                        " ".join(r["roles"]),
                        r["group"] or "",
                        " ".join(r["tags"]),
                        r["email"] or "",
                        r["phone"] or "",
                        r["tax_id"] or "",
                        " ".join(r["sales_reps"]),
                        r["credit_limit"],
                        r["balance"],
                        r["credit_status"],
                        r["created_on"],
                    ]
                    writer.writerow([safe_cell(v) for v in values])
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    # -- timeline ------------------------------------------------------------------------------

    def timeline(
        self,
        ref: str,
        start: date | None,
        end: date | None,
        kind: str | None,
        request: PageRequest,
        newest_first: bool = False,
    ) -> dict[str, Any]:
        t = self.catalog.table("timeline", "entries")
        with self.catalog.engine.connect() as conn:
            state = self.state(conn, ref)
            ids = [state.id, *self._absorbed_ids(conn, state.id)]
            stmt = select(t).where(t.c.partner_id.in_(ids))
            if start:
                stmt = stmt.where(t.c.business_date >= start)
            if end:
                stmt = stmt.where(t.c.business_date <= end)
            if kind:
                stmt = stmt.where(t.c.kind.in_(kind.split(",")))
            keys = Keyset(t.c.position.desc(), t.c.seq.desc()) if newest_first else Keyset(t.c.position, t.c.seq)
            rows = conn.execute(keys.select(stmt, request)).mappings().all()
        return keys.page(
            rows,
            request,
            lambda r: {
                "at": utc(r["at"]),
                "date": r["business_date"],
                "kind": r["kind"],
                "summary": r["summary"],
                "ref": r["ref"],
                "position": r["position"],
            },
        )

    def _absorbed_ids(self, conn: Connection, partner_id: str) -> list[str]:
        t = self.partners
        return [r for (r,) in conn.execute(select(t.c.id).where(t.c.merged_into == partner_id)).all()]


@dataclass
class PartnerFilters:
    q: str | None = None
    role: str | None = None
    group: str | None = None
    tag: str | None = None
    sales_rep: str | None = None
    credit_status: str | None = None
    kind: str | None = None
    parent: str | None = None
    sort: str = "name"
    custom_fields: dict[str, str] = field(default_factory=dict)


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"-?\d+(\.\d+)?")


def safe_cell(value: Any) -> str:
    """Spreadsheets run a cell that starts with = + - @ as a formula: quote it (plain numbers
    such as a negative balance stay numbers)."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_PREFIXES) and not NUMBER.fullmatch(text):
        return "'" + text
    return text
