"""What-if simulation: the walk on a copy of the books answers exactly what the daily jobs would
do, and leaves the real books as they were (log, read models, outbox, clock)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import func, select

from aggregates.errors import Invalid
from commands.documents import LineIn
from commands.messages import CreateTemplate, create_template
from commands.recurring_invoices import CreateRecurringInvoice, FrequencyIn, create_recurring_invoice
from services.bootstrap.container import Container
from services.bootstrap.simulation import Payment, simulate
from tests.api.helpers import role_headers
from tests.commands.collection_helpers import define, invoice, register, templates
from tests.conftest import make_settings, open_container

D = Decimal
TODAY = date(2026, 1, 15)  # the test clock's first day; the invoice falls due on it
LEVELS = [
    {"seq": 1, "name": "L1", "days_after_due": 7, "actions": [{"type": "email", "template": "R1"}]},
    {
        "seq": 2,
        "name": "L2",
        "days_after_due": 14,
        "actions": [{"type": "letter", "template": "LT"}, {"type": "fee", "amount": "10.00"}],
    },
]


def _books(c: Container) -> tuple[UUID, UUID]:
    """ACME owes one invoice of 100.00 due today, on a scheme of an e-mail at +7 days and a
    letter with a fee of 10.00 at +14."""
    for command in templates():
        c.execute(create_template, command)
    letter = CreateTemplate(code="LT", channel="letter", purpose="collection", subject="Reminder", body="Please pay.")
    c.execute(create_template, letter)
    define(c, levels=LEVELS)
    partner = register(c, "ACME")
    document = invoice(c, "ACME", "100.00", due=TODAY)
    assert c.wait(c.store.head(), 10)
    return partner, document


def _read_models(c: Container) -> dict[str, int]:
    """Every read-model table's row count, and every position."""
    counts: dict[str, int] = {}
    with c.engine.connect() as conn:
        for name in c.catalog.projections:
            for table_name, table in c.catalog.tables(name).items():
                counts[f"{name}.{table_name}"] = conn.execute(select(func.count()).select_from(table)).scalar_one()
    return {**counts, **{f"position {k}": v for k, v in c.catalog.positions().items()}}


def _real_books(c: Container) -> dict[str, Any]:
    return {"head": c.store.head(), "now": c.clock.now(), "last_day_run": c.clock.last_day_run(), **_read_models(c)}


@pytest.mark.postgres
def test_an_overdue_invoice_escalates_in_the_walk_and_nothing_real_changes(container: Container) -> None:
    partner, document = _books(container)
    before = _real_books(container)

    out = simulate(container, date(2026, 2, 4))

    assert (out.start, out.until) == (TODAY, date(2026, 2, 4))
    assert out.messages == [
        {
            "date": date(2026, 1, 22),
            "partner": partner,
            "channel": "email",
            "template": "R1",
            "to": "ap@acme.example",
            "subject": "Overdue",
            "documents": [document],
        },
        {
            "date": date(2026, 1, 29),
            "partner": partner,
            "channel": "letter",
            "template": "LT",
            "to": "ACME Ltd\nAttn. Accounts",
            "subject": "Reminder",
            "documents": [document],
        },
    ]
    assert out.charges == [{"date": date(2026, 1, 29), "partner": partner, "kind": "fee", "amount": D("10.00")}]
    assert out.levels == [
        {"date": date(2026, 1, 22), "document": document, "level": 1},
        {"date": date(2026, 1, 29), "document": document, "level": 2},
    ]
    assert out.blocks == [] and out.invoices == []
    assert out.balances == [{"partner": partner, "balance": D("110.00")}]
    # Nothing was recorded, queued or sent, no read model moved, the clock stood still.
    assert _real_books(container) == before


def test_a_full_payment_before_the_first_level_leaves_nothing_to_do(sqlite_container: Container) -> None:
    partner, _ = _books(sqlite_container)
    before = _real_books(sqlite_container)

    out = simulate(sqlite_container, date(2026, 2, 4), [Payment("ACME", D("100.00"), date(2026, 1, 20))])

    assert out.messages == out.charges == out.levels == out.blocks == out.invoices == []
    assert out.balances == [{"partner": partner, "balance": D("0.00")}]
    assert _real_books(sqlite_container) == before


def test_recurring_invoices_are_made_in_the_walk(sqlite_container: Container) -> None:
    c = sqlite_container
    partner = register(c, "RENT")
    lines = [LineIn(product="RENT", quantity=D("1"), unit_price=D("250.00"))]
    template = c.execute(
        create_recurring_invoice,
        CreateRecurringInvoice(
            partner="RENT", lines=lines, frequency=FrequencyIn(unit="month"), next_date=date(2026, 1, 31)
        ),
    ).id
    head = c.store.head()

    out = simulate(c, date(2026, 3, 1))

    assert [(i["date"], i["partner"], i["template"], i["total"]) for i in out.invoices] == [
        (date(2026, 1, 31), partner, template, D("250.00")),
        (date(2026, 2, 28), partner, template, D("250.00")),
    ]
    assert out.balances == [{"partner": partner, "balance": D("500.00")}]
    assert c.store.head() == head


