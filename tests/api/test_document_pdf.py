"""GET /v1/documents/{document}/pdf renders the document; the text is read back with pypdf."""

from __future__ import annotations

import io
from typing import Any

from pypdf import PdfReader

from tests.api.helpers import assert_problem, create_partner
from tests.api.sales_helpers import draft, issued, line


def pdf_text(response: Any) -> str:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(response.content))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_an_invoice_pdf_shows_its_number_products_and_total(sqlite_client: Any) -> None:
    client = sqlite_client
    p = create_partner(client, name="Acme <Trading> & Co", tax_id="PL555")
    client.post(
        f"/v1/partners/{p['id']}/addresses",
        json={
            "usage": ["billing"],
            "street": "Long Street 1",
            "city": "Gdansk",
            "postal_code": "80-001",
            "country": "PL",
        },
    )
    inv = issued(
        client,
        p["id"],
        "invoice",
        [
            line("WIDGET-9", "3", "33.33", discount_percent="5", tax_rate="23", description="Blue widgets"),
            line("SERVICE-HOUR", "2", "80.00", tax_rate="23"),
        ],
        notes_public="Thank you for your order",
    )
    assert inv["total"] == "313.64"  # 94.99 + 160.00 net, 21.85 + 36.80 tax
    for ref in (inv["id"], inv["number"]):
        response = client.get(f"/v1/documents/{ref}/pdf")
        text = pdf_text(response)
        assert f'filename="{inv["number"]}.pdf"' in response.headers["content-disposition"]
        for expected in (
            "Invoice",
            inv["number"],
            "WIDGET-9",
            "SERVICE-HOUR",
            "Blue widgets",
            "94.99",
            "254.99",
            "58.65",
            "313.64",
            "Feb 14, 2026",
            "Acme <Trading> & Co",
            "Long Street 1",
            "PL555",
            "Thank you for your order",
        ):
            assert expected in text, (expected, text)


def test_a_draft_quote_pdf_and_an_unknown_document(sqlite_client: Any) -> None:
    client = sqlite_client
    p = create_partner(client, name="Acme")
    quote = draft(client, p["id"], "quote", [line("GADGET", "1", "1234.50", tax_rate="8")], valid_until="2026-02-01")
    response = client.get(f"/v1/documents/{quote['id']}/pdf")
    text = pdf_text(response)
    assert f'filename="{quote["id"]}.pdf"' in response.headers["content-disposition"]
    for expected in ("Quote (draft)", "GADGET", "1,234.50", "€98.76", "€1,333.26", "Feb 1, 2026"):
        assert expected in text, (expected, text)
    assert_problem(client.get("/v1/documents/IN2601-0404/pdf"), 404, "not_found")


def _seller_and_customer(client: Any, language: str) -> dict[str, Any]:
    """The company set up with its bank details, a rep with a full name, and a customer with a
    billing and a tax address speaking ``language``."""
    from tests.api.test_company import COMPANY

    assert client.put("/v1/settings/company", json=COMPANY).status_code == 200
    assert client.post("/v1/users", json={"username": "gschmidt", "name": "Greta Schmidt"}).status_code == 201
    p = create_partner(client, name="Kunde AG", language=language, tax_id="DE999")
    for usage, street in (("billing", "Rechnungsweg 1"), ("tax", "Steuerallee 9")):
        body = {"usage": [usage], "street": street, "city": "Berlin", "postal_code": "10115", "country": "DE"}
        assert client.post(f"/v1/partners/{p['id']}/addresses", json=body).status_code == 201
    return p


