"""/v1/reports: profitability by partner, group, sales rep and product (credit notes subtract,
cancelled and draft invoices do not count), the sales reps' figures, and the partner profile's
document and payment figures."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.helpers import assert_problem, create_partner, error_locs
from tests.api.sales_helpers import act, draft, issued, line, pay

FIGURES = ("revenue", "cost", "margin", "markup_percent", "margin_percent", "other_income")
JANUARY = {"from": "2026-01-01", "to": "2026-01-31"}


def report(client: Any, group_by: str, **params: Any) -> dict[str, Any]:
    response = client.get("/v1/reports/profitability", params={"group_by": group_by, **params})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def rows(body: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(r["key"], r["label"], *(r[f] for f in FIGURES)) for r in body["rows"]]


def total(body: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(body["total"][f] for f in FIGURES)


def setup_sales(client: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    client.post("/v1/partner-groups", json={"code": "G-RETAIL", "name": "Retail"})
    client.post("/v1/users", json={"username": "anna", "name": "Anna Nowak"})
    client.post("/v1/users", json={"username": "bob", "name": "Bob Kowalski"})
    a = create_partner(client, name="Alpha", group="G-RETAIL", sales_reps=["anna"])
    b = create_partner(client, name="Beta", sales_reps=["bob"])
    p1, p2 = ("P1", "2", "100.00"), ("P2", "1", "50.00")
    issued(
        client, a["id"], "invoice", [line(*p1, tax_rate="23", unit_cost="60"), line(*p2, tax_rate="23", unit_cost="10")]
    )
    issued(client, b["id"], "invoice", [line("P1", "1", "100.00", unit_cost="60")])
    issued(client, a["id"], "credit_note", [line("P1", "1", "100.00", tax_rate="23", unit_cost="60")])
    issued(client, a["id"], "invoice", [line("P2", "10", "50.00", unit_cost="10")], issue_date="2025-12-20")
    cancelled = issued(client, b["id"], "invoice", [line("P1", "5", "100.00", unit_cost="60")])
    act(client, cancelled["id"], "cancel", {"reason": "duplicate"})
    draft(client, b["id"], "invoice", [line("P1", "7", "100.00", unit_cost="60")])
    # quotes and orders are not revenue, but count for the sales reps
    accepted = issued(client, a["id"], "quote", [line("P1", "1", "999.00")])
    act(client, accepted["id"], "accept")
    issued(client, a["id"], "quote", [line("P1", "1", "999.00")])
    issued(client, b["id"], "quote", [line("P1", "1", "999.00")])
    issued(client, b["id"], "order", [line("P1", "1", "999.00")])
    draft(client, b["id"], "quote", [line("P1", "1", "999.00")])
    return a, b


@pytest.mark.postgres
def test_profitability_by_every_grouping_and_the_sales_reps_figures(client: Any) -> None:
    a, b = setup_sales(client)
    by_partner = report(client, "partner", **JANUARY)
    assert by_partner["rows"] == sorted(by_partner["rows"], key=lambda r: r["key"])
    assert sorted(rows(by_partner)) == sorted(
        [
            # 200 + 50 − 100 revenue, 120 + 10 − 60 cost: markup 80 / 70, margin 80 / 150
            (a["id"], "Alpha", "150.00", "70.00", "80.00", "114.29", "53.33", "0.00"),
            (b["id"], "Beta", "100.00", "60.00", "40.00", "66.67", "40.00", "0.00"),
        ]
    )
    assert total(by_partner) == ("250.00", "130.00", "120.00", "92.31", "48.00", "0.00")
    assert rows(report(client, "group", **JANUARY)) == [
        ("G-RETAIL", "Retail", "150.00", "70.00", "80.00", "114.29", "53.33", "0.00"),
        (None, "(none)", "100.00", "60.00", "40.00", "66.67", "40.00", "0.00"),
    ]
    assert rows(report(client, "sales_rep", **JANUARY)) == [
        ("anna", "Anna Nowak", "150.00", "70.00", "80.00", "114.29", "53.33", "0.00"),
        ("bob", "Bob Kowalski", "100.00", "60.00", "40.00", "66.67", "40.00", "0.00"),
    ]
    by_product = report(client, "product", **JANUARY)
    assert rows(by_product) == [
        ("P1", "P1", "200.00", "120.00", "80.00", "66.67", "40.00", "0.00"),
        ("P2", "P2", "50.00", "10.00", "40.00", "400.00", "80.00", "0.00"),
    ]
    assert total(by_product) == total(by_partner)
    # without a period, December's invoice counts too
    everything = report(client, "partner")
    assert total(everything) == ("750.00", "230.00", "520.00", "226.09", "69.33", "0.00")
    assert rows(report(client, "product", to="2025-12-31")) == [
        ("P2", "P2", "500.00", "100.00", "400.00", "400.00", "80.00", "0.00")
    ]
    assert report(client, "product", **{"from": "2026-02-01"}) == {
        "from": "2026-02-01",
        "to": None,
        "group_by": "product",
        "rows": [],
        "total": {
            "revenue": "0.00",
            "cost": "0.00",
            "margin": "0.00",
            "markup_percent": None,
            "margin_percent": None,
            "other_income": "0.00",
        },
    }

    response = client.get("/v1/reports/sales-reps", params=JANUARY)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "rows": [
            {
                "sales_rep": "anna",
                "name": "Anna Nowak",
                "partners": 1,
                "quotes_sent": 2,
                "quotes_accepted": 1,
                "orders": 0,
                "revenue": "150.00",
                "margin": "80.00",
            },
            {
                "sales_rep": "bob",
                "name": "Bob Kowalski",
                "partners": 1,
                "quotes_sent": 1,
                "quotes_accepted": 0,
                "orders": 1,
                "revenue": "100.00",
                "margin": "40.00",
            },
        ]
    }
    december = client.get("/v1/reports/sales-reps", params={"from": "2025-12-01", "to": "2025-12-31"}).json()["rows"]
    assert [(r["sales_rep"], r["quotes_sent"], r["orders"], r["revenue"], r["margin"]) for r in december] == [
        ("anna", 0, 0, "500.00", "400.00"),
        ("bob", 0, 0, "0.00", "0.00"),
    ]


def test_report_parameters_are_validated(sqlite_client: Any) -> None:
    client = sqlite_client
    problem = assert_problem(
        client.get("/v1/reports/profitability", params={"group_by": "colour"}), 422, "validation_error"
    )
    assert error_locs(problem) == [["query", "group_by"]]
    problem = assert_problem(
        client.get("/v1/reports/profitability", params={"from": "January"}), 422, "validation_error"
    )
    assert error_locs(problem) == [["query", "from"]]
    assert_problem(client.get("/v1/reports/sales-reps", params={"to": "2026-13-01"}), 422, "validation_error")
    assert client.get("/v1/reports/sales-reps").json() == {"rows": []}


@pytest.mark.postgres
def test_the_profile_counts_and_totals_documents_and_payments(client: Any) -> None:
    p = create_partner(client, name="Acme")
    issued(client, p["id"], "quote", [line("A", "1", "10.00")])
    draft(client, p["id"], "quote", [line("A", "1", "10.00")])
    issued(client, p["id"], "order", [line("A", "1", "20.00", tax_rate="23")])
    issued(client, p["id"], "invoice", [line("A", "1", "100.00", tax_rate="23")])
    issued(client, p["id"], "invoice", [line("A", "4", "100.00")], issue_date="2025-11-30")
    gone = issued(client, p["id"], "invoice", [line("A", "1", "1000.00")])
    act(client, gone["id"], "cancel", {"reason": "wrong"})
    issued(client, p["id"], "credit_note", [line("A", "1", "30.00", tax_rate="23")])
    pay(client, p["id"], "50.00")
    pay(client, p["id"], "12.50", date="2026-01-02")

    profile = client.get(f"/v1/partners/{p['code']}/profile")
    assert profile.status_code == 200, profile.text
    body = profile.json()
    assert body["counts"] == {
        "quotes": 1,
        "orders": 1,
        "proformas": 0,
        "invoices": 2,
        "credit_notes": 1,
        "payments": 2,
        "contacts": 0,
        "addresses": 0,
    }
    assert body["totals"] == {
        "quotes": "10.00",
        "orders": "24.60",
        "proformas": "0.00",
        "invoices": "523.00",
        "credit_notes": "36.90",
        "payments": "62.50",
    }
    assert body["turnover"] == {"this_year": "70.00", "last_year": "400.00"}
    # 523.00 invoiced − 62.50 paid (the oldest first) − 36.90 unapplied credit
    assert (body["balance"]["balance"], body["balance"]["unapplied_credit"]) == ("423.60", "36.90")
    assert [(i["due_date"], i["open_amount"]) for i in body["open_items"]] == [
        ("2025-12-30", "337.50"),
        ("2026-02-14", "123.00"),
    ]
