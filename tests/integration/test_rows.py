"""``Rows`` on SQLite and PostgreSQL: a page reads each row at most once and writes it once, and
what the projections see and leave behind is what one statement per call gave."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import Boolean, Column, Date, DateTime, Integer, MetaData, Numeric, String, Table, Text, event, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from aggregates.base import DomainEvent, EventMeta
from aggregates.partner import Address, Contact, Partner, PartnerDetails
from projections.catalog import Rows
from projections.runner import Runner
from services.bootstrap.container import Container
from services.cli.replay import table_rows

pytestmark = pytest.mark.postgres  # both stores: the statements differ


@pytest.fixture
def tables(container: Container) -> Iterator[dict[str, Table]]:
    meta = MetaData()
    items = Table(
        "rows_test_items",
        meta,
        Column("id", String(36), primary_key=True),
        Column("name", Text, nullable=False),
        Column("amount", Numeric(18, 2), nullable=False),
        Column("on", Date),
        Column("at", DateTime(timezone=True)),
        Column("open", Boolean, nullable=False),
        Column("merged_into", String(36)),
        Column("count", Integer, nullable=False, default=0),
    )
    tags = Table(
        "rows_test_tags",
        meta,
        Column("item_id", String(36), primary_key=True),
        Column("tag", String(40), primary_key=True),
    )
    meta.create_all(container.engine)
    yield {"items": items, "tags": tags, "statements": {}}  # type: ignore[dict-item]
    meta.drop_all(container.engine)


@contextmanager
def page(engine: Engine, tables: dict[str, Table]) -> Iterator[Rows]:
    """One page's transaction, as the runner opens it: the writes go out at its end, and what
    the pages of one table set learn about it is kept with its statements."""
    with engine.begin() as conn:
        rows = Rows(conn, tables, tables["statements"])  # type: ignore[arg-type]
        yield rows
        rows.flush()


def statements(engine: Engine) -> list[str]:
    """The statements sent from now on (first words), for counting round trips."""
    sent: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        sent.append(" ".join(statement.split()[:3]))

    return sent


def stored(engine: Engine, table: Table) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(table).order_by(*table.primary_key)).mappings()]


def test_a_row_read_back_in_its_page_reads_as_the_database_gives_it(
    container: Container, tables: dict[str, Table]
) -> None:
    at = datetime(2026, 1, 15, 10, 30, tzinfo=UTC)
    with page(container.engine, tables) as rows:
        rows.update("items", {"id": "a"}, name="nothing to update")
        rows.insert("items", id="a", name="Alpha", amount=5, on=date(2026, 1, 15), at=at, open=1)
        in_page = rows.get("items", id="a")
    from_database = stored(container.engine, tables["items"])
    assert in_page is not None
    assert [in_page] == from_database
    assert in_page["amount"] == Decimal("5.00") and str(in_page["amount"]) == "5.00"
    assert in_page["open"] is True
    assert in_page["count"] == 0  # the column's default
    assert in_page["at"] == (at if container.engine.dialect.name == "postgresql" else at.replace(tzinfo=None))


def test_a_page_writes_each_row_once_however_often_it_changes(container: Container, tables: dict[str, Table]) -> None:
    with page(container.engine, tables) as rows:
        assert rows.get("items", id="old") is None
        rows.insert("items", id="old", name="Old", amount=1, open=True)
    sent = statements(container.engine)
    with page(container.engine, tables) as rows:
        for i in range(3):
            rows.insert("items", id=f"new{i}", name="New", amount=1, open=True)
            for n in range(5):
                assert rows.update("items", {"id": f"new{i}"}, count=n) == 1
        for _ in range(5):
            row = rows.get("items", id="old")
            assert row is not None
            rows.update("items", {"id": "old"}, count=row["count"] + 1, amount=Decimal("2.50"))
        assert rows.update("items", {"id": "missing"}, count=1) == 0
    # One read of the row the page reads and did not write itself, one UPDATE of a row it only
    # updates (none), then one INSERT of the new rows and one upsert of the changed one.
    reads = [s for s in sent if s.startswith("SELECT")]
    writes = [s for s in sent if not s.startswith(("SELECT", "BEGIN", "COMMIT"))]
    assert len(reads) == 1
    assert writes == ["UPDATE rows_test_items SET", "INSERT INTO rows_test_items", "INSERT INTO rows_test_items"]
    assert [(r["id"], r["count"], r["amount"]) for r in stored(container.engine, tables["items"])] == [
        ("new0", 4, Decimal("1.00")),
        ("new1", 4, Decimal("1.00")),
        ("new2", 4, Decimal("1.00")),
        ("old", 5, Decimal("2.50")),
    ]


def test_a_delete_takes_rows_stored_before_and_inserted_in_the_page_but_not_those_after(
    container: Container, tables: dict[str, Table]
) -> None:
    with page(container.engine, tables) as rows:
        for item, tag in (("a", "stored"), ("b", "stored")):
            rows.insert("tags", item_id=item, tag=tag)
    with page(container.engine, tables) as rows:
        rows.insert("tags", item_id="a", tag="pending")
        rows.insert("tags", item_id="b", tag="pending")
        rows.delete("tags", item_id="a")
        rows.insert("tags", item_id="a", tag="after")
        rows.insert("tags", item_id="a", tag="stored")  # stored before, deleted, then again
        assert rows.all("tags", item_id="a") == [
            {"item_id": "a", "tag": "after"},
            {"item_id": "a", "tag": "stored"},
        ]
        rows.delete("tags", item_id="b", tag="stored")
    assert stored(container.engine, tables["tags"]) == [
        {"item_id": "a", "tag": "after"},
        {"item_id": "a", "tag": "stored"},
        {"item_id": "b", "tag": "pending"},
    ]


def test_kept_rows_meet_updates_and_deletes_by_other_columns(container: Container, tables: dict[str, Table]) -> None:
    with page(container.engine, tables) as rows:
        rows.insert("items", id="x", name="X", amount=1, open=True)
    with page(container.engine, tables) as rows:
        rows.update("items", {"id": "x"}, merged_into="y")  # kept, not written yet
        rows.insert("items", id="z", name="Z", amount=1, open=True, merged_into="y")
        assert rows.update("items", {"merged_into": "y"}, merged_into="w") == 2
        assert rows.get("items", id="x") == {**(rows.get("items", id="z") or {}), "id": "x", "name": "X"}
        assert rows.get("items", id="x", merged_into="w") is not None
        assert rows.get("items", id="x", merged_into="y") is None
        rows.update("items", {"id": "x"}, open=False)
        rows.delete("items", open=False)  # matches x only as the page changed it
        assert rows.get("items", id="x") is None
    assert [(r["id"], r["merged_into"]) for r in stored(container.engine, tables["items"])] == [("z", "w")]


def test_a_duplicate_insert_is_refused_as_before(container: Container, tables: dict[str, Table]) -> None:
    with pytest.raises(IntegrityError), page(container.engine, tables) as rows:
        rows.get("items", id="d")  # kept by key from here on
        rows.insert("items", id="d", name="D", amount=1, open=True)
        rows.insert("items", id="d", name="D again", amount=1, open=True)
    assert stored(container.engine, tables["items"]) == []


# -- the partner directory: one page touching one partner many times ----------------------------


def _stamped(events: list[DomainEvent], on: date) -> list[DomainEvent]:
    meta = EventMeta(business_date=on, actor="test")
    at = datetime(2026, 1, 15, 9, 0, tzinfo=timezone(timedelta(hours=1)))
    return [e.model_copy(update={"meta": meta, "timestamp": at}) for e in events]


def _billing(street: str, default: bool) -> Address:
    return Address(id=uuid4(), usage=("billing",), street=street, city="Berlin", country="DE", is_default=default)


def test_the_directory_gives_the_same_rows_from_one_page_as_from_one_event_per_page(container: Container) -> None:
    on = date(2026, 1, 15)
    details = PartnerDetails(name="Alpha GmbH", email="info@alpha.example", tags=("a",), credit_limit=Decimal("100"))
    alpha = Partner.register(uuid4(), "ALPHA", details, on)
    alpha.change_details({"tags": ("a", "b"), "email": "office@alpha.example", "credit_limit": "250.50"})
    first, second = _billing("First St 1", True), _billing("Second St 2", True)
    alpha.add_address(first)
    alpha.add_address(second)  # takes the default of the billing usage
    alpha.change_address(first.model_copy(update={"street": "First St 1a"}))
    alpha.add_contact(Contact(id=uuid4(), name="Jan", email="Jan@Alpha.example"))
    alpha.place_credit_hold("late", on)
    beta = Partner.register(uuid4(), "BETA", PartnerDetails(name="Beta AG", tags=("c",)), on)
    beta.add_contact(Contact(id=uuid4(), name="Eva", email="eva@beta.example"))
    beta.add_address(_billing("Beta Way 3", True))
    alpha.absorb(beta, on)
    beta.mark_merged_into(alpha.id, on)
    alpha.change_details({"name": "Alpha & Beta GmbH"})
    events = alpha.collect_events()
    beta_events = beta.collect_events()
    # Beta's history comes before the merge, its "merged into" after Alpha's absorption.
    log = events[:7] + beta_events[:3] + events[7:8] + beta_events[3:] + events[8:]
    container.store.save(_stamped(log, on))

    Runner(container.store, container.catalog, page=1).build_copies({"partner_directory": 501})
    Runner(container.store, container.catalog, page=1000).build_copies({"partner_directory": 502})
    one_by_one, one_page = (
        table_rows(container, "partner_directory", 501),
        table_rows(container, "partner_directory", 502),
    )
    assert one_page == one_by_one

    partners = {r["code"]: r for r in _table(container, 502, "partners")}
    assert partners["ALPHA"]["name"] == "Alpha & Beta GmbH"
    assert partners["ALPHA"]["credit_limit"] == Decimal("250.50")
    assert partners["ALPHA"]["manual_hold"] == "late"
    assert partners["ALPHA"]["version"] == len(events)
    streets = {a["street"]: a["is_default"] for a in _json(partners["ALPHA"]["addresses"]).values()}
    # The change made the first address the default again; the absorbed one is no default.
    assert streets == {"First St 1a": True, "Second St 2": False, "Beta Way 3": False}
    assert sorted(c["name"] for c in _json(partners["ALPHA"]["contacts"]).values()) == ["Eva", "Jan"]
    assert (partners["BETA"]["status"], partners["BETA"]["merged_into"]) == ("merged", str(alpha.id))
    assert (partners["BETA"]["contacts"], partners["BETA"]["addresses"]) == ("{}", "{}")
    assert sorted((r["partner_id"], r["tag"]) for r in _table(container, 502, "tags")) == sorted(
        [(str(alpha.id), "a"), (str(alpha.id), "b"), (str(alpha.id), "c"), (str(beta.id), "c")]
    )
    assert sorted(r["email"] for r in _table(container, 502, "emails")) == [
        "eva@beta.example",
        "jan@alpha.example",
        "office@alpha.example",
    ]
    for version in (501, 502):
        container.catalog.drop("partner_directory", version)


def _table(container: Container, version: int, name: str) -> list[dict[str, Any]]:
    table = container.catalog.table_set("partner_directory", version)[name]
    with container.engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(table)).mappings()]


def _json(text: str) -> dict[str, Any]:
    import json

    return dict(json.loads(text))
