"""/v1/portal: tokens (issue, list, revoke), the customer's own data through a token, and the
isolation rules: another partner's anything is a 404 on every portal route, a portal token opens
nothing outside /v1/portal (403), staff keys open nothing inside it (403), and a revoked token
nothing at all (401)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import pytest
from pypdf import PdfReader

from tests.api.helpers import assert_problem, audit_count, create_partner, error_locs, role_headers
from tests.api.sales_helpers import draft, invoice_of, issued, line, pay


def add_contact(client: Any, partner: str, name: str, **fields: Any) -> dict[str, Any]:
    response = client.post(f"/v1/partners/{partner}/contacts", json={"name": name, **fields})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def issue_token(client: Any, partner: str, contact: str) -> dict[str, Any]:
    response = client.post("/v1/portal/tokens", json={"partner": partner, "contact": contact})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Customer:
    partner: dict[str, Any]
    contact: dict[str, Any]
    token: str
    quote: dict[str, Any]
    invoice: dict[str, Any]
    credit_note: dict[str, Any]
    draft: dict[str, Any]
    payment: dict[str, Any]
    request: dict[str, Any]
    confidential: dict[str, Any]
    # The customer's balance confirmation as of the day the customers were made.
    confirmation: dict[str, Any] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.token)


def customer(client: Any, name: str, code: str, contact: str, invoice_total: str, paid: str) -> Customer:
    partner = create_partner(client, name=name, code=code, email=f"office@{code.lower()}.example")
    person = add_contact(client, partner["id"], contact, email=f"{contact.lower()}@{code.lower()}.example")
    quote = issued(
        client,
        partner["id"],
        "quote",
        [line("CONSULT", "2", "150.00", tax_rate="23", unit_cost="90.00")],
        valid_until="2026-02-28",
    )
    invoice = invoice_of(client, partner["id"], invoice_total)
    credit_note = issued(client, partner["id"], "credit_note", [line("SVC", "1", "20.00")], applies_to=invoice["id"])
    drafted = draft(client, partner["id"], "invoice", [line("SECRET", "1", "999.00")])
    payment = pay(client, partner["id"], paid, reference=f"wire {code}")
    request = open_request(client, partner["id"], person["id"], f"Broken shelf at {name}")
    comment(client, request["id"], "A replacement is on its way.", "public")
    comment(client, request["id"], "Difficult customer, check twice.", "internal")
    confidential = open_request(client, partner["id"], None, "Credit check", confidentiality="confidential")
    token = issue_token(client, partner["id"], person["id"])["token"]
    return Customer(partner, person, token, quote, invoice, credit_note, drafted, payment, request, confidential)


def open_request(client: Any, partner: str, contact: str | None, subject: str, **fields: Any) -> dict[str, Any]:
    body = {"type": "SUPPORT", "partner": partner, "contact": contact, "subject": subject, **fields}
    response = client.post("/v1/requests", json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def comment(client: Any, request: str, text: str, visibility: str) -> None:
    response = client.post(f"/v1/requests/{request}/comments", json={"text": text, "visibility": visibility})
    assert response.status_code == 201, response.text


def two_customers(client: Any) -> tuple[Customer, Customer]:
    response = client.post("/v1/request-types", json={"code": "SUPPORT", "name": "Support", "due_days": 2})
    assert response.status_code == 201, response.text
    acme = customer(client, "Acme Ltd", "ACME", "Ann", "200.00", "50.00")
    beta = customer(client, "Beta GmbH", "BETA", "Bob", "500.00", "100.00")
    series = {"as_of": "2026-01-15", "partners": ["ACME", "BETA"], "channel": "letter"}
    response = client.post("/v1/balance-confirmations", json=series)
    assert response.status_code == 201, response.text
    for one in (acme, beta):
        listed = client.get("/v1/balance-confirmations", params={"partner": one.partner["id"]}).json()
        (one.confirmation,) = listed["items"]
    return acme, beta


def portal_routes(client: Any) -> set[tuple[str, str]]:
    """Every customer route of the portal, as the app's OpenAPI document declares them."""
    paths = client.get("/openapi.json").json()["paths"]
    return {
        (method.upper(), path)
        for path, operations in paths.items()
        if path.startswith("/v1/portal") and not path.startswith("/v1/portal/tokens")
        for method in operations
    }


