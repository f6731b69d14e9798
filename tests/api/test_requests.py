"""/v1/request-types, /v1/requests/routing-rules and /v1/requests: numbering, routing (first match
wins, keywords, the type's default), the group's priority boost, the acknowledgement, comments and
their visibility, assignment, status with resolution and close date, final, the history, and the
service level: due exactly at its moment, overdue at due + tolerance, one alert a day, escalation
to the supervisor, all of it stopped by closing."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import pytest
from rich.progress import Progress

from aggregates.base import EventMeta
from aggregates.errors import NotFound
from aggregates.request import RequestStatus, RequestStatusChanged
from queries.pages import PageRequest
from queries.requests import RequestQueries
from services.cli.replay import verify_all
from tests.api.helpers import assert_problem, audit_count, create_partner, error_locs
from tests.api.sales_helpers import tick

USERS = [
    {"username": "boss", "name": "Bea Boss", "email": "boss@example.com"},
    {"username": "anna", "name": "Anna Agent", "email": "anna@example.com", "supervisor": "boss"},
    {"username": "luca", "name": "Luca Finance", "email": "luca@example.com", "supervisor": "boss"},
]
COMPLAINT = {"code": "COMPLAINT", "name": "Complaint", "due_days": 2, "tolerance_days": 1, "escalate_after_days": 3}


def post(client: Any, path: str, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
    response = client.post(path, json=body)
    assert response.status_code == status, response.text
    return response.json()  # type: ignore[no-any-return]


def get(client: Any, path: str, **params: Any) -> dict[str, Any]:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def setup(client: Any) -> tuple[dict[str, Any], str]:
    """Users (anna and luca report to boss), a GOLD group boosting by 2, a partner in it with
    one contact, the COMPLAINT type and two routing rules."""
    for user in USERS:
        post(client, "/v1/users", user)
    post(client, "/v1/partner-groups", {"code": "GOLD", "name": "Gold", "request_priority_boost": 2})
    partner = create_partner(client, name="Acme Ltd", code="ACME", group="GOLD", email="office@acme.example")
    contact = post(client, "/v1/partners/ACME/contacts", {"name": "Carl Client", "email": "carl@acme.example"})
    post(client, "/v1/request-types", COMPLAINT)
    post(client, "/v1/requests/routing-rules", {"type": "COMPLAINT", "keyword": "invoice", "assign_to": "luca"})
    post(client, "/v1/requests/routing-rules", {"type": "COMPLAINT", "assign_to": "anna"})
    return partner, contact["id"]


def open_request(client: Any, contact: str | None, subject: str = "Broken shelf", **fields: Any) -> dict[str, Any]:
    body = {"type": "COMPLAINT", "partner": "ACME", "contact": contact, "subject": subject, **fields}
    return post(client, "/v1/requests", body)


def request(client: Any, ref: str) -> dict[str, Any]:
    return get(client, f"/v1/requests/{ref}")


def messages(client: Any, request_id: str) -> list[tuple[str, str]]:
    """(to, subject) of the request's messages, oldest first."""
    items = get(client, "/v1/messages", request=request_id, limit=500)["items"]
    return [(m["to"], m["subject"]) for m in reversed(items)]


def changes(detail: dict[str, Any], *fields: str) -> list[tuple[str, str, str | None, str | None]]:
    """(at, field, old, new) of the history entries of those fields."""
    return [(h["at"], h["field"], h["old"], h["new"]) for h in detail["history"] if h["field"] in fields]


