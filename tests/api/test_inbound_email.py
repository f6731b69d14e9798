"""/v1/inbound/email: a reply tagged with a request's number is threaded into it as a public
comment (a closed request reopens), a known sender's other mail opens a request of the default
type, an unknown sender is refused with nothing recorded, and the same Message-ID twice records
nothing new."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.helpers import assert_problem, audit_count, create_partner
from tests.api.test_requests import messages, open_request, post, request, setup


def mail(client: Any, sender: str, subject: str, body: str, message_id: str, status: int = 200) -> dict[str, Any]:
    body_ = {"from": sender, "subject": subject, "body": body, "message_id": message_id}
    return post(client, "/v1/inbound/email", body_, status)


def test_a_tagged_reply_becomes_a_public_comment_once(client: Any) -> None:
    _, contact = setup(client)
    created = open_request(client, contact)
    answer = mail(client, "Carl@ACME.example", "Re: [REQ-00001] Broken shelf", "It is still broken.", "<a1@acme>")
    assert (answer["message_id"], answer["action"], answer["ref"], answer["duplicate"]) == (
        "<a1@acme>",
        "commented",
        created["id"],
        False,
    )
    (comment,) = answer["request"]["comments"]
    assert (comment["author"], comment["text"], comment["visibility"], comment["source"]) == (
        "Carl@ACME.example",
        "It is still broken.",
        "public",
        "email",
    )
    # the customer's own comment is not mailed back to the customer
    assert messages(client, created["id"]) == [("carl@acme.example", "[REQ-00001] Broken shelf")]
    before = audit_count(client)
    again = mail(client, "carl@acme.example", "Re: [REQ-00001] Broken shelf", "It is still broken.", "<a1@acme>")
    assert (again["action"], again["ref"], again["duplicate"]) == ("commented", created["id"], True)
    assert audit_count(client) == before
    assert len(request(client, created["id"])["comments"]) == 1


def test_an_unknown_sender_is_refused_and_nothing_is_recorded(client: Any) -> None:
    setup(client)
    open_request(client, None)
    before = audit_count(client)
    for subject in ("Hello", "Re: [REQ-00001] Broken shelf"):
        body = {"from": "stranger@example.org", "subject": subject, "body": "Hi", "message_id": f"<{subject}>"}
        problem = assert_problem(client.post("/v1/inbound/email", json=body), 422, "unknown_sender")
        assert problem["errors"] == [
            {"loc": ["body", "from"], "msg": "stranger@example.org is not the e-mail address of a known contact"}
        ]
    assert audit_count(client) == before
    assert request(client, "REQ-00001")["comments"] == []


@pytest.mark.postgres
def test_a_known_senders_mail_opens_a_request_and_is_acknowledged(client: Any) -> None:
    partner, contact = setup(client)
    answer = mail(client, "carl@acme.example", "Shelf delivery", "When does it come?", "<n1@acme>")
    opened = answer["request"]
    assert (answer["action"], opened["number"], opened["type"], opened["source"]) == (
        "opened",
        "REQ-00001",
        "COMPLAINT",
        "email",
    )
    assert (opened["partner"], opened["contact"], opened["subject"], opened["description"]) == (
        partner["id"],
        contact,
        "Shelf delivery",
        "When does it come?",
    )
    assert (opened["assignee"], opened["priority"]) == ("anna", "urgent")
    assert messages(client, opened["id"]) == [("carl@acme.example", "[REQ-00001] Shelf delivery")]
    # the partner's own address opens one without a contact; an empty subject gets a placeholder
    own = mail(client, "office@acme.example", "", "Please call us.", "<n2@acme>")["request"]
    assert (own["contact"], own["subject"], own["description"]) == (None, "(no subject)", "Please call us.")


def test_a_reply_reopens_a_closed_request_and_a_final_one_gets_a_new_request(client: Any) -> None:
    _, contact = setup(client)
    number = open_request(client, contact)["number"]
    post(client, f"/v1/requests/{number}/status", {"status": "closed", "resolution": "Replaced"}, 200)
    reopened = mail(client, "carl@acme.example", f"Re: [{number}] Broken shelf", "Broken again.", "<r1@acme>")
    assert (reopened["action"], reopened["request"]["status"], reopened["request"]["closed_at"]) == (
        "commented",
        "open",
        None,
    )
    assert [(h["by"], h["field"], h["new"]) for h in reopened["request"]["history"]][-2:] == [
        ("admin", "comment", "public"),
        ("admin", "status", "open"),
    ]
    post(client, f"/v1/requests/{number}/status", {"status": "final"}, 200)
    fresh = mail(client, "carl@acme.example", f"Re: [{number}] Broken shelf", "And again.", "<r2@acme>")
    assert (fresh["action"], fresh["request"]["number"], fresh["request"]["subject"]) == (
        "opened",
        "REQ-00002",
        f"Re: [{number}] Broken shelf",
    )
    assert request(client, number)["comments"][-1]["text"] == "Broken again."


def test_a_tag_of_another_partners_request_is_not_threaded(client: Any) -> None:
    _, contact = setup(client)
    other = create_partner(client, name="Other Ltd", code="OTHER")
    post(client, "/v1/partners/OTHER/contacts", {"name": "Olga Other", "email": "olga@other.example"})
    number = open_request(client, contact)["number"]
    answer = mail(client, "olga@other.example", f"Re: [{number}] Broken shelf", "Me too.", "<o1@other>")
    assert (answer["action"], answer["request"]["partner"], answer["request"]["number"]) == (
        "opened",
        other["id"],
        "REQ-00002",
    )
    assert request(client, number)["comments"] == []


def test_without_request_types_a_known_senders_mail_is_refused(client: Any) -> None:
    create_partner(client, name="Acme Ltd", code="ACME", email="office@acme.example")
    before = audit_count(client)
    body = {"from": "office@acme.example", "subject": "Hello", "body": "Hi", "message_id": "<x@acme>"}
    assert_problem(client.post("/v1/inbound/email", json=body), 409, "no_request_type")
    assert audit_count(client) == before
