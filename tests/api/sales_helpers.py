"""Helpers shared by the sales API tests: drafting and issuing documents, payments, clock ticks."""

from __future__ import annotations

from typing import Any


def line(product: str = "A", quantity: str = "1", unit_price: str = "100.00", **fields: Any) -> dict[str, Any]:
    return {"product": product, "quantity": quantity, "unit_price": unit_price, **fields}


def draft(
    client: Any, partner: str, doc_type: str = "invoice", lines: list[dict[str, Any]] | None = None, **fields: Any
) -> dict[str, Any]:
    body = {"type": doc_type, "partner": partner, "lines": lines or [line()], **fields}
    response = client.post("/v1/documents", json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def issue(client: Any, document: str, **body: Any) -> dict[str, Any]:
    response = client.post(f"/v1/documents/{document}/issue", json=body or None)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def issued(
    client: Any, partner: str, doc_type: str = "invoice", lines: list[dict[str, Any]] | None = None, **fields: Any
) -> dict[str, Any]:
    """A document drafted and issued at once (an invoice by default)."""
    return issue(client, draft(client, partner, doc_type, lines, **fields)["id"])


def invoice_of(client: Any, partner: str, amount: str, **fields: Any) -> dict[str, Any]:
    """An issued invoice of one untaxed line, so its total is ``amount``."""
    return issued(client, partner, "invoice", [line("SVC", "1", amount)], **fields)


def document(client: Any, ref: str) -> dict[str, Any]:
    response = client.get(f"/v1/documents/{ref}")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def act(client: Any, ref: str, action: str, body: dict[str, Any] | None = None, status: int = 200) -> dict[str, Any]:
    response = client.post(f"/v1/documents/{ref}/{action}", json=body)
    assert response.status_code == status, response.text
    return response.json()  # type: ignore[no-any-return]


def pay(client: Any, partner: str, amount: str, **fields: Any) -> dict[str, Any]:
    response = client.post("/v1/payments", json={"partner": partner, "amount": amount, **fields})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def balance(client: Any, partner: str) -> dict[str, Any]:
    response = client.get(f"/v1/partners/{partner}/balance")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def tick(client: Any, to: str) -> dict[str, Any]:
    response = client.post("/v1/clock/ticks", json={"to": to})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]
