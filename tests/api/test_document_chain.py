"""The document chain: quote acceptance, refusal and expiry, order on accept, full and partial
conversion with remaining quantities, what a conversion copies, and billing up the chain."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.helpers import assert_problem, create_campaigns, create_partner, create_users, error_locs, get_partner
from tests.api.sales_helpers import act, document, draft, issue, issued, line, tick


def convert(client: Any, ref: str, to: str, lines: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    response = client.post(f"/v1/documents/{ref}/convert", json={"to": to, "lines": lines})
    assert response.status_code == 201, response.text
    assert "X-Position" in response.headers
    return response.json()  # type: ignore[no-any-return]


def links(doc: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(link["rel"], link["document"], link["type"]) for link in doc["links"]]


def remaining(doc: dict[str, Any]) -> list[str]:
    return [li["remaining_quantity"] for li in doc["lines"]]


def test_accepting_a_quote_makes_the_prospect_a_customer(client: Any) -> None:
    create_users(client, "jan")
    p = create_partner(client, name="Lead", roles=["prospect"])
    quote = issued(client, p["id"], "quote", valid_until="2026-01-31")
    assert (quote["status"], quote["number"], quote["valid_until"]) == ("sent", "QT2601-0001", "2026-01-31")
    assert get_partner(client, p["id"])["roles"] == ["prospect"]
    accepted = act(client, quote["number"], "accept", {"date": "2026-01-15", "by": "jan"})
    assert accepted["status"] == "accepted"
    assert accepted["version"] == 3
    assert get_partner(client, p["id"])["roles"] == ["prospect", "customer"]
    assert_problem(client.post(f"/v1/documents/{quote['id']}/accept"), 409, "quote_not_open")


def test_refusing_a_quote_with_a_reason(sqlite_client: Any) -> None:
    client = sqlite_client
    p = create_partner(client, name="Lead", roles=["prospect"])
    quote = issued(client, p["id"], "quote")
    refused = act(client, quote["id"], "refuse", {"reason": "too expensive"})
    assert refused["status"] == "refused"
    assert get_partner(client, p["id"])["roles"] == ["prospect"]
    assert_problem(client.post(f"/v1/documents/{quote['id']}/accept"), 409, "quote_not_open")
    assert_problem(client.post(f"/v1/documents/{quote['id']}/convert", json={"to": "order"}), 409, "document_not_open")


def test_a_sent_quote_expires_at_the_day_start_after_valid_until(client: Any) -> None:
    p = create_partner(client, name="Acme")
    quote = issued(client, p["id"], "quote", valid_until="2026-01-20")
    kept = issued(client, p["id"], "quote", valid_until="2026-01-21")
    tick(client, "2026-01-21")
    assert document(client, quote["id"])["status"] == "expired"  # the day start of the 21st
    assert document(client, kept["id"])["status"] == "sent"  # still valid on the 21st
    tick(client, "2026-01-22")
    assert document(client, kept["id"])["status"] == "expired"
    assert_problem(client.post(f"/v1/documents/{quote['id']}/convert", json={"to": "order"}), 409, "quote_expired")
    assert_problem(client.post(f"/v1/documents/{quote['number']}/accept"), 409, "quote_expired")
    assert document(client, quote["id"])["status"] == "expired"
    assert act(client, quote["id"], "refuse", {"reason": "late"})["status"] == "refused"


def test_refusing_a_quote_with_an_order_is_refused(sqlite_client: Any) -> None:
    client = sqlite_client
    p = create_partner(client, name="Acme")
    quote = issued(client, p["id"], "quote")
    order = convert(client, quote["id"], "order")
    assert_problem(client.post(f"/v1/documents/{quote['id']}/refuse", json={"reason": "x"}), 409, "quote_ordered")
    assert document(client, quote["id"])["status"] == "ordered"
    assert document(client, order["id"])["status"] == "draft"


def test_order_on_accept_drafts_a_linked_order_with_the_same_lines(client: Any) -> None:
    response = client.put("/v1/settings/quotes", json={"order_on_accept": True})
    assert response.status_code == 200, response.text
    assert response.json() == {"order_on_accept": True}
    create_users(client, "anna")
    create_campaigns(client, "SPRING")
    p = create_partner(client, name="Acme", roles=["prospect"], sales_reps=["anna"])
    lines = [line("A", "2", "50.00", tax_rate="23", unit_cost="30"), line("B", "1", "9.99", discount_percent="10")]
    quote = issued(client, p["id"], "quote", lines=lines, notes_public="Thanks", campaign="SPRING")
    accepted = act(client, quote["id"], "accept")
    assert (accepted["status"], remaining(accepted)) == ("ordered", ["0", "0"])  # accepted, then ordered in full
    derived = [link for link in accepted["links"] if link["rel"] == "derived"]
    assert [(link["rel"], link["type"]) for link in derived] == [("derived", "order")]
    order = document(client, derived[0]["document"])
    assert (order["type"], order["status"], order["number"]) == ("order", "draft", None)
    assert links(order) == [("source", quote["id"], "quote")]
    assert [(li["product"], li["quantity"], li["unit_price"], li["net"]) for li in order["lines"]] == [
        ("A", "2", "50.00", "100.00"),
        ("B", "1", "9.99", "8.99"),
    ]
    assert (order["net"], order["tax"], order["total"]) == (quote["net"], quote["tax"], quote["total"])
    assert (order["sales_rep"], order["campaign"], order["notes_public"]) == ("anna", "SPRING", "Thanks")
    assert get_partner(client, p["id"])["roles"] == ["prospect", "customer"]
    assert issue(client, order["id"])["status"] == "confirmed"

    client.put("/v1/settings/quotes", json={"order_on_accept": False})
    plain = issued(client, p["id"], "quote")
    assert act(client, plain["id"], "accept")["links"] == []


@pytest.mark.postgres
def test_partial_conversion_tracks_remaining_quantities_through_quote_order_and_invoice(client: Any) -> None:
    create_users(client, "anna")
    create_campaigns(client, "SPRING")
    p = create_partner(client, name="Acme", sales_reps=["anna"], payment_terms_days=21)
    quote = issued(
        client,
        p["id"],
        "quote",
        lines=[
            line("A", "10", "10.00", tax_rate="23", unit_cost="6", description="Apples"),
            line("B", "4", "25.00", discount_percent="10", tax_rate="8", unit_cost="15"),
        ],
        campaign="SPRING",
        notes_public="Deliver to gate 3",
        valid_until="2026-02-15",
    )
    a = quote["lines"][0]["line_id"]
    assert quote["net"] == "190.00"  # 100.00 + 90.00

    first = convert(client, quote["id"], "order", [{"line_id": a, "quantity": "4"}])
    q = document(client, quote["id"])
    assert q["status"] == "partially_ordered"
    assert remaining(q) == ["6", "4"]
    assert links(q) == [("derived", first["id"], "order")]
    # what a conversion copies
    assert first["status"] == "draft" and first["number"] is None
    assert (first["partner"], first["currency"], first["sales_rep"], first["campaign"]) == (
        p["id"],
        "EUR",
        "anna",
        "SPRING",
    )
    assert (first["notes_public"], first["payment_terms_days"]) == ("Deliver to gate 3", 21)
    assert (first["valid_until"], first["issue_date"]) == (None, None)
    assert links(first) == [("source", quote["id"], "quote")]
    assert [
        (li["product"], li["description"], li["quantity"], li["unit_price"], li["tax_rate"], li["unit_cost"])
        for li in first["lines"]
    ] == [("A", "Apples", "4", "10.00", "23.00", "6.00")]
    assert first["lines"][0]["source_line"] == a
    assert (first["net"], first["tax"], first["total"], first["cost"]) == ("40.00", "9.20", "49.20", "24.00")
    assert remaining(first) == ["4"]

    problem = assert_problem(
        client.post(
            f"/v1/documents/{quote['id']}/convert", json={"to": "order", "lines": [{"line_id": a, "quantity": "6.5"}]}
        ),
        409,
        "quantity_exceeds_remaining",
    )
    assert "6" in problem["detail"]
    assert remaining(document(client, quote["id"])) == ["6", "4"]

    second = convert(client, quote["number"], "order")  # the rest
    assert [(li["product"], li["quantity"], li["net"]) for li in second["lines"]] == [
        ("A", "6", "60.00"),
        ("B", "4", "90.00"),
    ]
    q = document(client, quote["id"])
    assert (q["status"], remaining(q)) == ("ordered", ["0", "0"])
    assert_problem(
        client.post(f"/v1/documents/{quote['id']}/convert", json={"to": "order"}), 409, "quantity_exceeds_remaining"
    )

    # a cancelled derived draft gives its quantities back
    act(client, first["id"], "cancel", {"reason": "merged into the second"})
    q = document(client, quote["id"])
    assert (q["status"], remaining(q)) == ("partially_ordered", ["4", "0"])
    assert links(q) == [("derived", second["id"], "order")]

    order = issue(client, second["id"])
    b2 = order["lines"][1]["line_id"]
    inv1 = convert(client, order["id"], "invoice", [{"line_id": b2, "quantity": "1"}])
    o = document(client, order["id"])
    assert (o["status"], remaining(o), o["billed"]) == ("partially_invoiced", ["6", "3"], False)
    assert inv1["lines"][0]["net"] == "22.50"
    issue(client, inv1["id"])
    assert document(client, order["id"])["billed"] is False  # 22.50 of 150.00
    inv2 = convert(client, order["id"], "invoice")
    o = document(client, order["id"])
    assert (o["status"], remaining(o), o["billed"]) == ("invoiced", ["0", "0"], False)
    assert [(li["product"], li["quantity"]) for li in inv2["lines"]] == [("A", "6"), ("B", "3")]
    assert inv2["net"] == "127.50"
    assert inv2["due_date"] is None and inv2["payment_terms_days"] == 21
    invoice = issue(client, inv2["id"])
    assert invoice["due_date"] == "2026-02-05"
    assert document(client, order["id"])["billed"] is True  # 22.50 + 127.50 = 150.00
    assert document(client, quote["id"])["billed"] is False  # 150.00 of the quote's 190.00
    assert_problem(
        client.post(f"/v1/documents/{order['id']}/convert", json={"to": "invoice"}), 409, "quantity_exceeds_remaining"
    )
    assert links(document(client, order["id"])) == [
        ("source", quote["id"], "quote"),
        ("derived", inv1["id"], "invoice"),
        ("derived", inv2["id"], "invoice"),
    ]


def test_a_quote_invoiced_in_full_is_billed_and_a_proforma_consumes_nothing(sqlite_client: Any) -> None:
    client = sqlite_client
    response = client.post(
        "/v1/custom-fields", json={"entity": "document", "code": "po", "label": "PO", "type": "string"}
    )
    assert response.status_code == 201, response.text
    p = create_partner(client, name="Acme")
    contact = client.post(f"/v1/partners/{p['id']}/contacts", json={"name": "Jan"}).json()
    address = client.post(f"/v1/partners/{p['id']}/addresses", json={"usage": ["billing"], "city": "Gdansk"}).json()
    quote = issued(
        client, p["id"], "quote", lines=[line("A", "3", "20.00")], contact=contact["id"], custom_fields={"po": "PO-7"}
    )
    assert (quote["contact"], quote["billing_address"]) == (contact["id"], address["id"])
    proforma = convert(client, quote["id"], "proforma")
    # contact, addresses and custom fields travel down the chain
    assert (proforma["contact"], proforma["billing_address"], proforma["custom_fields"]) == (
        contact["id"],
        address["id"],
        {"po": "PO-7"},
    )
    q = document(client, quote["id"])
    assert (q["status"], remaining(q)) == ("sent", ["3"])
    assert proforma["lines"][0]["remaining_quantity"] is None
    assert issue(client, proforma["id"])["number"] == "PF2601-0001"
    invoice = convert(client, proforma["id"], "invoice")
    assert links(invoice) == [("source", proforma["id"], "proforma")]
    assert (invoice["contact"], invoice["custom_fields"]) == (contact["id"], {"po": "PO-7"})
    issue(client, invoice["id"])
    q = document(client, quote["id"])
    assert (q["status"], remaining(q), q["billed"]) == ("sent", ["3"], True)  # billed through the pro-forma
    direct = convert(client, quote["id"], "invoice")
    assert (document(client, quote["id"])["status"], direct["net"]) == ("ordered", "60.00")


def test_conversion_rules(sqlite_client: Any) -> None:
    client = sqlite_client
    p = create_partner(client, name="Acme")
    stale = draft(client, p["id"], "quote", valid_until="2026-01-14")
    assert_problem(client.post(f"/v1/documents/{stale['id']}/issue"), 409, "quote_expired")
    quote_draft = draft(client, p["id"], "quote")
    assert_problem(
        client.post(f"/v1/documents/{quote_draft['id']}/convert", json={"to": "order"}), 409, "document_not_open"
    )
    inv = issued(client, p["id"], "invoice")
    assert_problem(
        client.post(f"/v1/documents/{inv['id']}/convert", json={"to": "order"}), 409, "conversion_not_allowed"
    )
    order = issued(client, p["id"], "order")
    assert_problem(
        client.post(f"/v1/documents/{order['id']}/convert", json={"to": "order"}), 409, "conversion_not_allowed"
    )
    line_id = order["lines"][0]["line_id"]
    unknown = [
        {"line_id": line_id, "quantity": "1"},
        {"line_id": "00000000-0000-0000-0000-000000000000", "quantity": "1"},
    ]
    refused = client.post(f"/v1/documents/{order['id']}/convert", json={"to": "invoice", "lines": unknown})
    assert error_locs(assert_problem(refused, 422, "validation_error")) == [["body", "lines", 1, "line_id"]]
    twice = [{"line_id": line_id, "quantity": "1"}, {"line_id": line_id, "quantity": "1"}]
    refused = client.post(f"/v1/documents/{order['id']}/convert", json={"to": "invoice", "lines": twice})
    assert_problem(refused, 409, "duplicate_line")
    for body in ({"to": "credit_note"}, {"to": "invoice", "lines": [{"line_id": line_id, "quantity": "0"}]}, {}):
        assert_problem(client.post(f"/v1/documents/{order['id']}/convert", json=body), 422, "validation_error")
    assert document(client, order["id"])["status"] == "confirmed"
