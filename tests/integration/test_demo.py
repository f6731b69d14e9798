"""The demo data set: loaded through the commands, exact counts in the read models, merged
duplicates as tombstones, a clock that moved forward, the same data for the same size, a second
load that adds nothing, and a sales year whose balances, aging and profitability add up."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from rich.progress import Progress
from sqlalchemy import select

from queries.activities import ActivityQueries
from queries.balance_confirmations import BalanceConfirmationQueries
from queries.collection import CollectionQueries
from queries.documents import DocumentQueries
from queries.interest_areas import InterestAreaQueries
from queries.interest_notes import InterestNoteQueries
from queries.mailings import MailingQueries
from queries.pages import PageRequest
from queries.partners import PartnerFilters, PartnerQueries
from queries.receivables import ReceivableQueries
from queries.recurring_invoices import RecurringQueries
from queries.reports import ReportQueries
from queries.settings import SettingsQueries
from services.bootstrap.container import Container
from services.cli.demo import load_demo
from tests.conftest import make_settings, open_container, sqlite_store

PARTNERS = 30
MERGES = 3  # each absorbs one duplicate at this size
SALES_DAYS = 120  # the partners take the first weeks, sales the rest
ALL = PageRequest(limit=500)


def _load(container: Container, partners: int = PARTNERS, days: int = 0) -> str:
    """Loads the demo; ``days=0`` loads the partners only (no sales year)."""
    return load_demo(container, partners, Progress(disable=True), days)


def _all(fetch: Any) -> list[dict[str, Any]]:
    """Every item of a paged query: ``fetch(PageRequest)``."""
    items: list[dict[str, Any]] = []
    request = ALL
    while True:
        result = fetch(request)
        items += result["items"]
        if not result["next_cursor"]:
            return items
        request = PageRequest(limit=ALL.limit, cursor=result["next_cursor"])


def _rows(container: Container) -> list[dict[str, object]]:
    table = container.catalog.table("partner_directory", "partners")
    with container.engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(table)).mappings().all()]


def test_the_demo_loads_exact_counts_through_the_commands(sqlite_container: Container) -> None:
    container = sqlite_container
    start = container.today()
    summary = _load(container)
    assert f"{PARTNERS} partners" in summary and f"{MERGES} merges" in summary

    settings = SettingsQueries(container.catalog)
    users = settings.users(ALL)["items"]
    assert len(users) == 6
    supervisors = {u["supervisor"] for u in users} - {None}
    assert supervisors == {"mhoffmann"}
    groups = {g["code"]: g for g in settings.groups(ALL)["items"]}
    assert set(groups) == {"G-RETAIL", "G-WHOLESALE", "G-PUBLIC", "G-VIP"}
    assert len({g["credit_watch_percent"] for g in groups.values()}) == 4
    fields = {(f["entity"], f["code"]): f["type"] for f in settings.custom_fields(None, ALL)["items"]}
    assert fields == {
        ("partner", "industry"): "select",
        ("partner", "customer_since"): "date",
        ("contact", "linkedin"): "url",
    }

    rows = _rows(container)
    assert len(rows) == PARTNERS
    merged = [r for r in rows if r["status"] == "merged"]
    active = [r for r in rows if r["status"] == "active"]
    assert len(merged) == MERGES and len(active) == PARTNERS - MERGES
    active_ids = {r["id"] for r in active}
    assert all(r["merged_into"] in active_ids for r in merged)

    partners = PartnerQueries(container.catalog)
    listed = partners.directory(PartnerFilters(), ALL)["items"]
    assert len(listed) == PARTNERS - MERGES
    assert {p["status"] for p in listed} == {"active"}
    for row in merged:
        survivor = partners.get(str(row["id"]))  # an absorbed id answers the survivor
        assert survivor["id"] == row["merged_into"]
        assert survivor["status"] == "active"
        absorbed = partners.timeline(survivor["id"], None, None, "merge", ALL)["items"]
        assert any("Absorbed partner" in e["summary"] for e in absorbed)

    # Every partner has 1–3 contacts and 1–2 addresses (survivors hold their duplicates' too).
    survivors = {r["merged_into"] for r in merged}
    for p in listed:
        extra = 1 if p["id"] in survivors else 0
        assert 1 <= len(p["contacts"]) <= 3 + extra
        assert 1 <= len(p["addresses"]) <= 2 + extra
        assert p["name"] and p["code"] and p["language"]
    kinds = {p["kind"] for p in listed}
    assert kinds == {"organization", "person"}
    assert {r for p in listed for r in p["roles"]} >= {"customer", "prospect", "vendor"}
    assert any(c["availability"] for p in listed for c in p["contacts"])
    assert any("billing" in c["responsibilities"] for p in listed for c in p["contacts"])
    assert any(p["parent"] for p in listed), "a few subsidiaries"
    assert any(p["custom_fields"].get("industry") for p in listed)
    assert partners.directory(PartnerFilters(q="gmbh"), ALL)["items"]
    assert len(partners.directory(PartnerFilters(credit_status="stop"), ALL)["items"]) == 2
    assert any(p["credit_status"] == "no_check" for p in listed)

    # The clock moved forward over several weeks, at most 60 days; partners were created on many days.
    end = container.today()
    assert 14 <= (end - start).days <= 60
    created = {date.fromisoformat(p["created_on"]) for p in listed}
    assert len(created) >= 4 and min(created) == start and max(created) <= end
    assert container.clock.last_day_run() == end

    # Interest areas with subscribers, and the newsletter mailing to them and the key accounts.
    areas = InterestAreaQueries(container.catalog).areas(ALL)["items"]
    assert [a["code"] for a in areas] == ["EVENTS", "NEWSLETTER", "PRODUCT-NEWS"]
    assert all(a["subscribers"] > 0 for a in areas)
    (mailing,) = MailingQueries(container.catalog).mailings(ALL)["items"]
    assert mailing["template"] == "NEWSLETTER" and mailing["recipients"] == mailing["sent"] > 0
    assert f"a newsletter mailing to {mailing['recipients']} recipients" in summary

    # Loading again adds nothing.
    head = container.store.head()
    again = _load(container)
    assert "already loaded" in again
    assert container.store.head() == head


@dataclass(frozen=True)
class SalesYear:
    container: Container
    start: date
    summary: str


@pytest.fixture(scope="module")
def sales_year(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SalesYear]:
    """The demo with its sales year, loaded once for the tests that only read it (a load takes
    seconds)."""
    container = open_container(sqlite_store(sqlite_template, tmp_path_factory.mktemp("sales-year")))
    start = container.today()
    summary = _load(container, days=SALES_DAYS)
    container.runner.drain()
    yield SalesYear(container, start, summary)
    container.close()


def test_the_same_size_gives_the_same_data_set(sales_year: SalesYear, tmp_path: Path) -> None:
    first = sales_year.container
    other = open_container(make_settings(tmp_path / "other"))
    try:
        second = _load(other, days=SALES_DAYS)
        # The same counts, except the wall-clock seconds at the end.
        assert sales_year.summary.rsplit(";", 1)[0] == second.rsplit(";", 1)[0]

        def facts(c: Container) -> list[tuple[object, ...]]:
            return sorted((r["code"], r["name"], r["status"], r["tax_id"], r["created_on"]) for r in _rows(c))

        def documents(c: Container) -> list[tuple[object, ...]]:
            rows = _all(lambda page: DocumentQueries(c.catalog).search(page))
            return sorted(
                (
                    d["type"],
                    d["number"] or "",
                    d["status"],
                    d["issue_date"] or "",
                    d["net"],
                    d["total"],
                    d["campaign"] or "",
                )
                for d in rows
            )

        def payments(c: Container) -> list[tuple[object, ...]]:
            rows = _all(lambda page: ReceivableQueries(c.catalog).payments(page, None))
            return sorted((p["number"], p["amount"], p["date"], p["reference"], p["unapplied"]) for p in rows)

        assert facts(first) == facts(other)
        assert documents(first) == documents(other)
        assert payments(first) == payments(other)
    finally:
        other.close()


def test_the_sales_year_gives_balances_aging_and_profitability(sales_year: SalesYear) -> None:
    container, start, summary = sales_year.container, sales_year.start, sales_year.summary
    today = container.today()
    assert (today - start).days == SALES_DAYS
    assert container.clock.last_day_run() == today
    words = ("quotes", "orders", "invoices", "credit notes", "payments", "recurring templates", "open balance")
    for word in (*words, "collection:", "cases"):
        assert word in summary

    docs = _all(lambda page: DocumentQueries(container.catalog).search(page))
    by_type: dict[str, list[dict[str, Any]]] = {}
    for d in docs:
        by_type.setdefault(d["type"], []).append(d)
    issued = {t: [d for d in ds if d["status"] not in ("draft", "cancelled")] for t, ds in by_type.items()}
    assert issued["quote"] and issued["order"] and issued["invoice"]
    assert {d["status"] for d in issued["quote"]} >= {"ordered", "expired"}
    assert all(d["issue_date"] <= today for ds in issued.values() for d in ds)
    # Some invoices came from orders, some were made directly and some by recurring templates.
    invoices = issued["invoice"]
    from_orders = [d for d in invoices if any(link["rel"] == "source" for link in d["links"])]
    assert from_orders and len(from_orders) < len(invoices)
    # The orders' delivery notes: the earlier ones delivered, the last weeks' still planned.
    assert {"planned", "delivered"} <= {d["status"] for d in issued["delivery"]}
    assert all(d["planned_date"] and any(link["rel"] == "source" for link in d["links"]) for d in issued["delivery"])
    # The month end: a balance confirmation series as of the last month end, some answered, and
    # interest notes for the latest payers.
    confirmations = _all(lambda page: BalanceConfirmationQueries(container.catalog).list(page))
    month_end = today.replace(day=1).toordinal() - 1
    assert confirmations and {c["as_of"].toordinal() for c in confirmations} == {month_end}
    assert {c["status"] for c in confirmations} == {"confirmed", "disputed", "pending"}
    notes = _all(lambda page: InterestNoteQueries(container.catalog).for_partner(None, page))
    assert notes and all(Decimal(n["total"]) > 0 for n in notes)
    assert f"{len(confirmations)} balance confirmations as of" in summary
    assert f"{len(notes)} interest notes" in summary
    templates = RecurringQueries(container.catalog).search(ALL, None, None)["items"]
    assert len(templates) >= 4 and {t["status"] for t in templates} >= {"active", "suspended"}
    made = {i for t in templates for i in t["invoices"]}
    assert made and made <= {d["id"] for d in invoices}
    assert any(t["frequency"] == {"unit": "month", "interval": 3} for t in templates)

    receivables = ReceivableQueries(container.catalog)
    payments = _all(lambda page: receivables.payments(page, None))
    assert payments and all(p["date"] <= today for p in payments)
    open_items = _all(lambda page: receivables.items(page, None, "open", None, today))
    settled = _all(lambda page: receivables.items(page, None, "settled", None, today))
    assert open_items and settled

    # Aging as of today: every open item's open amount, in total: the invoices' and the dunning
    # charges' (fees and interest are receivables of their own).
    aging = receivables.aging(today)
    open_invoices = sum((Decimal(d["open_amount"]) for d in invoices), Decimal(0))
    assert open_invoices > 0
    charges = sum((Decimal(i["open_amount"]) for i in open_items if i["kind"] in ("fee", "interest")), Decimal(0))
    assert sum((Decimal(i["open_amount"]) for i in open_items if i["kind"] == "invoice"), Decimal(0)) == open_invoices
    assert Decimal(aging["total"]["total"]) == open_invoices + charges
    assert Decimal(aging["total"]["total"]) == sum((Decimal(i["open_amount"]) for i in open_items), Decimal(0))
    buckets = ("current", "d1_30", "d31_60", "d61_90", "d90_plus")
    assert sum(Decimal(aging["total"][b]) for b in buckets) == open_invoices + charges
    assert Decimal(aging["total"]["current"]) > 0

    # A partner's balance is its open items less its unapplied credit.
    partners = PartnerQueries(container.catalog)
    debtor = open_items[0]["partner"]
    balance = partners.balance(debtor)
    open_total = sum((Decimal(i["open_amount"]) for i in open_items if i["partner"] == debtor), Decimal(0))
    assert Decimal(balance["balance"]) == open_total - Decimal(balance["unapplied_credit"])

    # Profitability by product: revenue is the invoices' net less the credit notes'.
    report = ReportQueries(container.catalog).profitability(None, None, "product")
    rows = report["rows"]
    assert len([r for r in rows if r["key"]]) >= 5
    # Dunning fees and interest belong to no product: other income, no revenue.
    assert all(Decimal(r["revenue"]) == 0 and Decimal(r["other_income"]) > 0 for r in rows if not r["key"])
    revenue = sum((Decimal(r["revenue"]) for r in rows), Decimal(0))
    credited = sum((Decimal(d["net"]) for d in issued.get("credit_note", [])), Decimal(0))
    assert revenue == sum((Decimal(d["net"]) for d in invoices), Decimal(0)) - credited
    assert Decimal(report["total"]["revenue"]) == revenue
    assert Decimal(report["total"]["margin"]) > 0
    assert all(Decimal(r["cost"]) >= 0 for r in rows)

    # Dunning ran by itself at every day start: the slow payers' invoices opened cases, and the
    # ones paid since closed them.
    collection = CollectionQueries(container.catalog)
    cases = _all(lambda page: collection.cases(page, None, None, None))
    assert cases and all(c["scheme"] == "STD" for c in cases)
    assert {c["status"] for c in cases} == {"open", "closed"}
    assert all(c["level"] >= 1 for c in cases)
    closed = [c for c in cases if c["status"] == "closed"]
    assert all(c["closed_on"] and c["close_reason"] for c in closed)

    # The reps' activities: calls, meetings and tasks for several users, reminded before they
    # started, most completed, some tasks overdue, the last ones still ahead with their reminder.
    activities = _all(lambda page: ActivityQueries(container.catalog).search(page, today))
    assert {"call", "meeting", "task", "note"} <= {a["kind"] for a in activities}
    assert len({a["assignee"] for a in activities if a["origin"] is None} - {None}) >= 3
    assert {a["status"] for a in activities} == {"open", "completed"}
    assert any(a["overdue"] for a in activities if a["kind"] == "task")
    assert any(a["reminder_status"] == "sent" for a in activities)
    assert any(a["reminder_status"] == "pending" and a["start_at"] > container.clock.now() for a in activities)
    assert "activities:" in summary


def test_the_portal_link_is_for_a_customer_with_something_to_show(sales_year: SalesYear) -> None:
    from services.cli.demo import portal_invite

    container = sales_year.container
    invite = portal_invite(container)
    assert invite is not None
    code, contact, token = invite
    partner = next(r for r in _rows(container) if r["code"] == code)
    assert token.startswith("portal_") and contact
    today = container.today()
    receivables = ReceivableQueries(container.catalog)
    assert _all(lambda page: receivables.items(page, partner["id"], "open", None, today))
    assert _all(lambda page: receivables.payments(page, [partner["id"]]))
    documents = _all(lambda page: DocumentQueries(container.catalog).search(page, [partner["id"]]))
    assert any(d["status"] not in ("draft", "cancelled") for d in documents)
    requests = container.catalog.table("requests", "requests")
    with container.engine.connect() as conn:
        public = conn.execute(
            select(requests.c.number).where(
                requests.c.partner_id == partner["id"], requests.c.confidentiality == "public"
            )
        ).all()
    assert public
