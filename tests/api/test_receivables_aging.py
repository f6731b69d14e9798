"""/v1/receivables: the list and its filters, aging buckets per partner and in total (also as of a
past date, exact: later payments are ignored), and waiving only fees and interest."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.helpers import assert_problem, create_partner
from tests.api.sales_helpers import balance, invoice_of, pay

BUCKETS = ("current", "d1_30", "d31_60", "d61_90", "d90_plus", "total")


def buckets(row: dict[str, Any]) -> tuple[str, ...]:
    return tuple(row[b] for b in BUCKETS)


def aging(client: Any, **params: Any) -> dict[str, Any]:
    response = client.get("/v1/receivables/aging", params=params)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def overdue_invoice(client: Any, partner: str, amount: str, due: str) -> dict[str, Any]:
    """An invoice issued on its due date (no payment terms)."""
    return invoice_of(client, partner, amount, issue_date=due, payment_terms_days=0)


@pytest.mark.postgres
def test_aging_buckets_per_partner_and_in_total_now_and_in_the_past(client: Any) -> None:
    beta = create_partner(client, name="Beta")
    alpha = create_partner(client, name="Alpha")
    invoice_of(client, alpha["id"], "100.00", payment_terms_days=5)  # due 2026-01-20: current
    overdue_invoice(client, alpha["id"], "200.00", "2026-01-05")  # 10 days
    overdue_invoice(client, alpha["id"], "300.00", "2025-12-16")  # 30 days
    overdue_invoice(client, alpha["id"], "400.00", "2025-12-15")  # 31 days
    a5 = overdue_invoice(client, alpha["id"], "500.00", "2025-11-01")  # 75 days
    overdue_invoice(client, alpha["id"], "600.00", "2025-10-17")  # 90 days
    a7 = overdue_invoice(client, alpha["id"], "700.00", "2025-10-16")  # 91 days
    overdue_invoice(client, beta["id"], "50.00", "2026-01-15")  # due today: current
    overdue_invoice(client, beta["id"], "25.00", "2025-12-01")  # 45 days

    now = aging(client)
    assert now["as_of"] == "2026-01-15"
    assert [(r["partner"], r["code"], r["name"]) for r in now["partners"]] == [  # by code
        (beta["id"], "CU2601-0001", "Beta"),
        (alpha["id"], "CU2601-0002", "Alpha"),
    ]
    assert buckets(now["partners"][1]) == ("100.00", "500.00", "400.00", "1100.00", "700.00", "2800.00")
    assert buckets(now["partners"][0]) == ("50.00", "0.00", "25.00", "0.00", "0.00", "75.00")
    assert buckets(now["total"]) == ("150.00", "500.00", "425.00", "1100.00", "700.00", "2875.00")
    assert aging(client, as_of="2026-01-15") == now

    pay(client, alpha["id"], "200.00", date="2026-01-10", allocations=[{"document": a5["number"], "amount": "200.00"}])
    pay(client, alpha["id"], "700.00", allocations=[{"document": a7["id"], "amount": "700.00"}])
    now = aging(client)
    assert buckets(now["partners"][1]) == ("100.00", "500.00", "400.00", "900.00", "0.00", "1900.00")
    assert buckets(now["total"]) == ("150.00", "500.00", "425.00", "900.00", "0.00", "1975.00")
    assert balance(client, alpha["id"])["balance"] == "1900.00"

    # As of the 10th: invoices booked later are left out, the payment of the 15th is ignored, and
    # the payment of the 10th counts.
    past = aging(client, as_of="2026-01-10")
    assert past["as_of"] == "2026-01-10"
    assert [r["partner"] for r in past["partners"]] == [beta["id"], alpha["id"]]
    assert buckets(past["partners"][1]) == ("0.00", "900.00", "0.00", "1600.00", "0.00", "2500.00")
    assert buckets(past["partners"][0]) == ("0.00", "0.00", "25.00", "0.00", "0.00", "25.00")
    assert buckets(past["total"]) == ("0.00", "900.00", "25.00", "1600.00", "0.00", "2525.00")
    before = aging(client, as_of="2026-01-09")
    assert buckets(before["partners"][1]) == ("0.00", "900.00", "0.00", "1800.00", "0.00", "2700.00")
    assert aging(client, as_of="2025-09-30") == {
        "as_of": "2025-09-30",
        "partners": [],
        "total": dict.fromkeys(BUCKETS, "0.00"),
    }
    only_beta = aging(client, partner=beta["code"])
    assert [r["partner"] for r in only_beta["partners"]] == [beta["id"]]
    assert buckets(only_beta["total"]) == ("50.00", "0.00", "25.00", "0.00", "0.00", "75.00")


def test_credit_used_by_a_backdated_invoice_counts_from_the_day_it_arrived(client: Any) -> None:
    p = create_partner(client, name="Prepaid")
    for amount, day in (("10.00", "2026-01-02"), ("30.00", "2026-01-08"), ("70.00", "2026-01-10")):
        assert pay(client, p["id"], amount, date=day)["unapplied"] == amount
    first = overdue_invoice(client, p["id"], "80.00", "2026-01-05")  # takes 10 + 30 + 40, first in first out
    second = overdue_invoice(client, p["id"], "20.00", "2026-01-03")  # takes 20 of the credit of the 10th
    assert (first["open_amount"], second["open_amount"]) == ("0.00", "0.00")
    assert (balance(client, p["id"])["balance"], balance(client, p["id"])["unapplied_credit"]) == ("-10.00", "10.00")
    for as_of, expected in (
        ("2026-01-04", "20.00"),  # only the second invoice is booked, and no credit covers it yet
        ("2026-01-07", "90.00"),  # 70.00 + 20.00: only the credit of the 2nd has reached the first
        ("2026-01-09", "60.00"),  # 40.00 + 20.00
        ("2026-01-10", "0.00"),
    ):
        body = aging(client, as_of=as_of)
        assert (body["total"]["d1_30"], body["total"]["total"]) == (expected, expected), as_of
    settled = client.get("/v1/receivables", params={"partner": p["id"], "status": "settled"}).json()["items"]
    assert [(i["id"], i["settled_on"]) for i in settled] == [(second["id"], "2026-01-10"), (first["id"], "2026-01-10")]


@pytest.mark.postgres
def test_the_receivables_list_filters_by_partner_status_and_overdue(client: Any) -> None:
    a = create_partner(client, name="A")
    b = create_partner(client, name="B")
    current = invoice_of(client, a["id"], "10.00")  # due 2026-02-14
    late = overdue_invoice(client, a["id"], "20.00", "2026-01-01")
    due_today = overdue_invoice(client, a["id"], "30.00", "2026-01-15")
    paid = overdue_invoice(client, a["id"], "40.00", "2025-12-01")
    pay(client, a["id"], "40.00", allocations=[{"document": paid["id"], "amount": "40.00"}])
    other = overdue_invoice(client, b["id"], "50.00", "2025-12-31")

    def numbers(**params: Any) -> list[str]:
        response = client.get("/v1/receivables", params=params)
        assert response.status_code == 200, response.text
        return [i["number"] for i in response.json()["items"]]

    assert numbers() == [paid["number"], other["number"], late["number"], due_today["number"], current["number"]]
    assert numbers(partner=a["code"]) == [paid["number"], late["number"], due_today["number"], current["number"]]
    assert numbers(partner=a["id"], status="open") == [late["number"], due_today["number"], current["number"]]
    assert numbers(status="settled") == [paid["number"]]
    assert numbers(overdue="true") == [other["number"], late["number"]]
    assert numbers(partner=b["id"], overdue="true") == [other["number"]]
    item = client.get("/v1/receivables", params={"partner": a["id"], "status": "settled"}).json()["items"][0]
    assert item == {
        "id": paid["id"],
        "kind": "invoice",
        "document": paid["id"],
        "number": paid["number"],
        "partner": a["id"],
        "due_date": "2025-12-01",
        "booked_on": "2025-12-01",
        "amount": "40.00",
        "open_amount": "0.00",
        "currency": "EUR",
        "status": "settled",
        "settled_on": "2026-01-15",
    }
    page = client.get("/v1/receivables", params={"limit": 2}).json()
    assert len(page["items"]) == 2 and page["next_cursor"]


def test_an_invoice_is_not_waived(sqlite_client: Any) -> None:
    client = sqlite_client
    p = create_partner(client, name="Acme")
    inv = invoice_of(client, p["id"], "10.00")
    assert_problem(client.post(f"/v1/receivables/{inv['id']}/waive", json={"reason": "goodwill"}), 409, "not_a_charge")
    assert balance(client, p["id"])["balance"] == "10.00"
    missing = "00000000-0000-0000-0000-000000000000"
    assert_problem(client.post(f"/v1/receivables/{missing}/waive", json={"reason": "x"}), 404, "not_found")
    assert_problem(client.post(f"/v1/receivables/{inv['id']}/waive", json={}), 422, "validation_error")
    assert_problem(client.get("/v1/receivables/aging", params={"as_of": "someday"}), 422, "validation_error")