@dataclass
class Call:
    """One portal route: called with my own data, and with the other partner's (by id and by
    number, or a body naming the other partner's document), which must answer 404."""

    method: str
    route: str
    path: str
    body: dict[str, Any] | None = None
    foreign: tuple[tuple[str, dict[str, Any] | None], ...] = ()
    status: int = 200


def calls(me: Customer, other: Customer) -> list[Call]:
    docs, reqs, bcs = "/v1/portal/documents", "/v1/portal/requests", "/v1/portal/balance-confirmations"
    theirs = other.invoice, other.quote, other.request
    return [
        Call("GET", "/v1/portal/profile", "/v1/portal/profile"),
        Call("GET", "/v1/portal/balance", "/v1/portal/balance"),
        Call("GET", "/v1/portal/payments", "/v1/portal/payments"),
        Call("GET", "/v1/portal/deliveries", "/v1/portal/deliveries"),
        Call("GET", bcs, bcs),
        Call(
            "POST",
            bcs + "/{confirmation}/reply",
            f"{bcs}/{me.confirmation['id']}/reply",
            {"status": "confirmed", "comment": "Agreed"},
            foreign=((f"{bcs}/{other.confirmation['id']}/reply", {"status": "disputed", "comment": ""}),),
        ),
        Call("GET", docs, docs),
        Call(
            "GET",
            docs + "/{document}",
            f"{docs}/{me.invoice['id']}",
            foreign=((f"{docs}/{theirs[0]['id']}", None), (f"{docs}/{theirs[0]['number']}", None)),
        ),
        Call(
            "GET",
            docs + "/{document}/pdf",
            f"{docs}/{me.invoice['number']}/pdf",
            foreign=((f"{docs}/{theirs[0]['id']}/pdf", None), (f"{docs}/{theirs[0]['number']}/pdf", None)),
        ),
        Call(
            "POST",
            docs + "/{document}/accept",
            f"{docs}/{me.quote['number']}/accept",
            foreign=((f"{docs}/{theirs[1]['id']}/accept", None), (f"{docs}/{theirs[1]['number']}/accept", None)),
        ),
        Call("GET", reqs, reqs),
        Call(
            "GET",
            reqs + "/{request}",
            f"{reqs}/{me.request['number']}",
            foreign=(
                (f"{reqs}/{theirs[2]['id']}", None),
                (f"{reqs}/{theirs[2]['number']}", None),
                (f"{reqs}/{me.confidential['id']}", None),  # not the customer's to see
            ),
        ),
        Call(
            "POST",
            reqs,
            reqs,
            {"subject": "Copy of the invoice", "document": me.invoice["number"]},
            foreign=(
                (reqs, {"subject": "Copy of their invoice", "document": theirs[0]["id"]}),
                (reqs, {"subject": "Copy of their invoice", "document": theirs[0]["number"]}),
            ),
            status=201,
        ),
        Call(
            "POST",
            reqs + "/{request}/comments",
            f"{reqs}/{me.request['id']}/comments",
            {"text": "Thank you!"},
            foreign=(
                (f"{reqs}/{theirs[2]['id']}/comments", {"text": "Hello"}),
                (f"{reqs}/{theirs[2]['number']}/comments", {"text": "Hello"}),
                (f"{reqs}/{me.confidential['number']}/comments", {"text": "Hello"}),
            ),
            status=201,
        ),
    ]


