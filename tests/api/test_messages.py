"""/v1/messages: every outgoing message with its exact text, filtered by partner, channel, purpose,
case, request, campaign and status; the PDF of a letter; messages in the partner's timeline."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from aggregates.base import natural_id
from commands.messages import QueueMessage, queue_message
from services.adapters.transports import Transports
from services.bootstrap.container import Container
from services.workers.sender import Sender
from tests.api.helpers import assert_problem, create_partner

TEMPLATES = [
    {
        "code": "R1",
        "channel": "email",
        "purpose": "collection",
        "subject": "Reminder for {{ partner.name }}",
        "body": "Dear {{ contact.name }},\nplease pay {{ total }}.\n",
        "is_default": True,
    },
    {"code": "S1", "channel": "sms", "purpose": "collection", "body": "Please pay {{ total }}", "is_default": True},
    {
        "code": "L1",
        "channel": "letter",
        "purpose": "collection",
        "subject": "Reminder",
        "body": "<p>Dear {{ partner.name }}, please pay {{ total }}.</p>",
        "is_default": True,
    },
    {
        "code": "W1",
        "channel": "email",
        "purpose": "general",
        "subject": "Welcome",
        "body": "Welcome, {{ partner.name }}!",
    },
]


def setup(client: Any) -> tuple[dict[str, Any], str]:
    partner = create_partner(client, name="Acme & Co", code="ACME", email="office@acme.test")
    response = client.post(
        "/v1/partners/ACME/contacts", json={"name": "Jane Doe", "email": "jane@acme.test", "mobile": "+431"}
    )
    assert response.status_code == 201, response.text
    for template in TEMPLATES:
        assert client.post("/v1/templates", json=template).status_code == 201
    return partner, response.json()["id"]


def container_of(client: Any) -> Container:
    return client.app.state.container  # type: ignore[no-any-return]


def send_all(client: Any) -> None:
    """What the sender thread does in a serving process, with the default (outbox) transports."""
    c = container_of(client)
    c.runner.drain()
    Sender(c.ports, Transports.from_settings(c.settings.data_dir, None, None)).run_once()
    c.runner.drain()


@pytest.mark.postgres
def test_a_message_is_rendered_queued_and_sent(client: Any) -> None:
    partner, contact = setup(client)
    response = client.post(
        "/v1/messages",
        json={
            "channel": "email",
            "purpose": "collection",
            "partner": "ACME",
            "contact": contact,
            "variables": {"total": "40.00"},
        },
    )
    assert response.status_code == 201, response.text
    queued = response.json()
    assert {k: queued[k] for k in ("channel", "to", "template", "template_version", "subject", "body", "status")} == {
        "channel": "email",
        "to": "jane@acme.test",
        "template": "R1",
        "template_version": 1,
        "subject": "Reminder for Acme & Co",
        "body": "Dear Jane Doe,\nplease pay 40.00.\n",
        "status": "queued",
    }
    assert queued["partner"] == partner["id"] and queued["contact"] == contact
    assert queued["pdf"] is None and queued["sent_at"] is None and queued["attempts"] == 0
    assert queued["documents"] == [] and queued["fallback_from"] is None and queued["purpose"] == "collection"

    send_all(client)
    sent = client.get(f"/v1/messages/{queued['id']}").json()
    assert sent["status"] == "sent" and sent["sent_at"] == "2026-01-15T00:00:00Z" and sent["attempts"] == 1
    assert sent["body"] == queued["body"]

    timeline = client.get("/v1/partners/ACME/timeline", params={"kind": "message"}).json()["items"]
    assert [e["summary"] for e in timeline] == [
        'E-mail R1 "Reminder for Acme & Co" queued for jane@acme.test',
        'E-mail R1 "Reminder for Acme & Co" sent',
    ]
    assert {e["ref"] for e in timeline} == {queued["id"]}


def queue(client: Any, n: int, partner: str, **fields: Any) -> str:
    message_id = natural_id("api-test-message", n)
    fields.setdefault("purpose", "collection")
    command = QueueMessage(id=message_id, partner=UUID(partner), variables={"total": "1.00"}, **fields)
    container_of(client).execute(queue_message, command)
    return str(message_id)


def ids(client: Any, **params: Any) -> list[str]:
    container_of(client).runner.drain()
    response = client.get("/v1/messages", params=params)
    assert response.status_code == 200, response.text
    return [m["id"] for m in response.json()["items"]]


@pytest.mark.postgres
def test_the_list_filters(client: Any) -> None:
    partner, contact = setup(client)
    other = create_partner(client, name="Other", email="x@other.test")
    case_a, case_b = str(natural_id("case", "a")), str(natural_id("case", "b"))
    request = str(natural_id("request", 1))
    email = queue(client, 1, partner["id"], channel="email", contact=UUID(contact), cases=[UUID(case_a), UUID(case_b)])
    sms = queue(client, 2, partner["id"], channel="sms", contact=UUID(contact), cases=[UUID(case_a)])
    letter = queue(client, 3, partner["id"], channel="letter", fallback_from="email")
    welcome = queue(client, 4, partner["id"], channel="email", template="W1", purpose="general", request=UUID(request))
    elsewhere = queue(client, 5, other["id"], channel="email", template="W1", campaign="SPRING")

    assert ids(client) == [elsewhere, welcome, letter, sms, email]  # newest first
    assert ids(client, partner="ACME") == [welcome, letter, sms, email]
    assert ids(client, partner=other["id"]) == [elsewhere]
    assert ids(client, channel="email") == [elsewhere, welcome, email]
    assert ids(client, channel="sms,letter") == [letter, sms]
    assert ids(client, purpose="general") == [welcome]
    assert ids(client, case=case_a) == [sms, email]
    assert ids(client, case=case_b) == [email]
    assert ids(client, request=request) == [welcome]
    assert ids(client, campaign="SPRING") == [elsewhere]
    assert ids(client, partner="ACME", channel="email", purpose="collection") == [email]
    assert ids(client, status="queued") == ids(client)
    send_all(client)
    assert ids(client, status="queued") == []
    assert ids(client, status="sent,failed") == ids(client)

    page = client.get("/v1/messages", params={"limit": 2}).json()
    assert [m["id"] for m in page["items"]] == [elsewhere, welcome]
    rest = client.get("/v1/messages", params={"limit": 2, "cursor": page["next_cursor"]}).json()
    assert [m["id"] for m in rest["items"]] == [letter, sms]

    detail = client.get(f"/v1/messages/{letter}").json()
    assert detail["fallback_from"] == "email" and detail["channel"] == "letter"
    assert detail["to"] == "Acme & Co"  # no contact, no address: the name alone
    assert client.get(f"/v1/messages/{email}").json()["cases"] == [case_a, case_b]
    assert_problem(client.get("/v1/messages", params={"partner": "NOPE"}), 404)
    assert_problem(client.get("/v1/messages", params={"case": "not-a-uuid"}), 422)


def test_a_letter_has_its_pdf_once_rendered(client: Any) -> None:
    setup(client)
    response = client.post(
        "/v1/messages",
        json={"channel": "letter", "purpose": "collection", "partner": "ACME", "variables": {"total": "<b>9</b>"}},
    )
    assert response.status_code == 201, response.text
    letter = response.json()
    assert letter["body"] == "<p>Dear Acme &amp; Co, please pay &lt;b&gt;9&lt;/b&gt;.</p>"  # values are escaped in HTML
    assert letter["pdf"] is None
    assert_problem(client.get(f"/v1/messages/{letter['id']}/pdf"), 404, "not_found")

    send_all(client)
    letter = client.get(f"/v1/messages/{letter['id']}").json()
    assert letter["status"] == "sent" and letter["pdf"] == f"/v1/messages/{letter['id']}/pdf"
    response = client.get(letter["pdf"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    outbox = container_of(client).settings.data_dir / "outbox" / f"{letter['id']}.pdf"
    assert outbox.read_bytes() == response.content

    email = client.post("/v1/messages", json={"channel": "email", "partner": "ACME", "template": "W1"}).json()
    send_all(client)
    assert client.get(f"/v1/messages/{email['id']}").json()["pdf"] is None
    assert_problem(client.get(f"/v1/messages/{email['id']}/pdf"), 404)
    assert_problem(client.get(f"/v1/messages/{natural_id('nothing')}/pdf"), 404)
    assert_problem(client.get("/v1/messages/not-an-id"), 404)


def test_an_email_with_an_attached_letter(sqlite_client: Any) -> None:
    _, contact = setup(sqlite_client)
    body = {
        "contact": contact,
        "channel": "email",
        "partner": "ACME",
        "purpose": "collection",
        "attach_letter": "L1",
        "variables": {"total": "5.00"},
    }
    message = sqlite_client.post("/v1/messages", json=body).json()
    assert message["attach_letter"] == "L1"
    send_all(sqlite_client)
    message = sqlite_client.get(f"/v1/messages/{message['id']}").json()
    assert message["status"] == "sent" and message["pdf"]
    assert sqlite_client.get(message["pdf"]).content.startswith(b"%PDF")


def test_what_cannot_be_sent_is_refused(sqlite_client: Any) -> None:
    _, contact = setup(sqlite_client)
    create_partner(sqlite_client, name="Silent", code="SILENT")
    refusals = [
        ({"channel": "email", "partner": "SILENT", "template": "W1"}, 409, "no_email"),
        ({"channel": "sms", "partner": "ACME", "purpose": "general", "contact": contact}, 409, "template_missing"),
        ({"channel": "sms", "partner": "ACME", "template": "S1"}, 409, "no_mobile"),
        ({"channel": "sms", "partner": "ACME", "template": "R1", "contact": contact}, 409, "template_channel_mismatch"),
        ({"channel": "email", "partner": "ACME", "purpose": "collection"}, 409, "template_render_failed"),
        ({"channel": "sms", "partner": "ACME", "attach_letter": "L1"}, 422, "validation_error"),
        (
            {"channel": "email", "partner": "ACME", "template": "W1", "variables": {"partner": 1}},
            422,
            "validation_error",
        ),
        ({"channel": "fax", "partner": "ACME"}, 422, "validation_error"),
        ({"channel": "email", "partner": "ACME", "cases": []}, 422, "validation_error"),
    ]
    for body, status, code in refusals:
        assert_problem(sqlite_client.post("/v1/messages", json=body), status, code)
    assert ids(sqlite_client) == []