@pytest.mark.postgres
def test_a_request_is_numbered_routed_boosted_and_acknowledged(client: Any) -> None:
    partner, contact = setup(client)
    created = open_request(client, contact, description="The top shelf came down.", priority="medium")
    assert created == {
        "id": created["id"],
        "number": "REQ-00001",
        "type": "COMPLAINT",
        "partner": partner["id"],
        "contact": contact,
        "subject": "Broken shelf",
        "description": "The top shelf came down.",
        "priority": "urgent",
        "requested_priority": "medium",
        "document": None,
        "confidentiality": "public",
        "custom_fields": {},
        "source": "api",
        "status": "open",
        "assignee": "anna",
        "due_state": "scheduled",
        "next_action_at": "2026-01-17T00:00:00Z",
        "escalated": False,
        "due_at": "2026-01-17T00:00:00Z",
        "overdue_at": "2026-01-18T00:00:00Z",
        "escalate_at": "2026-01-20T00:00:00Z",
        "created_at": "2026-01-15T00:00:00Z",
        "closed_at": None,
        "resolution": None,
        "version": 2,
        "comments": [],
        "history": [
            {"at": "2026-01-15T00:00:00Z", "by": "admin", "field": "status", "old": None, "new": "open"},
            {"at": "2026-01-15T00:00:00Z", "by": "admin", "field": "assignee", "old": None, "new": "anna"},
        ],
    }
    assert request(client, "REQ-00001") == request(client, created["id"]) == created
    (ack,) = get(client, "/v1/messages", request=created["id"])["items"]
    assert (ack["to"], ack["subject"], ack["purpose"], ack["template"]) == (
        "carl@acme.example",
        "[REQ-00001] Broken shelf",
        "request",
        None,
    )
    assert "registered it as request REQ-00001" in ack["body"] and "2026-01-17" in ack["body"]

    # the first matching rule wins: the keyword rule comes first; a low priority rises by two
    second = open_request(client, contact, "Wrong INVOICE total", priority="low")
    assert (second["number"], second["assignee"], second["priority"]) == ("REQ-00002", "luca", "high")


def test_routing_falls_back_to_the_types_handler_or_nobody(client: Any) -> None:
    _, contact = setup(client)
    post(client, "/v1/request-types", {"code": "QUESTION", "name": "Question", "due_days": 5, "assign_to": "luca"})
    post(client, "/v1/request-types", {"code": "OTHER", "name": "Other", "due_days": 10})
    question = open_request(client, contact, "Opening hours?", type="QUESTION", priority="minor")
    other = open_request(client, None, "Hello", type="OTHER")
    assert (question["assignee"], question["priority"], question["due_at"]) == (
        "luca",
        "medium",
        "2026-01-20T00:00:00Z",
    )
    assert (other["assignee"], other["contact"], other["next_action_at"]) == (None, None, "2026-01-25T00:00:00Z")
    # an acknowledgement without a contact goes to the partner's own address
    assert messages(client, other["id"]) == [("office@acme.example", "[REQ-00002] Hello")]
    # a keyword rule for any type, added last, is tried after the others
    rule = post(client, "/v1/requests/routing-rules", {"keyword": "hours", "assign_to": "boss"})
    assert rule == {"id": rule["id"], "type": None, "keyword": "hours", "assign_to": "boss"}
    assert open_request(client, contact, "Opening HOURS at Easter", type="QUESTION")["assignee"] == "boss"
    assert open_request(client, contact, "Hours of the broken shelf")["assignee"] == "anna"
    rules = get(client, "/v1/requests/routing-rules")["items"]
    assert [(r["type"], r["keyword"], r["assign_to"]) for r in rules] == [
        ("COMPLAINT", "invoice", "luca"),
        ("COMPLAINT", None, "anna"),
        (None, "hours", "boss"),
    ]
    assert client.delete(f"/v1/requests/routing-rules/{rules[1]['id']}").status_code == 204
    assert open_request(client, contact, "Broken door")["assignee"] is None
    assert_problem(client.delete(f"/v1/requests/routing-rules/{rules[1]['id']}"), 404, "not_found")


def test_request_types_are_listed_changed_and_one_is_the_default(client: Any) -> None:
    setup(client)
    post(client, "/v1/request-types", {"code": "QUESTION", "name": "Question", "due_days": 5, "is_default": True})
    assert [(t["code"], t["is_default"]) for t in get(client, "/v1/request-types")["items"]] == [
        ("COMPLAINT", False),
        ("QUESTION", True),
    ]
    response = client.patch("/v1/request-types/COMPLAINT", json={"tolerance_days": 2, "is_default": True})
    assert response.status_code == 200, response.text
    assert response.json() == {
        "code": "COMPLAINT",
        "name": "Complaint",
        "due_days": 2,
        "tolerance_days": 2,
        "escalate_after_days": 3,
        "alert_when_overdue": True,
        "assign_to": None,
        "is_default": True,
        "version": 2,
    }
    assert get(client, "/v1/request-types/QUESTION")["is_default"] is False
    assert_problem(client.post("/v1/request-types", json=COMPLAINT), 409, "request_type_exists")
    assert_problem(client.get("/v1/request-types/NOPE"), 404, "not_found")


