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
            "2026-02-14",
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
    for expected in ("Quote (draft)", "GADGET", "1234.50", "98.76", "1333.26", "2026-02-01"):
        assert expected in text, (expected, text)
    assert_problem(client.get("/v1/documents/IN2601-0404/pdf"), 404, "not_found")