@pytest.mark.postgres
def test_every_portal_route_is_scoped_to_the_tokens_partner(client: Any) -> None:
    acme, beta = two_customers(client)
    table = calls(acme, beta)
    assert {(c.method, c.route) for c in table} == portal_routes(client), "a portal route is not checked here"
    before = audit_count(client)
    clerk = role_headers(client, "clerk")
    for call in table:
        # the other partner's data, by id and by number, is unknown to this token
        for path, body in call.foreign:
            response = client.request(call.method, path, json=body, headers=acme.headers)
            assert_problem(response, 404, "not_found")
        # staff keys are refused on the portal's data (403), even the admin's
        assert_problem(client.request(call.method, call.path, json=call.body, headers=clerk), 403, "forbidden")
        assert_problem(client.request(call.method, call.path, json=call.body), 403, "forbidden")
    # none of that recorded anything (the clerk's key is the one new event)
    assert audit_count(client) == before + 1
    for call in table:
        response = client.request(call.method, call.path, json=call.body, headers=acme.headers)
        assert response.status_code == call.status, (call.path, response.text)
    # nothing the other partner owns leaked through the lists
    listed = str(client.get("/v1/portal/documents", headers=acme.headers).json())
    assert beta.quote["id"] not in listed and beta.invoice["number"] not in listed
    assert beta.payment["id"] not in str(client.get("/v1/portal/payments", headers=acme.headers).json())
    requests = client.get("/v1/portal/requests", headers=acme.headers).json()["items"]
    assert [r["subject"] for r in requests] == ["Copy of the invoice", "Broken shelf at Acme Ltd"]
    # beta's quote and request are as they were
    assert client.get(f"/v1/documents/{beta.quote['id']}").json()["status"] == "sent"
    assert len(client.get(f"/v1/requests/{beta.request['id']}").json()["comments"]) == 2

    # a portal token opens nothing outside /v1/portal
    for method, path, body in (
        ("GET", "/v1/partners", None),
        ("GET", f"/v1/partners/{acme.partner['id']}", None),
        ("GET", f"/v1/partners/{acme.partner['id']}/balance", None),
        ("GET", "/v1/documents", None),
        ("GET", f"/v1/documents/{acme.invoice['id']}", None),
        ("GET", f"/v1/documents/{acme.invoice['id']}/pdf", None),
        ("POST", f"/v1/documents/{acme.quote['id']}/accept", None),
        ("GET", "/v1/payments", None),
        ("GET", f"/v1/requests/{acme.request['id']}", None),
        ("POST", f"/v1/requests/{acme.request['id']}/comments", {"text": "sneaky", "visibility": "internal"}),
        ("GET", "/v1/audit/events", None),
        ("POST", "/v1/partners", {"name": "Intruder"}),
        ("POST", "/v1/portal/tokens", {"partner": beta.partner["id"], "contact": beta.contact["id"]}),
        ("GET", "/v1/portal/tokens", None),
        ("DELETE", f"/v1/portal/tokens/{beta.token}", None),
    ):
        assert_problem(client.request(method, path, json=body, headers=acme.headers), 403, "forbidden")

    # a revoked token opens nothing at all
    assert client.delete(f"/v1/portal/tokens/{acme.token}").status_code == 204
    for call in table:
        response = client.request(call.method, call.path, json=call.body, headers=acme.headers)
        assert_problem(response, 401, "unauthorized")
    assert client.get("/v1/portal/profile", headers=beta.headers).status_code == 200


