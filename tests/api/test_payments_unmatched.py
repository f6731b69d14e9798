"""/v1/payments/unmatched: bank lines that named no partner wait for a clerk, who books each once
(oldest due first, or as the allocations say). The Kafka side is in
tests/integration/test_kafka_payments.py."""

from __future__ import annotations

from typing import Any

from commands.bank_lines import BankLineIn, RecordUnmatchedBankLine, record_unmatched_bank_line
from tests.api.helpers import assert_problem, create_partner, role_headers
from tests.api.sales_helpers import invoice_of

REASON = "no partner code and no invoice number in the reference"


def record_unmatched(client: Any, line: str, amount: str, reference: str = "") -> None:
    container = client.app.state.container
    bank_line = BankLineIn(id=line, date="2026-01-14", amount=amount, currency="EUR", reference=reference)
    result = container.execute(record_unmatched_bank_line, RecordUnmatchedBankLine(line=bank_line, reason=REASON))
    container.runner.wait(result.position, 10)


def test_unmatched_lines_are_listed_oldest_first_and_assigned_once(sqlite_client: Any) -> None:
    client = sqlite_client
    acme = create_partner(client, name="Acme", code="ACME")["id"]
    first = invoice_of(client, acme, "50.00", due_date="2026-01-20")
    second = invoice_of(client, acme, "50.00", due_date="2026-02-20")
    record_unmatched(client, "ST-1", "70.00", "ref 1")
    record_unmatched(client, "ST-2", "5.00")

    listed = client.get("/v1/payments/unmatched", params={"limit": 1})
    assert listed.status_code == 200
    assert listed.json()["items"] == [
        {
            "id": "ST-1",
            "date": "2026-01-14",
            "amount": "70.00",
            "currency": "EUR",
            "reference": "ref 1",
            "iban": None,
            "reason": REASON,
        }
    ]
    following = client.get("/v1/payments/unmatched", params={"cursor": listed.json()["next_cursor"]}).json()
    assert [u["id"] for u in following["items"]] == ["ST-2"]

    analyst = role_headers(client, "analyst")
    assert client.get("/v1/payments/unmatched", headers=analyst).status_code == 200
    assert_problem(
        client.post("/v1/payments/unmatched/ST-1/assign", json={"partner": "ACME"}, headers=analyst), 403, "forbidden"
    )
    assert_problem(client.post("/v1/payments/unmatched/ST-1/assign", json={"partner": "NOPE"}), 422)
    assert_problem(client.post("/v1/payments/unmatched/ST-1/assign", json={"partner": "ACME", "x": 1}), 422)

    booked = client.post("/v1/payments/unmatched/ST-1/assign", json={"partner": "ACME", "allocations": None})
    assert booked.status_code == 201, booked.text
    payment = booked.json()
    assert (payment["partner"], payment["amount"], payment["date"], payment["reference"]) == (
        acme,
        "70.00",
        "2026-01-14",
        "ref 1",
    )
    assert payment["allocations"] == [
        {"item": first["id"], "amount": "50.00"},
        {"item": second["id"], "amount": "20.00"},
    ]
    assert_problem(client.post("/v1/payments/unmatched/ST-1/assign", json={"partner": "ACME"}), 409, "already_assigned")
    assert [u["id"] for u in client.get("/v1/payments/unmatched").json()["items"]] == ["ST-2"]

    explicit = client.post(
        "/v1/payments/unmatched/ST-2/assign",
        json={"partner": acme, "allocations": [{"document": second["number"], "amount": "5.00"}]},
    )
    assert explicit.status_code == 201, explicit.text
    assert explicit.json()["allocations"] == [{"item": second["id"], "amount": "5.00"}]
    assert client.get("/v1/payments/unmatched").json()["items"] == []
    assert len(client.get("/v1/payments", params={"partner": acme}).json()["items"]) == 2