def test_refusals_name_the_field_and_record_nothing(client: Any) -> None:
    _, contact = setup(client)
    other = create_partner(client, name="Other Ltd", code="OTHER")
    before = audit_count(client)
    cases = [
        ({"type": "NOPE"}, ["body", "type"]),
        ({"contact": other["id"]}, ["body", "contact"]),
        ({"priority": "critical"}, ["body", "priority"]),
        ({"confidentiality": "secret"}, ["body", "confidentiality"]),
        ({"subject": ""}, ["body", "subject"]),
    ]
    for fields, loc in cases:
        body = {"type": "COMPLAINT", "partner": "ACME", "contact": contact, "subject": "Broken", **fields}
        assert error_locs(assert_problem(client.post("/v1/requests", json=body), 422)) == [loc]
    unknown = client.post("/v1/requests", json={"type": "COMPLAINT", "partner": "NOPE", "subject": "x"})
    assert error_locs(assert_problem(unknown, 422)) == [["body", "partner"]]
    rule = {"type": "COMPLAINT", "assign_to": "nobody"}
    assert error_locs(assert_problem(client.post("/v1/requests/routing-rules", json=rule), 422)) == [
        ["body", "assign_to"]
    ]
    assert audit_count(client) == before
    created = open_request(client, contact)
    assert error_locs(assert_problem(client.post(f"/v1/requests/{created['id']}/assign", json={"to": "x"}), 422)) == [
        ["body", "to"]
    ]
    assert_problem(client.post(f"/v1/requests/{created['id']}/status", json={"status": "done"}), 422)
    assert_problem(client.get("/v1/requests/REQ-99999"), 404, "not_found")
    assert_problem(client.post("/v1/requests/REQ-99999/comments", json={"text": "x"}), 404, "not_found")


def test_status_changes_close_reopen_and_final_with_their_history(client: Any) -> None:
    _, contact = setup(client)
    number = open_request(client, contact)["number"]
    tick(client, "2026-01-15T09:00:00Z")
    post(client, f"/v1/requests/{number}/status", {"status": "in_progress"}, 200)
    post(client, f"/v1/requests/{number}/assign", {"to": "luca"}, 200)
    tick(client, "2026-01-16T11:00:00Z")
    closed = post(client, f"/v1/requests/{number}/status", {"status": "closed", "resolution": "Shelf replaced"}, 200)
    assert (closed["status"], closed["closed_at"], closed["resolution"]) == (
        "closed",
        "2026-01-16T11:00:00Z",
        "Shelf replaced",
    )
    assert (closed["due_state"], closed["next_action_at"]) == ("scheduled", None)
    tick(client, "2026-01-16T12:00:00Z")
    reopened = post(client, f"/v1/requests/{number}/status", {"status": "open"}, 200)
    assert (reopened["status"], reopened["closed_at"], reopened["next_action_at"]) == (
        "open",
        None,
        "2026-01-17T00:00:00Z",
    )
    post(client, f"/v1/requests/{number}/status", {"status": "closed"}, 200)
    final = post(client, f"/v1/requests/{number}/status", {"status": "final"}, 200)
    assert (final["status"], final["closed_at"], final["resolution"]) == (
        "final",
        "2026-01-16T12:00:00Z",
        "Shelf replaced",
    )
    assert [(h["by"], h["field"], h["old"], h["new"]) for h in final["history"]] == [
        ("admin", "status", None, "open"),
        ("admin", "assignee", None, "anna"),
        ("admin", "status", "open", "in_progress"),
        ("admin", "assignee", "anna", "luca"),
        ("admin", "status", "in_progress", "closed"),
        ("admin", "resolution", None, "Shelf replaced"),
        ("admin", "status", "closed", "open"),
        ("admin", "status", "open", "closed"),
        ("admin", "status", "closed", "final"),
    ]
    events = get(client, "/v1/audit/events", stream=final["id"])["items"]
    assert [e["type"] for e in events if e["type"] != "RequestAssigned"] == [
        "RequestOpened",
        "RequestWorkStarted",
        "RequestClosed",
        "RequestReopened",
        "RequestClosed",
        "RequestFinalised",
    ]
    assert events[-1]["data"] == {
        "previous": "closed",
        "resolution": "Shelf replaced",
        "closed_at": "2026-01-16T12:00:00Z",
        "at": "2026-01-16T12:00:00Z",
    }
    before = audit_count(client)
    for path, body in (
        ("status", {"status": "open"}),
        ("status", {"status": "closed"}),
        ("assign", {"to": "anna"}),
        ("comments", {"text": "one more thing"}),
    ):
        assert_problem(client.post(f"/v1/requests/{number}/{path}", json=body), 409, "request_final")
    assert audit_count(client) == before
    # final stops the clock: days later nothing happens to it
    tick(client, "2026-01-25")
    assert request(client, number)["version"] == final["version"]