def test_profile_balance_documents_and_payments_show_the_customers_own_data(sqlite_client: Any) -> None:
    client = sqlite_client
    acme, _beta = two_customers(client)
    profile = client.get("/v1/portal/profile", headers=acme.headers).json()
    assert profile["partner"]["code"] == "ACME" and profile["partner"]["name"] == "Acme Ltd"
    assert "notes_private" not in profile["partner"] and "credit_limit" not in profile["partner"]
    assert profile["contact"] == {
        "id": acme.contact["id"],
        "name": "Ann",
        "title": "",
        "email": "ann@acme.example",
        "mobile": None,
        "phone": None,
    }
    # 200.00 invoiced, 20.00 credited, 50.00 paid
    assert profile["balance"]["balance"] == "130.00"
    assert profile["counts"] == {"quotes": 1, "orders": 0, "proformas": 0, "invoices": 1, "credit_notes": 1}
    balance = client.get("/v1/portal/balance", headers=acme.headers).json()
    assert balance == client.get(f"/v1/partners/{acme.partner['id']}/balance").json()
    assert [(i["number"], i["open_amount"]) for i in balance["open_items"]] == [(acme.invoice["number"], "130.00")]

    documents = client.get("/v1/portal/documents", headers=acme.headers).json()
    assert [(d["type"], d["number"]) for d in documents["items"]] == [
        ("credit_note", acme.credit_note["number"]),
        ("invoice", acme.invoice["number"]),
        ("quote", acme.quote["number"]),
    ]
    assert acme.draft["id"] not in str(documents)  # drafts never show
    quotes = client.get("/v1/portal/documents?type=quote", headers=acme.headers).json()["items"]
    assert [q["number"] for q in quotes] == [acme.quote["number"]]
    quote = client.get(f"/v1/portal/documents/{acme.quote['number']}", headers=acme.headers).json()
    assert quote == quotes[0]
    assert (quote["net"], quote["tax"], quote["total"], quote["status"]) == ("300.00", "69.00", "369.00", "sent")
    assert quote["lines"][0]["product"] == "CONSULT" and quote["lines"][0]["tax"] == "69.00"
    assert quote["pdf"] == f"/v1/portal/documents/{acme.quote['id']}/pdf"
    for hidden in ("cost", "unit_cost", "sales_rep", "custom_fields", "links", "90.00"):
        assert hidden not in str(quote), hidden
    invoice = client.get(f"/v1/portal/documents/{acme.invoice['id']}", headers=acme.headers).json()
    assert (invoice["total"], invoice["open_amount"], invoice["due_date"]) == ("200.00", "130.00", "2026-02-14")
    assert_problem(client.get(f"/v1/portal/documents/{acme.draft['id']}", headers=acme.headers), 404, "not_found")

    response = client.get(f"/v1/portal/documents/{acme.invoice['number']}/pdf", headers=acme.headers)
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert acme.invoice["number"] in text and "200.00" in text and "Acme Ltd" in text

    payments = client.get("/v1/portal/payments", headers=acme.headers).json()["items"]
    assert [(p["number"], p["amount"], p["reference"]) for p in payments] == [
        (acme.payment["number"], "50.00", "wire ACME")
    ]


def test_accepting_a_quote_through_the_portal_is_recorded_as_the_contact(sqlite_client: Any) -> None:
    client = sqlite_client
    acme, _beta = two_customers(client)
    path = f"/v1/portal/documents/{acme.quote['number']}/accept"
    response = client.post(path, headers={**acme.headers, "Idempotency-Key": "accept-1"})
    assert response.status_code == 200, response.text
    accepted = response.json()
    assert (accepted["status"], accepted["number"]) == ("accepted", acme.quote["number"])
    again = client.post(path, headers={**acme.headers, "Idempotency-Key": "accept-1"})
    assert again.json() == accepted
    assert client.get(f"/v1/documents/{acme.quote['id']}").json()["status"] == "accepted"
    events = client.get("/v1/audit/events", params={"type": "QuoteAccepted"}).json()["items"]
    assert [(e["stream"], e["actor"]) for e in events] == [(acme.quote["id"], f"portal:{acme.contact['id']}")]
    assert_problem(client.post(path, headers=acme.headers), 409, "quote_not_open")
    response = client.post(f"/v1/portal/documents/{acme.invoice['id']}/accept", headers=acme.headers)
    assert_problem(response, 409, "wrong_document_type")


