"""/v1/settings/company: the seller's details, checked bank details, the logo, and who may set them."""

from __future__ import annotations

import base64
from typing import Any

from tests.api.helpers import assert_problem, error_locs, role_headers

IBAN = "DE89 3704 0044 0532 0130 00"
COMPANY = {
    "name": "Nordlicht Handels GmbH",
    "address": {"street": "Hafenstraße 7", "city": "Hamburg", "postal_code": "20457", "country": "DE"},
    "tax_id": "DE123456789",
    "registration": "HRB 98765 Hamburg",
    "iban": IBAN,
    "bic": "cobadeffxxx",
    "bank": "Commerzbank",
    "email": "billing@nordlicht.example",
    "phone": "+49 40 123456",
    "website": "nordlicht.example",
    "footer": "Geschäftsführer: Jan Nord",
}
# The smallest valid PNG: one transparent pixel.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def set_company(client: Any, **fields: Any) -> dict[str, Any]:
    response = client.put("/v1/settings/company", json={**COMPANY, **fields})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_the_company_is_empty_until_set_then_shows_what_was_set(client: Any) -> None:
    empty = client.get("/v1/settings/company").json()
    assert (empty["name"], empty["iban"], empty["logo"], empty["version"]) == ("", "", None, 0)
    company = set_company(client)
    assert company["iban"] == "DE89370400440532013000"
    assert company["bic"] == "COBADEFFXXX"
    assert company["address"] == {**COMPANY["address"], "region": ""}
    assert (company["registration"], company["logo"], company["version"]) == ("HRB 98765 Hamburg", None, 2)
    assert client.get("/v1/settings/company").json() == company
    assert set_company(client)["version"] == 2  # the same details again record nothing


def test_bank_details_are_checked_and_only_an_admin_sets_them(client: Any) -> None:
    typo = client.put("/v1/settings/company", json={**COMPANY, "iban": "DE89370400440532013001"})
    assert error_locs(assert_problem(typo, 422)) == [["body", "iban"]]
    bic = client.put("/v1/settings/company", json={**COMPANY, "bic": "COBA-DE"})
    assert error_locs(assert_problem(bic, 422)) == [["body", "bic"]]
    clerk = role_headers(client, "clerk")
    assert_problem(client.put("/v1/settings/company", json=COMPANY, headers=clerk), 403, "forbidden")
    assert client.get("/v1/settings/company", headers=clerk).json()["version"] == 0


def test_an_uploaded_logo_is_shown_kept_or_removed(client: Any) -> None:
    set_company(client)
    refused = client.post("/v1/settings/company/logo", files={"file": ("logo.gif", b"GIF89a", "image/gif")})
    assert_problem(refused, 415, "unsupported_media_type")
    response = client.post("/v1/settings/company/logo", files={"file": ("logo.png", PNG, "image/png")})
    assert response.status_code == 201, response.text
    logo = response.json()["logo"]
    assert (logo["filename"], logo["size"], logo["content_type"]) == ("logo.png", len(PNG), "image/png")
    assert client.get("/v1/settings/company/logo").content == PNG
    assert set_company(client, logo=logo["id"])["logo"] == logo
    unknown = client.put("/v1/settings/company", json={**COMPANY, "logo": "00000000-0000-0000-0000-000000000000"})
    assert error_locs(assert_problem(unknown, 422)) == [["body", "logo"]]
    assert set_company(client)["logo"] is None
    assert_problem(client.get("/v1/settings/company/logo"), 404, "not_found")