def test_the_service_level_moments_to_the_second(client: Any) -> None:
    _, contact = setup(client)
    tick(client, "2026-01-15T10:30:00Z")
    created = open_request(client, contact)
    number = created["number"]
    assert (created["due_at"], created["overdue_at"], created["escalate_at"]) == (
        "2026-01-17T10:30:00Z",
        "2026-01-18T10:30:00Z",
        "2026-01-20T10:30:00Z",
    )
    tick(client, "2026-01-17T10:29:59Z")
    assert (request(client, number)["due_state"], request(client, number)["next_action_at"]) == (
        "scheduled",
        "2026-01-17T10:30:00Z",
    )
    tick(client, "2026-01-17T10:30:00Z")
    due = request(client, number)
    assert (due["due_state"], due["next_action_at"]) == ("due", "2026-01-18T10:30:00Z")
    assert changes(due, "due_state") == [("2026-01-17T10:30:00Z", "due_state", "scheduled", "due")]
    assert due["history"][-1]["by"] == "process:requests"
    tick(client, "2026-01-17T10:30:01Z")
    assert request(client, number)["due_state"] == "due"
    assert [r["number"] for r in get(client, "/v1/requests", due_state="due")["items"]] == [number]
    assert get(client, "/v1/requests", due_state="overdue,scheduled")["items"] == []
    tick(client, "2026-01-18T10:29:59Z")
    assert request(client, number)["due_state"] == "due"
    tick(client, "2026-01-18T10:30:00Z")
    overdue = request(client, number)
    assert (overdue["due_state"], overdue["next_action_at"], overdue["escalated"]) == (
        "overdue",
        "2026-01-20T10:30:00Z",
        False,
    )
    assert messages(client, created["id"]) == [
        ("carl@acme.example", "[REQ-00001] Broken shelf"),
        ("anna@example.com", "[REQ-00001] Overdue: Broken shelf"),
    ]


def test_one_alert_a_day_escalation_to_the_supervisor_and_closing_stops_it(client: Any) -> None:
    _, contact = setup(client)
    tick(client, "2026-01-15T10:30:00Z")
    created = open_request(client, contact)
    # one tick across ten days stops at every service-level moment on the way
    tick(client, "2026-01-25T12:00:00Z")
    detail = request(client, created["number"])
    assert (detail["due_state"], detail["escalated"], detail["assignee"], detail["next_action_at"]) == (
        "overdue",
        True,
        "boss",
        None,
    )
    assert changes(detail, "due_state", "escalated", "assignee") == [
        ("2026-01-15T10:30:00Z", "assignee", None, "anna"),
        ("2026-01-17T10:30:00Z", "due_state", "scheduled", "due"),
        ("2026-01-18T10:30:00Z", "due_state", "due", "overdue"),
        ("2026-01-20T10:30:00Z", "escalated", "false", "true"),
        ("2026-01-20T10:30:00Z", "assignee", "anna", "boss"),
    ]
    # alerts: when it became overdue, then at each day start (06:00): anna until she was
    # replaced, then her supervisor
    assert changes(detail, "overdue_alert") == [
        ("2026-01-18T10:30:00Z", "overdue_alert", None, "anna"),
        ("2026-01-19T06:00:00Z", "overdue_alert", None, "anna"),
        ("2026-01-20T06:00:00Z", "overdue_alert", None, "anna"),
        ("2026-01-21T06:00:00Z", "overdue_alert", None, "boss"),
        ("2026-01-22T06:00:00Z", "overdue_alert", None, "boss"),
        ("2026-01-23T06:00:00Z", "overdue_alert", None, "boss"),
        ("2026-01-24T06:00:00Z", "overdue_alert", None, "boss"),
        ("2026-01-25T06:00:00Z", "overdue_alert", None, "boss"),
    ]
    sent = messages(client, created["id"])
    assert sent.count(("anna@example.com", "[REQ-00001] Overdue: Broken shelf")) == 3
    assert sent.count(("boss@example.com", "[REQ-00001] Overdue: Broken shelf")) == 5
    assert sent.count(("boss@example.com", "[REQ-00001] Escalated to you: Broken shelf")) == 1
    assert [r["number"] for r in get(client, "/v1/requests", assignee="boss", due_state="overdue")["items"]] == [
        "REQ-00001"
    ]
    closed = post(client, f"/v1/requests/{created['number']}/status", {"status": "closed"}, 200)
    tick(client, "2026-01-28")
    after = request(client, created["number"])
    assert (after["due_state"], after["next_action_at"], after["version"]) == ("overdue", None, closed["version"])
    assert len(messages(client, created["id"])) == len(sent)
    assert get(client, "/v1/requests", status="open,in_progress")["items"] == []


