"""Every reference a command body names must exist: an unknown partner, document, contact,
address, user, group, scheme, template, interest area or campaign answers 422 with the field's
location, and nothing is recorded (the log does not grow)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.helpers import (
    assert_problem,
    audit_count,
    create_campaigns,
    create_groups,
    create_partner,
    create_schemes,
    create_users,
    error_locs,
)
from tests.api.sales_helpers import draft, invoice_of, issued, line

MISSING = "00000000-0000-4000-8000-000000000099"
Case = tuple[str, str, dict[str, Any] | None, list[Any]]


def world(client: Any) -> dict[str, Any]:
    """What the bodies below may name: a user, a group, a scheme, templates of each channel, a
    campaign, an interest area, a request type, and two partners with a contact and an address."""
    create_users(client, "anna")
    create_groups(client, "G1")
    create_schemes(client, "STD")
    create_campaigns(client, "SPRING")
    for code, channel in (("W1", "email"), ("S1", "sms"), ("L1", "letter")):
        body = {"code": code, "channel": channel, "purpose": "general", "subject": "Hi", "body": "Hello"}
        assert client.post("/v1/templates", json=body).status_code == 201
    assert client.post("/v1/interest-areas", json={"code": "NEWS", "name": "News"}).status_code == 201
    request_type = {"code": "COMPLAINT", "name": "Complaint", "due_days": 3}
    assert client.post("/v1/request-types", json=request_type).status_code == 201
    made: dict[str, Any] = {}
    for code in ("ACME", "OTHER"):
        made[code] = create_partner(client, name=code.title(), code=code, email=f"office@{code.lower()}.example")
        contact = client.post(f"/v1/partners/{code}/contacts", json={"name": "Jo", "email": f"jo@{code}.example"})
        address = client.post(f"/v1/partners/{code}/addresses", json={"usage": ["billing"], "city": "Graz"})
        made[f"{code}-contact"], made[f"{code}-address"] = contact.json()["id"], address.json()["id"]
    return made


def assert_refused(client: Any, cases: list[Case]) -> None:
    """Each request answers 422 at exactly its field, and the log stays as it was."""
    before = audit_count(client)
    for method, path, body, loc in cases:
        response = client.request(method, path, json=body)
        problem = assert_problem(response, 422, "validation_error")
        assert error_locs(problem) == [loc], (method, path, body)
        assert problem["errors"][0]["msg"], problem
        assert "X-Position" not in response.headers
    assert audit_count(client) == before


@pytest.mark.postgres
def test_an_unknown_group_is_refused_and_no_partner_recorded(client: Any) -> None:
    """The reported case, on both backends: 201 and a partner with a group that does not exist."""
    before = audit_count(client)
    response = client.post("/v1/partners", json={"name": "Acme Ltd", "group": "NOPE"})
    problem = assert_problem(response, 422, "validation_error")
    assert problem["errors"] == [{"loc": ["body", "group"], "msg": "partner group NOPE not found"}]
    assert audit_count(client) == before
    assert client.get("/v1/partners", params={"q": "Acme"}).json()["items"] == []
    create_groups(client, "nope")
    assert client.post("/v1/partners", json={"name": "Acme Ltd", "group": "nope"}).json()["group"] == "NOPE"


def test_partner_master_data_references(sqlite_client: Any) -> None:
    client = sqlite_client
    world(client)
    assert_refused(
        client,
        [
            ("POST", "/v1/partners", {"name": "X", "group": "NOPE"}, ["body", "group"]),
            ("POST", "/v1/partners", {"name": "X", "sales_reps": ["anna", "nobody"]}, ["body", "sales_reps", 1]),
            ("POST", "/v1/partners", {"name": "X", "parent": "NOPE"}, ["body", "parent"]),
            ("POST", "/v1/partners", {"name": "X", "collection_scheme": "NOPE"}, ["body", "collection_scheme"]),
            ("PATCH", "/v1/partners/ACME", {"group": "NOPE"}, ["body", "group"]),
            ("PATCH", "/v1/partners/ACME", {"name": "Y", "sales_reps": ["nobody"]}, ["body", "sales_reps", 0]),
            ("PATCH", "/v1/partners/ACME", {"collection_scheme": "NOPE"}, ["body", "collection_scheme"]),
            ("PATCH", "/v1/partners/ACME", {"parent": MISSING}, ["body", "parent"]),
            ("POST", "/v1/partners/ACME/merge", {"absorb": ["OTHER", "NOPE"]}, ["body", "absorb", 1]),
            (
                "POST",
                "/v1/partner-groups",
                {"code": "G2", "name": "G2", "collection_scheme": "NOPE"},
                ["body", "collection_scheme"],
            ),
            ("PATCH", "/v1/partner-groups/G1", {"collection_scheme": "NOPE"}, ["body", "collection_scheme"]),
            ("POST", "/v1/users", {"username": "bob", "name": "Bob", "supervisor": "nobody"}, ["body", "supervisor"]),
        ],
    )
    # the same bodies with references that exist are recorded
    changed = client.patch(
        "/v1/partners/ACME", json={"group": "g1", "sales_reps": ["anna"], "collection_scheme": "std"}
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["group"], changed.json()["sales_reps"]) == ("G1", ["anna"])
    assert client.get("/v1/partners/OTHER").json()["status"] == "active"


def test_sales_document_references(sqlite_client: Any) -> None:
    client = sqlite_client
    w = world(client)
    quote = issued(client, "ACME", "quote")
    theirs = invoice_of(client, "OTHER", "10.00")
    body = {"type": "invoice", "partner": "ACME", "lines": [line()]}
    credit = {**body, "type": "credit_note"}
    assert_refused(
        client,
        [
            ("POST", "/v1/documents", {**body, "partner": "NOPE"}, ["body", "partner"]),
            ("POST", "/v1/documents", {**body, "contact": w["OTHER-contact"]}, ["body", "contact"]),
            ("POST", "/v1/documents", {**body, "billing_address": w["OTHER-address"]}, ["body", "billing_address"]),
            ("POST", "/v1/documents", {**body, "shipping_address": MISSING}, ["body", "shipping_address"]),
            ("POST", "/v1/documents", {**body, "sales_rep": "nobody"}, ["body", "sales_rep"]),
            ("POST", "/v1/documents", {**body, "campaign": "NOPE"}, ["body", "campaign"]),
            ("POST", "/v1/documents", {**credit, "applies_to": "IN9999-9999"}, ["body", "applies_to"]),
            ("POST", f"/v1/documents/{quote['id']}/accept", {"by": "nobody"}, ["body", "by"]),
            (
                "POST",
                f"/v1/documents/{quote['id']}/convert",
                {"to": "order", "lines": [{"line_id": MISSING, "quantity": "1"}]},
                ["body", "lines", 0, "line_id"],
            ),
        ],
    )
    named = draft(client, "ACME", sales_rep="anna", campaign="SPRING", contact=w["ACME-contact"])
    assert (named["sales_rep"], named["campaign"]) == ("anna", "SPRING")
    assert theirs["partner"] == w["OTHER"]["id"]


def test_payment_and_recurring_invoice_references(sqlite_client: Any) -> None:
    client = sqlite_client
    world(client)
    mine = invoice_of(client, "ACME", "10.00")
    theirs = invoice_of(client, "OTHER", "10.00")
    payment = {"partner": "ACME", "amount": "5.00"}
    recurring = {"partner": "NOPE", "lines": [line()], "frequency": {"unit": "month"}, "next_date": "2026-02-01"}
    allocations = [{"document": mine["number"], "amount": "1.00"}, {"document": theirs["number"], "amount": "1.00"}]
    assert_refused(
        client,
        [
            ("POST", "/v1/payments", {**payment, "partner": "NOPE"}, ["body", "partner"]),
            ("POST", "/v1/payments", {**payment, "allocations": allocations}, ["body", "allocations", 1, "document"]),
            ("POST", "/v1/recurring-invoices", recurring, ["body", "partner"]),
        ],
    )


def test_activity_and_request_references(sqlite_client: Any) -> None:
    client = sqlite_client
    w = world(client)
    call = {"kind": "call", "partner": "ACME", "subject": "Renewal", "due_on": "2026-01-20", "force": True}
    activity = client.post("/v1/activities", json={**call, "kind": "task"}).json()
    request = {"type": "COMPLAINT", "partner": "ACME", "subject": "Broken"}
    opened = client.post("/v1/requests", json=request).json()
    theirs = invoice_of(client, "OTHER", "10.00")
    assert_refused(
        client,
        [
            ("POST", "/v1/activities", {**call, "partner": "NOPE"}, ["body", "partner"]),
            ("POST", "/v1/activities", {**call, "contact": w["OTHER-contact"]}, ["body", "contact"]),
            ("POST", "/v1/activities", {**call, "assignee": "nobody"}, ["body", "assignee"]),
            ("PATCH", f"/v1/activities/{activity['id']}", {"assignee": "nobody"}, ["body", "assignee"]),
            ("POST", "/v1/requests", {**request, "type": "NOPE"}, ["body", "type"]),
            ("POST", "/v1/requests", {**request, "partner": "NOPE"}, ["body", "partner"]),
            ("POST", "/v1/requests", {**request, "contact": w["OTHER-contact"]}, ["body", "contact"]),
            ("POST", "/v1/requests", {**request, "document": "IN9999-9999"}, ["body", "document"]),
            ("POST", "/v1/requests", {**request, "document": theirs["number"]}, ["body", "document"]),
            ("POST", f"/v1/requests/{opened['id']}/assign", {"to": "nobody"}, ["body", "to"]),
            ("POST", "/v1/requests/routing-rules", {"type": "NOPE", "assign_to": "anna"}, ["body", "type"]),
            ("POST", "/v1/requests/routing-rules", {"assign_to": "nobody"}, ["body", "assign_to"]),
            ("PATCH", "/v1/request-types/COMPLAINT", {"assign_to": "nobody"}, ["body", "assign_to"]),
        ],
    )


def test_message_mailing_and_campaign_references(sqlite_client: Any) -> None:
    client = sqlite_client
    w = world(client)
    theirs = invoice_of(client, "OTHER", "10.00")
    message = {"channel": "email", "partner": "ACME", "template": "W1"}
    mailing = {"template": "W1", "groups": ["G1"]}
    campaign = {"code": "C2", "name": "C2", "template": "W1"}
    assert_refused(
        client,
        [
            ("POST", "/v1/messages", {**message, "partner": "NOPE"}, ["body", "partner"]),
            ("POST", "/v1/messages", {**message, "contact": w["OTHER-contact"]}, ["body", "contact"]),
            ("POST", "/v1/messages", {**message, "template": "NOPE"}, ["body", "template"]),
            ("POST", "/v1/messages", {**message, "attach_letter": "NOPE"}, ["body", "attach_letter"]),
            ("POST", "/v1/messages", {**message, "documents": [MISSING]}, ["body", "documents", 0]),
            ("POST", "/v1/messages", {**message, "documents": [theirs["id"]]}, ["body", "documents", 0]),
            ("POST", "/v1/mailings", {**mailing, "template": "NOPE"}, ["body", "template"]),
            ("POST", "/v1/mailings", {**mailing, "groups": ["G1", "NOPE"]}, ["body", "groups", 1]),
            ("POST", "/v1/mailings", {**mailing, "interest_areas": ["NOPE"]}, ["body", "interest_areas", 0]),
            ("POST", "/v1/mailings", {**mailing, "partners": ["ACME", "NOPE"]}, ["body", "partners", 1]),
            ("POST", "/v1/mailings", {**mailing, "documents": ["IN9999-9999"]}, ["body", "documents", 0]),
            ("POST", "/v1/mailings", {**mailing, "campaign": "NOPE"}, ["body", "campaign"]),
            ("POST", "/v1/campaigns", {**campaign, "template": "NOPE"}, ["body", "template"]),
            ("POST", "/v1/campaigns", {**campaign, "target": {"groups": ["NOPE"]}}, ["body", "target", "groups", 0]),
            (
                "POST",
                "/v1/campaigns",
                {**campaign, "target": {"interest_areas": ["NOPE"]}},
                ["body", "target", "interest_areas", 0],
            ),
            ("PATCH", "/v1/campaigns/SPRING", {"template": "NOPE"}, ["body", "template"]),
        ],
    )


def test_collection_portal_and_subscription_references(sqlite_client: Any) -> None:
    client = sqlite_client
    w = world(client)

    def scheme(*actions: dict[str, Any]) -> dict[str, Any]:
        return {
            "code": "NEW",
            "name": "New",
            "levels": [{"seq": 1, "name": "L1", "days_after_due": 7, "actions": actions}],
        }

    at = ["body", "levels", 0, "actions", 1]
    fee = {"type": "fee", "amount": "5.00"}
    assert_refused(
        client,
        [
            ("POST", "/v1/collection/schemes", scheme(fee, {"type": "email", "template": "NOPE"}), [*at, "template"]),
            ("POST", "/v1/collection/schemes", scheme(fee, {"type": "sms", "template": "W1"}), [*at, "template"]),
            (
                "POST",
                "/v1/collection/schemes",
                scheme(fee, {"type": "email", "template": "W1", "attach_letter": "NOPE"}),
                [*at, "attach_letter"],
            ),
            (
                "POST",
                "/v1/collection/schemes",
                scheme(fee, {"type": "task", "title": "Call", "assignee": "nobody"}),
                [*at, "assignee"],
            ),
            ("POST", "/v1/collection/runs", {"partners": ["ACME", "NOPE"]}, ["body", "partners", 1]),
            ("POST", "/v1/portal/tokens", {"partner": "NOPE", "contact": w["ACME-contact"]}, ["body", "partner"]),
            ("POST", "/v1/portal/tokens", {"partner": "ACME", "contact": w["OTHER-contact"]}, ["body", "contact"]),
            ("POST", "/v1/interest-areas/NEWS/subscriptions", {"contact": MISSING}, ["body", "contact"]),
        ],
    )
    actions = [
        {"type": "email", "template": "W1", "attach_letter": "L1"},
        {"type": "sms", "template": "S1"},
        {"type": "task", "title": "Call", "assignee": "anna"},
        {"type": "task", "title": "Call", "assignee": "sales_rep"},
    ]
    defined = client.post("/v1/collection/schemes", json=scheme(*actions))
    assert defined.status_code == 201, defined.text
