"""A delivery note over HTTP, through the read models: the order's delivered quantities, the
partner's profile and timeline, the portal's list, and the PDF with the delivery address."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.helpers import assert_problem, create_partner, error_locs
from tests.api.sales_helpers import act, document, issued, line
from tests.api.test_document_pdf import pdf_text
from tests.api.test_portal import add_contact, bearer, issue_token


@pytest.mark.postgres
def test_a_delivery_from_order_to_warehouse_shows_everywhere(client: Any) -> None:
    acme = create_partner(client, name="Acme", code="ACME", language="de")
    warehouse = client.post(
        "/v1/partners/ACME/addresses",
        json={
            "usage": ["warehouse"],
            "label": "Lager Nord",
            "street": "Hafenstr. 7",
            "city": "Hamburg",
            "postal_code": "20457",
            "country": "DE",
            "is_default": True,
        },
    ).json()
    order = issued(client, "ACME", "order", [line("BOLT", "10", "2.00"), line("NUT", "4", "1.00")])
    bolt, nut = (x["line_id"] for x in order["lines"])
    body = {
        "type": "delivery",
        "partner": "ACME",
        "source": order["number"],
        "planned_date": "2026-01-20",
        "lines": [{"source_line": bolt, "quantity": "6"}],
    }

    note = client.post("/v1/documents", json=body)

    assert note.status_code == 201, note.text
    note = note.json()
    assert (note["type"], note["status"], note["shipping_address"], note["planned_date"]) == (
        "delivery",
        "draft",
        warehouse["id"],
        "2026-01-20",
    )
    lines = document(client, order["id"])["lines"]
    assert [(x["delivered_quantity"], x["remaining_to_deliver"]) for x in lines] == [("6", "4"), ("0", "4")]
    assert_problem(
        client.post("/v1/documents", json={**body, "lines": [{"source_line": bolt, "quantity": "5"}]}),
        409,
        "over_delivery",
    )
    bad = client.post("/v1/documents", json={**body, "lines": [{"source_line": nut, "quantity": "0"}]})
    assert error_locs(assert_problem(bad, 422)) == [["body", "lines", 0, "quantity"]]

    planned = act(client, note["id"], "issue")
    assert (planned["status"], planned["number"][:2]) == ("planned", "DN")
    profile = client.get("/v1/partners/ACME/profile").json()
    assert [(d["number"], d["status"], d["planned_date"], d["address"]["street"]) for d in profile["deliveries"]] == [
        (planned["number"], "planned", "2026-01-20", "Hafenstr. 7")
    ]
    assert profile["recent"][0]["summary"] == f"Delivery note {planned['number']} planned for 2026-01-20"
    pdf = pdf_text(client.get(f"/v1/documents/{note['id']}/pdf"))
    assert "Lieferschein" in pdf and "Lieferadresse" in pdf and "Hafenstr. 7" in pdf

    shipped = act(client, note["id"], "ship", {"date": planned["issue_date"]})
    assert (shipped["status"], shipped["shipped_date"]) == ("shipped", planned["issue_date"])
    delivered = act(client, note["id"], "deliver")
    assert (delivered["status"], delivered["delivered_date"]) == ("delivered", planned["issue_date"])
    assert client.get("/v1/partners/ACME/profile").json()["deliveries"] == []

    person = add_contact(client, acme["id"], "Ann")
    portal = client.get("/v1/portal/deliveries", headers=bearer(issue_token(client, acme["id"], person["id"])["token"]))
    assert [(d["number"], d["status"], d["address"]["label"], d["lines"]) for d in portal.json()["items"]] == [
        (planned["number"], "delivered", "Lager Nord", [{"product": "BOLT", "description": "", "quantity": "6"}])
    ]