def test_a_request_without_a_supervisor_or_alerts_escalates_quietly(client: Any) -> None:
    _, contact = setup(client)
    post(client, "/v1/users", {"username": "solo", "name": "Solo", "email": "solo@example.com"})
    quiet = {"code": "QUIET", "name": "Quiet", "due_days": 0, "escalate_after_days": 0, "alert_when_overdue": False}
    post(client, "/v1/request-types", {**quiet, "assign_to": "solo"})
    created = open_request(client, contact, type="QUIET")
    # due days 0 and no tolerance: overdue at once, escalated at once (solo has no supervisor)
    assert (created["due_state"], created["escalated"], created["assignee"], created["next_action_at"]) == (
        "overdue",
        True,
        "solo",
        None,
    )
    tick(client, "2026-01-18")
    assert [to for to, _ in messages(client, created["id"])] == ["carl@acme.example"]


def test_comments_public_ones_reach_the_contact_internal_ones_never(client: Any) -> None:
    _, contact = setup(client)
    number = open_request(client, contact)["number"]
    public = post(client, f"/v1/requests/{number}/comments", {"text": "A technician comes on Monday."})
    internal = post(
        client,
        f"/v1/requests/{number}/comments",
        {"text": "SECRET: they overloaded the shelf", "visibility": "internal"},
    )
    assert [(c["author"], c["text"], c["visibility"], c["source"]) for c in internal["comments"]] == [
        ("admin", "A technician comes on Monday.", "public", "api"),
        ("admin", "SECRET: they overloaded the shelf", "internal", "api"),
    ]
    assert public["comments"][0]["at"] == "2026-01-15T00:00:00Z"
    mails = get(client, "/v1/messages", request=internal["id"])["items"]
    assert [(m["to"], m["subject"]) for m in reversed(mails)] == [
        ("carl@acme.example", "[REQ-00001] Broken shelf"),
        ("carl@acme.example", "[REQ-00001] Broken shelf"),
    ]
    assert "A technician comes on Monday." in mails[0]["body"]
    everything = get(client, "/v1/messages", limit=500)["items"]
    assert not [m for m in everything if "SECRET" in m["body"] or "SECRET" in m["subject"]]
    # the customer's view (the portal's): public comments only, status changes only
    queries = RequestQueries(client.app.state.container.catalog)
    now = client.app.state.container.clock.now()
    seen = queries.get(number, now, public_only=True)
    assert [c["text"] for c in seen["comments"]] == ["A technician comes on Monday."]
    assert [h["field"] for h in seen["history"]] == ["status"]
    assert [r["number"] for r in queries.search(PageRequest(), now, public_only=True)["items"]] == [number]
    # and the portal, which shows the customer that view
    token = post(client, "/v1/portal/tokens", {"partner": "ACME", "contact": contact})["token"]
    portal = client.get(f"/v1/portal/requests/{number}", headers={"Authorization": f"Bearer {token}"})
    assert portal.status_code == 200, portal.text
    assert "A technician comes on Monday." in portal.text and "SECRET" not in portal.text


def test_confidential_requests_stay_out_of_the_customers_view(client: Any) -> None:
    partner, contact = setup(client)
    secret = open_request(client, contact, "Legal matter", confidentiality="confidential")
    plain = open_request(client, contact, "Broken door")
    queries = RequestQueries(client.app.state.container.catalog)
    now = client.app.state.container.clock.now()
    ids = [partner["id"]]
    assert [r["number"] for r in queries.search(PageRequest(), now, ids, public_only=True)["items"]] == [
        plain["number"]
    ]
    for ref in (secret["number"], secret["id"]):
        with pytest.raises(NotFound):
            queries.get(ref, now, public_only=True, partner_ids=ids)
    with pytest.raises(NotFound):
        queries.get(plain["number"], now, public_only=True, partner_ids=[str(UUID(int=1))])
    assert request(client, secret["number"])["confidentiality"] == "confidential"