def test_tokens_are_issued_listed_and_revoked_by_staff(client: Any) -> None:
    acme = create_partner(client, name="Acme Ltd", code="ACME")
    ann = add_contact(client, "ACME", "Ann")
    gone = add_contact(client, "ACME", "Gone", active=False)
    other = create_partner(client, name="Other", code="OTHER")
    olga = add_contact(client, "OTHER", "Olga")

    response = client.post("/v1/portal/tokens", json={"partner": "acme", "contact": ann["id"]})
    assert response.status_code == 201, response.text
    issued_token = response.json()
    assert set(issued_token) == {"token", "id", "partner", "contact"}
    assert issued_token["partner"] == acme["id"] and issued_token["contact"] == ann["id"]
    assert issued_token["token"].startswith("portal_") and len(issued_token["token"]) > 40
    second = issue_token(client, acme["id"], ann["id"])  # a second device: both work
    for token in (issued_token["token"], second["token"]):
        assert client.get("/v1/portal/profile", headers=bearer(token)).status_code == 200

    listed = client.get("/v1/portal/tokens", params={"partner": "ACME"}).json()
    assert {t["id"] for t in listed["items"]} == {issued_token["id"], second["id"]}
    assert all(t["contact"] == ann["id"] and t["revoked_on"] is None for t in listed["items"])
    assert issued_token["token"] not in str(listed) and second["token"] not in str(listed)

    # refusals: a contact of another partner, an inactive one, an unknown partner, the wrong roles
    response = client.post("/v1/portal/tokens", json={"partner": "ACME", "contact": olga["id"]})
    assert error_locs(assert_problem(response, 422, "validation_error")) == [["body", "contact"]]
    response = client.post("/v1/portal/tokens", json={"partner": "ACME", "contact": gone["id"]})
    assert_problem(response, 409, "contact_inactive")
    response = client.post("/v1/portal/tokens", json={"partner": "NOPE", "contact": ann["id"]})
    assert error_locs(assert_problem(response, 422, "validation_error")) == [["body", "partner"]]
    analyst = role_headers(client, "analyst")
    response = client.post("/v1/portal/tokens", json={"partner": "ACME", "contact": ann["id"]}, headers=analyst)
    assert_problem(response, 403, "forbidden")
    assert other["id"] not in str(listed)

    # revoking by the token itself, then by id; an unknown token is a 404
    assert client.delete(f"/v1/portal/tokens/{issued_token['token']}").status_code == 204
    assert_problem(client.get("/v1/portal/profile", headers=bearer(issued_token["token"])), 401, "unauthorized")
    assert client.get("/v1/portal/profile", headers=bearer(second["token"])).status_code == 200
    assert client.delete(f"/v1/portal/tokens/{second['id']}").status_code == 204
    assert client.delete(f"/v1/portal/tokens/{second['token']}").status_code == 204  # revoked already: fine
    assert_problem(client.get("/v1/portal/profile", headers=bearer(second["token"])), 401, "unauthorized")
    assert_problem(client.delete("/v1/portal/tokens/portal_unknown"), 404, "not_found")
    revoked = client.get("/v1/portal/tokens", params={"partner": "ACME"}).json()["items"]
    assert [t["revoked_on"] for t in revoked] == ["2026-01-15", "2026-01-15"]


def test_a_token_ends_with_its_contact_and_follows_a_merge(sqlite_client: Any) -> None:
    client = sqlite_client
    acme, beta = two_customers(client)
    survivor = create_partner(client, name="Acme Group", code="ACMEGRP")
    response = client.post("/v1/partners/ACMEGRP/merge", json={"absorb": ["ACME"]})
    assert response.status_code == 200, response.text
    # the contact moved to the survivor, and so did the token's reach
    profile = client.get("/v1/portal/profile", headers=acme.headers).json()
    assert profile["partner"]["id"] == survivor["id"]
    numbers = [d["number"] for d in client.get("/v1/portal/documents", headers=acme.headers).json()["items"]]
    assert acme.invoice["number"] in numbers and beta.invoice["number"] not in numbers
    # a deactivated contact's token stops working; so does a removed one's
    response = client.patch(f"/v1/partners/ACMEGRP/contacts/{acme.contact['id']}", json={"active": False})
    assert response.status_code == 200, response.text
    assert_problem(client.get("/v1/portal/profile", headers=acme.headers), 401, "unauthorized")
    assert client.delete(f"/v1/partners/BETA/contacts/{beta.contact['id']}").status_code == 204
    assert_problem(client.get("/v1/portal/balance", headers=beta.headers), 401, "unauthorized")


def test_the_portal_page_is_served_without_a_key(sqlite_client: Any) -> None:
    response = sqlite_client.get("/portal/", headers={"Authorization": ""})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert sqlite_client.get("/portal", headers={"Authorization": ""}, follow_redirects=False).status_code in (
        301,
        307,
    )


def test_the_demo_invites_a_customer_with_a_quote_to_answer(sqlite_container: Any, sqlite_client: Any) -> None:
    from services.cli.demo import portal_invite

    client = sqlite_client
    assert portal_invite(sqlite_container) is None  # nobody to invite yet
    create_partner(client, name="Aardvark", code="AARD")
    add_contact(client, "AARD", "Al")
    zed = create_partner(client, name="Zed Trading", code="ZED")
    add_contact(client, "ZED", "Zoe")
    issued(client, zed["id"], "quote", [line("CONSULT", "1", "100.00")])
    code, contact, token = portal_invite(sqlite_container) or ("", "", "")
    assert (code, contact) == ("ZED", "Zoe")
    profile = client.get("/v1/portal/profile", headers=bearer(token)).json()
    assert (profile["partner"]["code"], profile["contact"]["name"]) == ("ZED", "Zoe")