def test_an_invoice_for_a_german_customer_speaks_german_and_shows_the_seller(sqlite_client: Any) -> None:
    client = sqlite_client
    p = _seller_and_customer(client, "de")
    inv = issued(client, p["id"], "invoice", [line("WIDGET", "2.5", "400.00", tax_rate="23")], sales_rep="gschmidt")
    assert inv["total"] == "1230.00"
    text = pdf_text(client.get(f"/v1/documents/{inv['number']}/pdf")).replace("\xa0", " ")
    for expected in (
        f"Rechnung {inv['number']}",
        "Datum 15.01.2026",
        "Fällig am 14.02.2026",
        "Ihr Ansprechpartner Greta Schmidt",
        "Steuerallee 9",
        "Einzelpreis",
        "2,5",
        "400,00",
        "Netto 1.000,00 €",
        "USt. 230,00 €",
        "Gesamtbetrag 1.230,00 €",
        "Nordlicht Handels GmbH",
        "Hafenstraße 7",
        "20457 Hamburg",
        "USt-IdNr. DE123456789",
        "Handelsregister HRB 98765 Hamburg",
        "Bankverbindung",
        "Bank: Commerzbank",
        "IBAN: DE89 3704 0044 0532 0130 00",
        "BIC: COBADEFFXXX",
        f"Verwendungszweck: {inv['number']}",
        "Geschäftsführer: Jan Nord",
        "Seite 1 / 1",
    ):
        assert expected in text, (expected, text)
    for absent in ("Rechnungsweg 1", "gschmidt", "Invoice", "Total"):
        assert absent not in text, (absent, text)


def test_an_order_for_an_english_customer_speaks_english_at_its_billing_address(sqlite_client: Any) -> None:
    client = sqlite_client
    p = _seller_and_customer(client, "en")
    order = issued(client, p["id"], "order", [line("WIDGET", "2.5", "400.00", tax_rate="23")], sales_rep="gschmidt")
    text = pdf_text(client.get(f"/v1/documents/{order['number']}/pdf")).replace("\xa0", " ")
    for expected in (
        f"Order confirmation {order['number']}",
        "Date Jan 15, 2026",
        "Sales rep Greta Schmidt",
        "Rechnungsweg 1",
        "Total €1,230.00",
        "Tax id DE123456789",
        "Bank details",
        "IBAN: DE89 3704 0044 0532 0130 00",
        f"Payment reference: {order['number']}",
    ):
        assert expected in text, (expected, text)
    assert "Steuerallee 9" not in text


def test_a_collection_letter_to_a_german_customer_shows_the_seller_and_the_payment_reference(
    sqlite_client: Any,
) -> None:
    from tests.api.sales_helpers import tick
    from tests.api.test_messages import send_all

    client = sqlite_client
    p = _seller_and_customer(client, "de")
    template = {
        "code": "MAHNUNG1",
        "channel": "letter",
        "purpose": "collection",
        "language": "de",
        "subject": "Zahlungserinnerung",
        "body": "<p>Offen: {{ fmt.money(total_open, currency) }}, fällig am {{ fmt.date(invoices[0].due_date) }}</p>",
    }
    assert client.post("/v1/templates", json=template).status_code == 201
    level = {"seq": 1, "name": "L1", "days_after_due": 7, "actions": [{"type": "letter", "template": "MAHNUNG1"}]}
    scheme = {"code": "STD", "name": "Standard", "is_default": True, "levels": [level]}
    assert client.post("/v1/collection/schemes", json=scheme).status_code == 201
    inv = issued(
        client, p["id"], "invoice", [line("WIDGET", "1", "1230.00")], due_date="2026-01-20", sales_rep="gschmidt"
    )
    tick(client, "2026-01-27")
    send_all(client)
    letters = client.get("/v1/messages", params={"partner": p["id"], "channel": "letter"}).json()["items"]
    assert [m["status"] for m in letters] == ["sent"]
    text = pdf_text(client.get(letters[0]["pdf"])).replace("\xa0", " ")
    for expected in (
        "Nordlicht Handels GmbH",
        "USt-IdNr. DE123456789",
        "Handelsregister HRB 98765 Hamburg",
        "27.01.2026",
        "Ihr Ansprechpartner: Greta Schmidt",
        "Zahlungserinnerung",
        "Offen: 1.230,00 €, fällig am 20.01.2026",
        "Bankverbindung",
        "IBAN: DE89 3704 0044 0532 0130 00",
        f"Verwendungszweck: {inv['number']}",
        "Seite 1 / 1",
    ):
        assert expected in text, (expected, text)