@pytest.mark.postgres
def test_lists_filter_and_the_profile_and_timeline_show_requests(client: Any) -> None:
    partner, contact = setup(client)
    other = create_partner(client, name="Other Ltd", code="OTHER")
    first = open_request(client, contact)
    second = open_request(client, contact, "Wrong invoice total")
    post(client, f"/v1/requests/{second['number']}/status", {"status": "closed", "resolution": "Credited"}, 200)
    third = post(client, "/v1/requests", {"type": "COMPLAINT", "partner": "OTHER", "subject": "Late delivery"})
    numbers = lambda **f: [r["number"] for r in get(client, "/v1/requests", **f)["items"]]  # noqa: E731
    assert numbers() == ["REQ-00003", "REQ-00002", "REQ-00001"]
    assert numbers(partner="ACME") == ["REQ-00002", "REQ-00001"]
    assert numbers(partner=other["id"]) == ["REQ-00003"]
    assert numbers(status="closed") == ["REQ-00002"]
    assert numbers(assignee="anna") == ["REQ-00003", "REQ-00001"]
    assert numbers(due_state="scheduled", limit=1) == ["REQ-00003"]
    assert_problem(client.get("/v1/requests", params={"due_state": "late"}), 422)
    profile = get(client, "/v1/partners/ACME/profile")
    assert profile["open_requests"] == [
        {
            "id": first["id"],
            "number": "REQ-00001",
            "type": "COMPLAINT",
            "subject": "Broken shelf",
            "status": "open",
            "priority": "urgent",
            "assignee": "anna",
            "due_state": "scheduled",
            "next_action_at": "2026-01-17T00:00:00Z",
        }
    ]
    timeline = get(client, f"/v1/partners/{partner['id']}/timeline", kind="request")["items"]
    assert [t["summary"] for t in timeline] == [
        'Request REQ-00001 opened (COMPLAINT, urgent): "Broken shelf"',
        'Request REQ-00002 opened (COMPLAINT, urgent): "Wrong invoice total"',
        "Request REQ-00002 closed: Credited",
    ]
    assert third["partner"] == other["id"]


def test_a_document_and_custom_fields_belong_to_the_request(client: Any) -> None:
    _, contact = setup(client)
    post(client, "/v1/custom-fields", {"entity": "request", "code": "batch", "label": "Batch", "type": "string"})
    create_partner(client, name="Other Ltd", code="OTHER")
    invoice = post(client, "/v1/documents", {"type": "invoice", "partner": "ACME", "lines": [_line()]})
    issued = post(client, f"/v1/documents/{invoice['id']}/issue", {}, 200)
    created = open_request(client, contact, document=issued["number"], custom_fields={"batch": "B-7"})
    assert (created["document"], created["custom_fields"]) == (invoice["id"], {"batch": "B-7"})
    foreign = post(client, "/v1/documents", {"type": "invoice", "partner": "OTHER", "lines": [_line()]})
    body = {"type": "COMPLAINT", "partner": "ACME", "subject": "x", "document": foreign["id"]}
    assert error_locs(assert_problem(client.post("/v1/requests", json=body), 422)) == [["body", "document"]]
    body = {"type": "COMPLAINT", "partner": "ACME", "subject": "x", "custom_fields": {"nope": 1}}
    assert_problem(client.post("/v1/requests", json=body), 422)


def _line() -> dict[str, Any]:
    return {"product": "SHELF", "quantity": "1", "unit_price": "100.00"}


def test_a_partner_without_e_mail_gets_no_acknowledgement_and_the_process_goes_on(client: Any) -> None:
    setup(client)
    create_partner(client, name="Silent Ltd", code="SILENT")
    created = post(client, "/v1/requests", {"type": "COMPLAINT", "partner": "SILENT", "subject": "No mail"})
    assert messages(client, created["id"]) == []
    tick(client, "2026-01-17T00:00:00Z")
    assert changes(request(client, created["id"]), "due_state") == [
        ("2026-01-17T00:00:00Z", "due_state", "scheduled", "due")
    ]