def test_requests_through_the_portal_show_public_comments_and_record_the_contact(sqlite_client: Any) -> None:
    client = sqlite_client
    acme, _beta = two_customers(client)
    listed = client.get("/v1/portal/requests", headers=acme.headers).json()["items"]
    assert [r["number"] for r in listed] == [acme.request["number"]]  # the confidential one is not listed
    assert set(listed[0]) == {
        "id",
        "number",
        "type",
        "subject",
        "description",
        "status",
        "priority",
        "document",
        "created_at",
        "closed_at",
        "resolution",
    }
    seen = client.get(f"/v1/portal/requests/{acme.request['number']}", headers=acme.headers).json()
    assert [(c["author"], c["text"]) for c in seen["comments"]] == [("admin", "A replacement is on its way.")]
    assert "Difficult" not in str(seen)

    response = client.post(
        "/v1/portal/requests",
        json={
            "subject": "Invoice copy",
            "description": "For our auditors",
            "priority": "high",
            "document": acme.invoice["number"],
        },
        headers=acme.headers,
    )
    assert response.status_code == 201, response.text
    filed = response.json()
    assert (filed["subject"], filed["type"], filed["priority"], filed["status"]) == (
        "Invoice copy",
        "SUPPORT",
        "high",
        "open",
    )
    assert filed["document"] == acme.invoice["id"] and filed["comments"] == []
    staff = client.get(f"/v1/requests/{filed['id']}").json()
    assert (staff["partner"], staff["contact"], staff["source"]) == (acme.partner["id"], acme.contact["id"], "portal")

    response = client.post(
        f"/v1/portal/requests/{filed['number']}/comments", json={"text": "Two copies, please."}, headers=acme.headers
    )
    assert response.status_code == 201, response.text
    assert [(c["author"], c["text"]) for c in response.json()["comments"]] == [("Ann", "Two copies, please.")]
    staff = client.get(f"/v1/requests/{filed['id']}").json()
    assert [(c["visibility"], c["source"]) for c in staff["comments"]] == [("public", "portal")]
    actors = {e["actor"] for e in client.get("/v1/audit/events", params={"stream": filed["id"]}).json()["items"]}
    assert actors == {f"portal:{acme.contact['id']}"}

    # a customer cannot choose the visibility, nor skip the text
    for body in ({"text": "x", "visibility": "internal"}, {"text": ""}):
        response = client.post(f"/v1/portal/requests/{filed['id']}/comments", json=body, headers=acme.headers)
        assert_problem(response, 422, "validation_error")
    response = client.post("/v1/portal/requests", json={"subject": "x", "type": "NOPE"}, headers=acme.headers)
    assert error_locs(assert_problem(response, 422, "validation_error")) == [["body", "type"]]
    # a final request takes no more comments
    response = client.post(f"/v1/requests/{filed['id']}/status", json={"status": "final", "resolution": "sent"})
    assert response.status_code == 200, response.text
    final = client.get(f"/v1/portal/requests/{filed['id']}", headers=acme.headers).json()
    assert (final["status"], final["resolution"]) == ("final", "sent")
    assert [(h["field"], h["old"], h["new"]) for h in final["history"]] == [
        ("status", None, "open"),
        ("status", "open", "final"),
        ("resolution", None, "sent"),
    ]
    response = client.post(f"/v1/portal/requests/{filed['id']}/comments", json={"text": "?"}, headers=acme.headers)
    assert_problem(response, 409, "request_final")


def test_without_a_request_type_the_portal_cannot_file_requests(sqlite_client: Any) -> None:
    client = sqlite_client
    create_partner(client, name="Acme Ltd", code="ACME")
    ann = add_contact(client, "ACME", "Ann")
    token = issue_token(client, "ACME", ann["id"])["token"]
    response = client.post("/v1/portal/requests", json={"subject": "Hello"}, headers=bearer(token))
    assert_problem(response, 409, "no_request_type")
    assert client.get("/v1/portal/requests", headers=bearer(token)).json() == {"items": [], "next_cursor": None}
