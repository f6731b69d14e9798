"""The demo data set: loaded through the commands, exact counts in the read models, merged
duplicates as tombstones, a clock that moved forward, the same data for the same size, and a
second load that adds nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from rich.progress import Progress
from sqlalchemy import select

from queries.pages import PageRequest
from queries.partners import PartnerFilters, PartnerQueries
from queries.settings import SettingsQueries
from services.container import Container
from services.demo import load_demo
from tests.conftest import make_settings, open_container

PARTNERS = 30
MERGES = 3  # each absorbs one duplicate at this size
ALL = PageRequest(limit=500)


def _load(container: Container, partners: int = PARTNERS) -> str:
    return load_demo(container, partners, Progress(disable=True))


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

    # Loading again adds nothing.
    head = container.store.head()
    again = _load(container)
    assert "already loaded" in again
    assert container.store.head() == head


def test_the_same_size_gives_the_same_data_set(sqlite_container: Container, tmp_path: Path) -> None:
    _load(sqlite_container)
    other = open_container(make_settings(tmp_path / "other"))
    try:
        _load(other)

        def facts(c: Container) -> list[tuple[object, ...]]:
            return sorted((r["code"], r["name"], r["status"], r["tax_id"], r["created_on"]) for r in _rows(c))

        assert facts(sqlite_container) == facts(other)
    finally:
        other.close()