def test_the_requests_read_model_rebuilds_to_the_same_rows(sqlite_client: Any) -> None:
    client = sqlite_client
    _, contact = setup(client)
    number = open_request(client, contact)["number"]
    post(client, f"/v1/requests/{number}/comments", {"text": "Internal note", "visibility": "internal"})
    tick(client, "2026-01-21T12:00:00Z")
    post(client, f"/v1/requests/{number}/status", {"status": "closed", "resolution": "Done"}, 200)
    problems = verify_all(client.app.state.container, Progress(disable=True))
    assert [p for p in problems if p.startswith(("requests.", "timeline.", "partner_directory."))] == []


def test_an_old_stream_of_status_changes_reads_as_before_everywhere(sqlite_client: Any) -> None:
    """Streams recorded before each transition had its own event hold RequestStatusChanged: the
    request, its history, the timeline, the audit replay and the portal read them, a rebuild gives
    the same rows, and the stream goes on with the named events."""
    client = sqlite_client
    container = client.app.state.container
    partner, contact = setup(client)
    created = open_request(client, contact)
    tick(client, "2026-01-16T11:00:00Z")
    at, later = datetime(2026, 1, 16, 11, tzinfo=UTC), datetime(2026, 1, 16, 12, tzinfo=UTC)
    meta = EventMeta(actor="admin", business_date=date(2026, 1, 16), business_time=at)
    old = [
        RequestStatusChanged(
            originator_id=UUID(created["id"]),
            originator_version=created["version"] + n,
            timestamp=when,
            meta=meta,
            status=status,
            previous=previous,
            resolution="Shelf replaced",
            closed_at=closed_at,
            at=when,
        )
        for n, (status, previous, closed_at, when) in enumerate(
            [
                (RequestStatus.CLOSED, RequestStatus.OPEN, at, at),
                (RequestStatus.IN_PROGRESS, RequestStatus.CLOSED, None, later),
            ],
            start=1,
        )
    ]
    assert container.runner.wait(container.store.save(old), 10)
    tick(client, "2026-01-16T12:00:00Z")
    reopened = request(client, created["number"])
    assert (reopened["status"], reopened["resolution"], reopened["closed_at"], reopened["next_action_at"]) == (
        "in_progress",
        "Shelf replaced",
        None,
        "2026-01-17T00:00:00Z",
    )
    post(client, f"/v1/requests/{created['number']}/status", {"status": "final"}, 200)
    expected = [
        ("2026-01-15T00:00:00Z", "status", None, "open"),
        ("2026-01-15T00:00:00Z", "assignee", None, "anna"),
        ("2026-01-16T11:00:00Z", "status", "open", "closed"),
        ("2026-01-16T11:00:00Z", "resolution", None, "Shelf replaced"),
        ("2026-01-16T12:00:00Z", "status", "closed", "in_progress"),
        ("2026-01-16T12:00:00Z", "status", "in_progress", "final"),
    ]
    detail = request(client, created["number"])
    assert [(h["at"], h["field"], h["old"], h["new"]) for h in detail["history"]] == expected
    assert {h["by"] for h in detail["history"]} == {"admin"}
    token = post(client, "/v1/portal/tokens", {"partner": partner["id"], "contact": contact})["token"]
    portal = client.get(f"/v1/portal/requests/{created['id']}", headers={"Authorization": f"Bearer {token}"})
    assert portal.status_code == 200, portal.text
    customer_view = [h for h in expected if h[1] in ("status", "resolution")]
    assert [(h["at"], h["field"], h["old"], h["new"]) for h in portal.json()["history"]] == customer_view
    timeline = get(client, f"/v1/partners/{partner['id']}/timeline", kind="request")["items"]
    assert [t["summary"] for t in timeline] == [
        'Request REQ-00001 opened (COMPLAINT, urgent): "Broken shelf"',
        "Request REQ-00001 closed: Shelf replaced",
        "Request REQ-00001 reopened and in progress",
        "Request REQ-00001 made final: Shelf replaced",
    ]
    replayed = get(client, f"/v1/audit/streams/{created['id']}")
    assert [e["type"] for e in replayed["events"]][-3:] == [
        "RequestStatusChanged",
        "RequestStatusChanged",
        "RequestFinalised",
    ]
    assert {k: replayed["state"][k] for k in ("status", "resolution", "closed_at")} == {
        "status": "final",
        "resolution": "Shelf replaced",
        "closed_at": "2026-01-16T12:00:00Z",
    }
    problems = verify_all(container, Progress(disable=True))
    assert [p for p in problems if p.startswith(("requests.", "timeline.", "partner_directory."))] == []