def test_bad_input_is_refused_at_its_field(sqlite_container: Container) -> None:
    register(sqlite_container, "ACME")
    sqlite_container.wait(sqlite_container.store.head(), 10)
    cases: list[tuple[date, Payment | None, list[Any]]] = [
        (date(2026, 1, 14), None, ["body", "until"]),
        (date(2027, 1, 17), None, ["body", "until"]),
        (date(2026, 2, 1), Payment("NOBODY", D("1.00"), date(2026, 1, 20)), ["body", "payments", 0, "partner"]),
        (date(2026, 2, 1), Payment("ACME", D("0.00"), date(2026, 1, 20)), ["body", "payments", 0, "amount"]),
        (date(2026, 2, 1), Payment("ACME", D("1.00"), date(2026, 1, 14)), ["body", "payments", 0, "date"]),
        (date(2026, 2, 1), Payment("ACME", D("1.00"), date(2026, 2, 2)), ["body", "payments", 0, "date"]),
    ]
    for until, payment, loc in cases:
        with pytest.raises(Invalid) as refused:
            simulate(sqlite_container, until, [payment] if payment else [])
        assert refused.value.errors[0]["loc"] == loc, (until, payment)


def test_post_simulations(sqlite_client: Any) -> None:
    client = sqlite_client
    container: Container = client.app.state.container
    partner, document = _books(container)
    analyst = role_headers(client, "analyst")
    head = container.store.head()

    answer = client.post("/v1/simulations", json={"until": "2026-02-04", "payments": []}, headers=analyst)

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["from"], body["until"]) == ("2026-01-15", "2026-02-04")
    assert [(m["date"], m["channel"], m["documents"]) for m in body["messages"]] == [
        ("2026-01-22", "email", [str(document)]),
        ("2026-01-29", "letter", [str(document)]),
    ]
    assert body["charges"] == [{"date": "2026-01-29", "partner": str(partner), "kind": "fee", "amount": "10.00"}]
    assert [(lv["date"], lv["level"]) for lv in body["levels"]] == [("2026-01-22", 1), ("2026-01-29", 2)]
    assert body["balances"] == [{"partner": str(partner), "balance": "110.00"}]
    assert container.store.head() == head

    refused = client.post(
        "/v1/simulations",
        json={"until": "2026-02-04", "payments": [{"partner": "NOBODY", "amount": "5", "date": "2026-01-20"}]},
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"] == ["body", "payments", 0, "partner"]
    auditor = role_headers(client, "auditor")
    assert client.post("/v1/simulations", json={"until": "2026-02-04"}, headers=auditor).status_code == 403


def test_a_partial_payment_leaves_the_rest_to_collection(sqlite_container: Container) -> None:
    partner, document = _books(sqlite_container)

    out = simulate(sqlite_container, date(2026, 2, 4), [Payment("ACME", D("40.00"), date(2026, 1, 20))])

    assert [(lv["document"], lv["level"]) for lv in out.levels] == [(document, 1), (document, 2)]
    assert out.charges == [{"date": date(2026, 1, 29), "partner": partner, "kind": "fee", "amount": D("10.00")}]
    assert out.balances == [{"partner": partner, "balance": D("70.00")}]


def test_the_command_line_prints_the_walk_as_tables(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from services.cli.main import app

    container = open_container(make_settings(tmp_path))
    try:
        _books(container)
        head = container.store.head()
    finally:
        container.close()
    env = {
        "CPTY_DATA_DIR": str(tmp_path / "data"),
        "CPTY_DATABASE_URL": "",
        "CPTY_CLOCK": "manual",
        "CPTY_CLOCK_START": "2026-01-15T00:00:00Z",
        "CPTY_LOG_LEVEL": "WARNING",
        "COLUMNS": "200",
    }
    cli = CliRunner()

    done = cli.invoke(app, ["simulate", "--until", "2026-02-04", "--payment", "ACME:40.00:2026-01-20"], env=env)

    assert done.exit_code == 0, done.output
    for line in ("Messages (2)", "Charges (1)", "Levels (2)", "Balances (1)", "IN2601-0001"):
        assert line in done.output, done.output
    assert "ACME" in done.output and "70.00" in done.output
    refused = cli.invoke(app, ["simulate", "--until", "2026-01-01"], env=env)
    assert refused.exit_code == 2
    assert "until: until may not be before today (2026-01-15)" in refused.output
    reopened = open_container(make_settings(tmp_path))
    try:
        assert reopened.store.head() == head
    finally:
        reopened.close()
