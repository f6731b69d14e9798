"""/v1/payments: oldest-first settlement, unapplied credit used by later invoices, explicit
allocations and their limits, credit notes, and the balance they give."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.api.helpers import assert_problem, audit_count, create_partner, error_locs
from tests.api.sales_helpers import act, balance, document, draft, invoice_of, issued, line, pay


def check_balance(client: Any, partner: str, expected: str, unapplied: str) -> dict[str, Any]:
    """The balance is the open items less the unapplied credit, and it is what we expect."""
    b = balance(client, partner)
    open_total = sum((Decimal(i["open_amount"]) for i in b["open_items"]), Decimal(0))
    assert (b["balance"], b["unapplied_credit"]) == (expected, unapplied), b
    assert Decimal(b["balance"]) == open_total - Decimal(b["unapplied_credit"])
    return b


def open_items(client: Any, partner: str) -> list[tuple[str, str, str]]:
    return [(i["number"], i["due_date"], i["open_amount"]) for i in balance(client, partner)["open_items"]]


@pytest.mark.postgres
def test_a_payment_settles_the_oldest_due_first_and_keeps_the_rest_as_credit(client: Any) -> None:
    p = create_partner(client, name="Acme")
    other = create_partner(client, name="Other")
    inv1 = invoice_of(client, p["id"], "100.00")  # due 2026-02-14
    inv2 = invoice_of(client, p["id"], "50.00", due_date="2026-01-20")
    inv3 = invoice_of(client, p["id"], "80.00", issue_date="2026-01-01")  # due 2026-01-31
    assert open_items(client, p["id"]) == [
        ("IN2601-0002", "2026-01-20", "50.00"),
        ("IN2601-0003", "2026-01-31", "80.00"),
        ("IN2601-0001", "2026-02-14", "100.00"),
    ]
    check_balance(client, p["id"], "230.00", "0.00")

    response = client.post("/v1/payments", json={"partner": p["code"], "amount": "100", "reference": "wire 1"})
    assert response.status_code == 201, response.text
    assert "X-Position" in response.headers
    first = response.json()
    assert first == {
        "id": first["id"],
        "number": "PY2601-0001",
        "partner": p["id"],
        "amount": "100.00",
        "currency": "EUR",
        "date": "2026-01-15",
        "reference": "wire 1",
        "allocations": [{"item": inv2["id"], "amount": "50.00"}, {"item": inv3["id"], "amount": "50.00"}],
        "unapplied": "0.00",
    }
    assert client.get(f"/v1/payments/{first['id']}").json() == first
    assert (document(client, inv2["id"])["open_amount"], document(client, inv3["id"])["open_amount"]) == (
        "0.00",
        "30.00",
    )
    check_balance(client, p["id"], "130.00", "0.00")
    # an invoice with nothing left open shows as paid
    assert (document(client, inv2["id"])["status"], document(client, inv3["id"])["status"]) == ("paid", "issued")

    second = pay(client, p["id"], "200.00")
    assert second["allocations"] == [{"item": inv3["id"], "amount": "30.00"}, {"item": inv1["id"], "amount": "100.00"}]
    assert (second["number"], second["unapplied"]) == ("PY2601-0002", "70.00")
    b = check_balance(client, p["id"], "-70.00", "70.00")
    assert b["open_items"] == []
    settled = client.get("/v1/receivables", params={"partner": p["id"], "status": "settled"}).json()["items"]
    assert [(i["number"], i["open_amount"], i["settled_on"]) for i in settled] == [
        ("IN2601-0002", "0.00", "2026-01-15"),
        ("IN2601-0003", "0.00", "2026-01-15"),
        ("IN2601-0001", "0.00", "2026-01-15"),
    ]

    # a later invoice consumes the credit when it is issued
    inv4 = invoice_of(client, p["id"], "45.00")
    assert inv4["open_amount"] == "0.00"
    check_balance(client, p["id"], "-25.00", "25.00")
    inv5 = invoice_of(client, p["id"], "100.00")
    assert inv5["open_amount"] == "75.00"
    assert open_items(client, p["id"]) == [("IN2601-0005", "2026-02-14", "75.00")]
    check_balance(client, p["id"], "75.00", "0.00")
    assert client.get(f"/v1/partners/{p['id']}").json()["balance"] == "75.00"

    pay(client, other["id"], "5.00")
    listed = client.get("/v1/payments", params={"partner": p["code"]}).json()
    assert [x["number"] for x in listed["items"]] == ["PY2601-0002", "PY2601-0001"]  # newest first
    assert listed["next_cursor"] is None
    assert len(client.get("/v1/payments").json()["items"]) == 3


def test_explicit_allocations_and_their_limits(client: Any) -> None:
    p = create_partner(client, name="Acme")
    inv1 = invoice_of(client, p["id"], "100.00")
    inv2 = invoice_of(client, p["id"], "50.00", due_date="2026-01-20")
    first = pay(client, p["id"], "60.00", allocations=[{"document": inv1["number"], "amount": "60"}])
    assert (first["allocations"], first["unapplied"]) == ([{"item": inv1["id"], "amount": "60.00"}], "0.00")
    second = pay(client, p["id"], "30.00", allocations=[{"document": inv2["id"], "amount": 20}])
    assert (second["allocations"], second["unapplied"]) == ([{"item": inv2["id"], "amount": "20.00"}], "10.00")
    assert (document(client, inv1["id"])["open_amount"], document(client, inv2["id"])["open_amount"]) == (
        "40.00",
        "30.00",
    )
    check_balance(client, p["id"], "60.00", "10.00")

    events = audit_count(client)
    for amount, allocations, code in (
        ("50.00", [{"document": inv1["id"], "amount": "40.01"}], "allocation_exceeds_open"),
        (
            "69.99",
            [{"document": inv1["id"], "amount": "40.00"}, {"document": inv2["number"], "amount": "30.00"}],
            "allocation_exceeds_payment",
        ),
        ("70.00", [{"document": inv1["id"], "amount": "40.00"}, {"document": inv2["number"], "amount": "30.00"}], None),
    ):
        response = client.post("/v1/payments", json={"partner": p["id"], "amount": amount, "allocations": allocations})
        if code is None:
            assert response.status_code == 201, response.text
            events = audit_count(client)
        else:
            assert_problem(response, 409, code)
            assert audit_count(client) == events
    check_balance(client, p["id"], "-10.00", "10.00")
    assert_problem(
        client.post(
            "/v1/payments",
            json={"partner": p["id"], "amount": "5", "allocations": [{"document": inv1["id"], "amount": "1"}]},
        ),
        409,
        "allocation_exceeds_open",  # settled already
    )
    assert [x["number"] for x in client.get("/v1/payments", params={"partner": p["id"]}).json()["items"]] == [
        "PY2601-0003",
        "PY2601-0002",
        "PY2601-0001",
    ]
    assert pay(client, p["id"], "1.00")["number"] == "PY2601-0004"  # the refused ones took no number


def test_allocations_to_unknown_documents_and_malformed_payments(sqlite_client: Any) -> None:
    client = sqlite_client
    p = create_partner(client, name="Acme")
    other = create_partner(client, name="Other")
    inv = invoice_of(client, p["id"], "100.00")
    foreign = invoice_of(client, other["id"], "100.00")
    unissued = draft(client, p["id"])
    for ref in ("IN2601-9999", "00000000-0000-0000-0000-000000000000", unissued["id"], foreign["number"]):
        body = {
            "partner": p["id"],
            "amount": "10",
            "allocations": [{"document": inv["id"], "amount": "1"}, {"document": ref, "amount": "1"}],
        }
        problem = assert_problem(client.post("/v1/payments", json=body), 422, "validation_error")
        assert error_locs(problem) == [["body", "allocations", 1, "document"]], ref
    for body, loc in (
        ({"partner": p["id"], "amount": "0"}, ["body", "amount"]),
        ({"partner": p["id"], "amount": "1.001"}, ["body", "amount"]),
        ({"partner": p["id"], "amount": "10", "date": "2026-01-16"}, ["body", "date"]),
        (
            {"partner": p["id"], "amount": "10", "allocations": [{"document": inv["id"], "amount": "0"}]},
            ["body", "allocations", 0, "amount"],
        ),
        ({"partner": p["id"]}, ["body", "amount"]),
    ):
        problem = assert_problem(client.post("/v1/payments", json=body), 422, "validation_error")
        assert error_locs(problem) == [loc], body
    unknown = client.post("/v1/payments", json={"partner": "NOPE", "amount": "10"})
    assert error_locs(assert_problem(unknown, 422, "validation_error")) == [["body", "partner"]]
    assert_problem(client.get("/v1/payments/00000000-0000-0000-0000-000000000000"), 404, "not_found")
    assert client.get("/v1/payments").json()["items"] == []
    assert document(client, inv["id"])["open_amount"] == "100.00"


def test_credit_notes_reduce_their_invoice_and_leave_the_rest_as_credit(client: Any) -> None:
    p = create_partner(client, name="Acme")
    inv = issued(client, p["id"], "invoice", [line("A", "2", "100.00", tax_rate="23")])
    assert inv["total"] == "246.00"
    note = issued(client, p["id"], "credit_note", [line("A", "1", "50.00", tax_rate="23")], applies_to=inv["number"])
    assert (note["number"], note["status"], note["applies_to"], note["total"]) == (
        "CN2601-0001",
        "issued",
        inv["id"],
        "61.50",
    )
    assert document(client, inv["id"])["open_amount"] == "184.50"
    check_balance(client, p["id"], "184.50", "0.00")
    assert_problem(client.post(f"/v1/documents/{inv['id']}/cancel", json={"reason": "x"}), 409, "invoice_paid")

    bigger = issued(client, p["id"], "credit_note", [line("A", "2", "100.00", tax_rate="23")], applies_to=inv["id"])
    assert bigger["total"] == "246.00"
    assert document(client, inv["id"])["open_amount"] == "0.00"
    check_balance(client, p["id"], "-61.50", "61.50")
    free = issued(client, p["id"], "credit_note", [line("GOODWILL", "1", "10.00")])
    assert free["applies_to"] is None
    check_balance(client, p["id"], "-71.50", "71.50")
    later = invoice_of(client, p["id"], "100.00")
    assert later["open_amount"] == "28.50"
    check_balance(client, p["id"], "28.50", "0.00")


def test_a_credit_note_applies_to_an_issued_invoice_of_the_same_partner(sqlite_client: Any) -> None:
    client = sqlite_client
    p = create_partner(client, name="Acme")
    other = create_partner(client, name="Other")
    unissued = draft(client, p["id"])
    foreign = invoice_of(client, other["id"], "10.00")
    quote = issued(client, p["id"], "quote")
    for ref, code in (
        (unissued["id"], "not_an_issued_invoice"),
        (quote["number"], "not_an_issued_invoice"),
        (foreign["id"], "other_partner"),
    ):
        body = {"type": "credit_note", "partner": p["id"], "applies_to": ref, "lines": [line()]}
        assert_problem(client.post("/v1/documents", json=body), 409, code)
    body = {"type": "credit_note", "partner": p["id"], "applies_to": "IN2601-9999", "lines": [line()]}
    assert error_locs(assert_problem(client.post("/v1/documents", json=body), 422)) == [["body", "applies_to"]]
    cancelled = invoice_of(client, p["id"], "10.00")
    act(client, cancelled["id"], "cancel", {"reason": "x"})
    body = {"type": "credit_note", "partner": p["id"], "applies_to": cancelled["id"], "lines": [line()]}
    assert_problem(client.post("/v1/documents", json=body), 409, "not_an_issued_invoice")
