"""/v1/interest-notes over HTTP: a note for an invoice paid late, read back, listed, as PDF, and in
the balance; a second note over the same days and bad input are refused."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.helpers import assert_problem, create_partner, error_locs
from tests.api.sales_helpers import balance, invoice_of, pay

PERIOD = {"from": "2025-12-01", "to": "2026-01-14", "annual_rate": "10.00"}


@pytest.mark.postgres
def test_an_interest_note_for_an_invoice_paid_late(client: Any) -> None:
    p = create_partner(client, name="Late Payer")
    inv = invoice_of(client, p["id"], "1000.00", issue_date="2025-12-01", due_date="2025-12-15")
    pay(client, p["id"], "1000.00", date="2026-01-14")  # 30 days after the due date

    response = client.post("/v1/interest-notes", json={"partner": p["code"], **PERIOD})
    assert response.status_code == 201, response.text
    note = response.json()
    # 1,000.00 × 30 days × 10 % / 365 = 8.219… → 8.22
    assert note == {
        "id": note["id"],
        "number": "IT2601-0001",
        "partner": p["id"],
        "from": "2025-12-01",
        "to": "2026-01-14",
        "annual_rate": "10.00",
        "currency": "EUR",
        "total": "8.22",
        "open_amount": "8.22",
        "status": "open",
        "issue_date": "2026-01-15",
        "level": None,
        "lines": [
            {
                "invoice": inv["id"],
                "number": inv["number"],
                "due_date": "2025-12-15",
                "amount": "1000.00",
                "days": 30,
                "interest": "8.22",
                "parts": [{"amount": "1000.00", "paid_on": "2026-01-14", "days": 30}],
                "charged": [{"first": "2025-12-16", "last": "2026-01-14"}],
            }
        ],
    }
    assert client.get(f"/v1/interest-notes/{note['id']}").json() == note
    assert client.get("/v1/interest-notes", params={"partner": p["code"]}).json() == {
        "items": [note],
        "next_cursor": None,
    }
    pdf = client.get(f"/v1/interest-notes/{note['id']}/pdf")
    assert (pdf.status_code, pdf.headers["content-type"], pdf.content[:5]) == (200, "application/pdf", b"%PDF-")
    items = [(i["kind"], i["number"], i["open_amount"]) for i in balance(client, p["id"])["open_items"]]
    assert items == [("interest", "IT2601-0001", "8.22")]

    again = client.post("/v1/interest-notes", json={"partner": p["code"], **PERIOD})
    assert_problem(again, 409, "nothing_to_charge")


def test_bad_input_is_refused_at_the_field_and_records_nothing(client: Any) -> None:
    create_partner(client, name="Bad Input", code="BAD")
    cases = [
        ({"to": "2026-01-16"}, ["body", "to"]),  # after today
        ({"from": "2026-01-10", "to": "2026-01-09"}, ["body", "to"]),
        ({"annual_rate": "0"}, ["body", "annual_rate"]),
        ({"annual_rate": "100.01"}, ["body", "annual_rate"]),
        ({"partner": "NOBODY"}, ["body", "partner"]),
    ]
    for fields, loc in cases:
        response = client.post("/v1/interest-notes", json={"partner": "BAD", **PERIOD, **fields})
        assert error_locs(assert_problem(response, 422, "validation_error")) == [loc], fields
    assert client.get("/v1/interest-notes").json() == {"items": [], "next_cursor": None}
