"""/v1/interest-areas and /v1/mailings on both stores: subscribing, opting out and back in, a
mailing to areas, groups, tags, partners and documents' partners with every skip reason, the
recipients' statuses through the sender, the tracking image, the unsubscribe link (without a
key), the opt-out of every mailing, bounces through inbound e-mail, the timeline and profile."""

from __future__ import annotations

import email
import email.policy
import logging
import re
import time
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import pytest

import commands.mailings as mailings
from aggregates.message import Message
from commands.context import CommandContext
from commands.mailings import recognise_bounce
from commands.messages import QueueMessage
from tests.api.helpers import assert_problem, create_campaigns, create_partner, error_locs, role_headers
from tests.api.test_messages import container_of, send_all

TEMPLATE = {
    "code": "NEWS-MAIL",
    "channel": "email",
    "purpose": "campaign",
    "subject": "News for {{ partner.name }}",
    "body": "Hello {{ contact.name }},\nour news.\nUnsubscribe: {{ unsubscribe_url }}\n",
}
TODAY = "2026-01-15"


def contact(client: Any, partner: str, name: str, **fields: Any) -> str:
    response = client.post(f"/v1/partners/{partner}/contacts", json={"name": name, **fields})
    assert response.status_code == 201, response.text
    return response.json()["id"]  # type: ignore[no-any-return]


def subscribe(client: Any, area: str, contact_id: str) -> dict[str, Any]:
    response = client.post(f"/v1/interest-areas/{area}/subscriptions", json={"contact": contact_id})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def world(client: Any) -> dict[str, str]:
    """Partners A (group RETAIL), B (tag vip), C (neither) with contacts of every kind, and the
    area NEWS with subscribers."""
    assert client.post("/v1/partner-groups", json={"code": "RETAIL", "name": "Retail"}).status_code == 201
    create_partner(client, name="Alpha", code="A", group="RETAIL")
    create_partner(client, name="Beta", code="B", tags=["vip"])
    create_partner(client, name="Gamma", code="C")
    ids = {
        "a1": contact(client, "A", "Ann", email="ann@alpha.test"),
        "a2": contact(client, "A", "Abe"),
        "a3": contact(client, "A", "Ada", email="ada@alpha.test", active=False),
        "a4": contact(client, "A", "Al", email="ANN@alpha.test"),
        "b1": contact(client, "B", "Bob", email="bob@beta.test"),
        "b2": contact(client, "B", "Bea", email="bea@beta.test"),
        "c1": contact(client, "C", "Cy", email="cy@gamma.test"),
        "c2": contact(client, "C", "Cleo", email="cleo@gamma.test"),
    }
    response = client.post("/v1/interest-areas", json={"code": "NEWS", "name": "Newsletter", "self_service": True})
    assert response.status_code == 201, response.text
    for key in ("a1", "c1", "c2"):
        subscribe(client, "NEWS", ids[key])
    assert client.delete(f"/v1/interest-areas/NEWS/subscriptions/{ids['c2']}").status_code == 200
    response = client.post(f"/v1/partners/B/contacts/{ids['b1']}/opt-out")
    assert response.status_code == 200, response.text
    assert client.post("/v1/templates", json=TEMPLATE).status_code == 201
    return ids


def send(client: Any, **body: Any) -> dict[str, Any]:
    response = client.post("/v1/mailings", json={"template": "NEWS-MAIL", **body})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def recipients(client: Any, mailing: str) -> dict[str, dict[str, Any]]:
    response = client.get(f"/v1/mailings/{mailing}/recipients")
    assert response.status_code == 200, response.text
    return {r["contact"]: r for r in response.json()["items"]}


def messages(client: Any, mailing_campaign: str | None = None) -> list[dict[str, Any]]:
    params = {"purpose": "campaign", "limit": 500}
    if mailing_campaign:
        params["campaign"] = mailing_campaign
    response = client.get("/v1/messages", params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


def link(body: str, kind: str) -> str:
    found = re.search(rf"https?://[^\s\"<>]+/{kind}/[^\s\"<>]+", body)
    assert found, body
    return urlsplit(found.group(0)).path


# -- interest areas ------------------------------------------------------------------------------------


def test_subscribe_opt_out_and_subscribe_again(client: Any) -> None:
    create_partner(client, name="Alpha", code="A")
    ann = contact(client, "A", "Ann", email="ann@alpha.test")
    response = client.post("/v1/interest-areas", json={"code": "NEWS", "name": "Newsletter"})
    assert response.status_code == 201, response.text
    assert response.json() == {
        "code": "NEWS",
        "name": "Newsletter",
        "self_service": True,
        "subscribers": 0,
        "created_on": TODAY,
        "version": 1,
    }
    subscribed = subscribe(client, "NEWS", ann)
    assert subscribed["status"] == "subscribed" and subscribed["subscribed_on"] == TODAY
    assert subscribed["partner"] == client.get("/v1/partners/A").json()["id"]
    assert client.get("/v1/interest-areas/NEWS").json()["subscribers"] == 1
    assert subscribe(client, "NEWS", ann)["version"] == 1  # subscribing twice records nothing

    client.post("/v1/clock/ticks", json={"to": "2026-02-01"})
    response = client.delete(f"/v1/interest-areas/NEWS/subscriptions/{ann}")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "opted_out" and response.json()["opted_out_on"] == "2026-02-01"
    assert client.get("/v1/interest-areas/NEWS/subscriptions").json()["items"] == []
    left = client.get("/v1/interest-areas/NEWS/subscriptions", params={"status": "opted_out"}).json()["items"]
    assert [(s["contact"], s["opted_out_on"]) for s in left] == [(ann, "2026-02-01")]

    client.post("/v1/clock/ticks", json={"to": "2026-03-01"})
    again = subscribe(client, "NEWS", ann)
    assert again["status"] == "subscribed" and again["subscribed_on"] == "2026-03-01"
    assert again["opted_out_on"] is None and again["version"] == 3
    listed = client.get("/v1/interest-areas/NEWS/subscriptions").json()["items"]
    assert [s["contact"] for s in listed] == [ann]
    profile = client.get("/v1/partners/A/profile").json()
    assert [(s["area"], s["name"], s["contact"], s["status"]) for s in profile["interest_areas"]] == [
        ("NEWS", "Newsletter", ann, "subscribed")
    ]
    kinds = [
        e["summary"] for e in client.get("/v1/partners/A/timeline", params={"kind": "subscription"}).json()["items"]
    ]
    assert kinds == [
        "Contact subscribed to interest area NEWS",
        "Contact opted out of interest area NEWS",
        "Contact subscribed again to interest area NEWS",
    ]


def test_interest_area_refusals(client: Any) -> None:
    create_partner(client, name="Alpha", code="A")
    ann = contact(client, "A", "Ann", email="ann@alpha.test")
    assert client.post("/v1/interest-areas", json={"code": "NEWS", "name": "News"}).status_code == 201
    assert_problem(
        client.post("/v1/interest-areas", json={"code": "NEWS", "name": "Again"}), 409, "interest_area_exists"
    )
    assert_problem(client.get("/v1/interest-areas/NOPE"), 404, "not_found")
    assert_problem(client.post("/v1/interest-areas/NOPE/subscriptions", json={"contact": ann}), 404)
    body = assert_problem(
        client.post("/v1/interest-areas/NEWS/subscriptions", json={"contact": "00000000-0000-0000-0000-000000000000"}),
        422,
    )
    assert error_locs(body) == [["body", "contact"]]
    assert_problem(client.delete(f"/v1/interest-areas/NEWS/subscriptions/{ann}"), 404)
    assert_problem(client.get("/v1/interest-areas/NEWS/subscriptions", params={"status": "gone"}), 422)
    assert [a["code"] for a in client.get("/v1/interest-areas").json()["items"]] == ["NEWS"]


def test_opting_out_of_every_mailing_and_back(client: Any) -> None:
    create_partner(client, name="Alpha", code="A")
    ann = contact(client, "A", "Ann", email="ann@alpha.test")
    response = client.post(f"/v1/partners/A/contacts/{ann}/opt-out")
    assert response.status_code == 200, response.text
    assert response.json()["opted_out_on"] == TODAY
    assert client.get("/v1/partners/A").json()["contacts"][0]["opted_out_on"] == TODAY
    response = client.delete(f"/v1/partners/A/contacts/{ann}/opt-out")
    assert response.status_code == 200 and "opted_out_on" not in response.json()
    assert "opted_out_on" not in client.get("/v1/partners/A").json()["contacts"][0]
    assert_problem(client.post("/v1/partners/A/contacts/00000000-0000-0000-0000-000000000000/opt-out"), 404)


# -- mailings ----------------------------------------------------------------------------------------


@pytest.mark.postgres
def test_a_mailing_reaches_every_contact_once_and_says_why_it_skips_others(client: Any) -> None:
    ids = world(client)
    mailing = send(client, interest_areas=["NEWS"], groups=["retail"], tags=["vip"])
    assert mailing["recipients"] == 3 and mailing["sent"] == 3
    assert mailing["status"] == "sending"
    assert mailing["counts"] == {"queued": 3, "sent": 0, "read": 0, "unsubscribed": 0, "error": 0}
    skipped = {s["contact"]: s["reason"] for s in mailing["skipped"]}
    # Ann and Al share an address: whichever comes first in the plan gets it, the other is a duplicate.
    first, second = ("a1", "a4") if ids["a1"] in recipients(client, mailing["id"]) else ("a4", "a1")
    assert skipped == {
        ids["a2"]: "no_email",
        ids["a3"]: "inactive",
        ids[second]: "duplicate",
        ids["b1"]: "opted_out",
        ids["c2"]: "opted_out",
    }
    got = recipients(client, mailing["id"])
    assert set(got) == {ids[first], ids["b2"], ids["c1"]}
    assert got[ids["c1"]] == {"contact": ids["c1"], "email": "cy@gamma.test", "status": "queued"}
    assert client.get(f"/v1/mailings/{mailing['id']}").json() == mailing

    queued = messages(client)
    assert len(queued) == 3
    assert {m["subject"] for m in queued} == {"News for Alpha", "News for Beta", "News for Gamma"}
    assert all("/u/" in m["body"] for m in queued)

    send_all(client)
    after = client.get(f"/v1/mailings/{mailing['id']}").json()
    assert after["status"] == "done"
    assert after["counts"] == {"queued": 0, "sent": 3, "read": 0, "unsubscribed": 0, "error": 0}
    assert {r["status"] for r in recipients(client, mailing["id"]).values()} == {"sent"}
    timeline = client.get("/v1/partners/C/timeline", params={"kind": "mailing"}).json()["items"]
    assert [e["summary"] for e in timeline] == [
        "Mailing NEWS-MAIL queued for cy@gamma.test",
        "Mailing NEWS-MAIL skipped a contact: opted_out",
    ]


def test_a_recipient_whose_message_cannot_be_made_is_an_error_and_the_others_are_queued(
    client: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    ids = world(client)
    compose = mailings.compose_message

    def poisoned(cmd: QueueMessage, ctx: CommandContext) -> Message:
        if cmd.contact == UUID(ids["b2"]) and not (cmd.unsubscribe_url or "").endswith("/sample"):
            raise RuntimeError("poisoned for the test")
        return compose(cmd, ctx)

    monkeypatch.setattr(mailings, "compose_message", poisoned)
    with caplog.at_level(logging.ERROR, logger="counterparty.mailings"):
        mailing = send(client, interest_areas=["NEWS"], groups=["retail"], tags=["vip"])
    assert (mailing["recipients"], mailing["sent"], mailing["status"]) == (3, 2, "sending")
    assert mailing["counts"] == {"queued": 2, "sent": 0, "read": 0, "unsubscribed": 0, "error": 1}
    got = recipients(client, mailing["id"])
    assert got[ids["b2"]] == {"contact": ids["b2"], "email": "bea@beta.test", "status": "error"}
    assert got[ids["c1"]]["status"] == "queued" and len(messages(client)) == 2
    (logged,) = [r for r in caplog.records if r.getMessage() == "message not made"]
    assert logged.__dict__["contact"] == ids["b2"] and logged.exc_info is not None
    assert str(logged.exc_info[1]) == "poisoned for the test"


def test_partners_and_documents_partners_and_a_campaign(client: Any) -> None:
    ids = world(client)
    create_campaigns(client, "SPRING")
    client.post("/v1/clock/ticks", json={"to": "2026-01-20"})
    doc = client.post(
        "/v1/documents",
        json={"type": "quote", "partner": "C", "lines": [{"product": "P", "quantity": "1", "unit_price": "10"}]},
    )
    assert doc.status_code == 201, doc.text
    mailing = send(client, partners=["B"], documents=[doc.json()["id"]], campaign="SPRING")
    assert mailing["campaign"] == "SPRING"
    assert set(recipients(client, mailing["id"])) == {ids["b2"], ids["c1"], ids["c2"]}
    assert {s["contact"]: s["reason"] for s in mailing["skipped"]} == {ids["b1"]: "opted_out"}
    assert len(messages(client, "SPRING")) == 3
    assert [m["id"] for m in client.get("/v1/mailings", params={"campaign": "SPRING"}).json()["items"]] == [
        mailing["id"]
    ]


def test_mailing_refusals(client: Any) -> None:
    world(client)
    assert_problem(client.post("/v1/mailings", json={"template": "NEWS-MAIL"}), 422)
    body = assert_problem(client.post("/v1/mailings", json={"template": "NEWS-MAIL", "interest_areas": ["NOPE"]}), 422)
    assert error_locs(body) == [["body", "interest_areas", 0]]
    body = assert_problem(client.post("/v1/mailings", json={"template": "NEWS-MAIL", "partners": ["A", "ZZZ"]}), 422)
    assert error_locs(body) == [["body", "partners", 1]]
    body = assert_problem(client.post("/v1/mailings", json={"template": "NOPE", "groups": ["RETAIL"]}), 422)
    assert error_locs(body) == [["body", "template"]]
    client.post("/v1/templates", json={"code": "SMS1", "channel": "sms", "purpose": "campaign", "body": "Hi"})
    assert_problem(
        client.post("/v1/mailings", json={"template": "SMS1", "groups": ["RETAIL"]}), 409, "template_channel_mismatch"
    )
    client.post(
        "/v1/templates",
        json={"code": "BAD", "channel": "email", "purpose": "campaign", "subject": "x", "body": "{{ nope }}"},
    )
    assert_problem(
        client.post("/v1/mailings", json={"template": "BAD", "groups": ["RETAIL"]}), 409, "template_render_failed"
    )
    assert client.get("/v1/mailings").json()["items"] == []
    assert_problem(client.get("/v1/mailings/00000000-0000-0000-0000-000000000000"), 404)
    assert_problem(client.get("/v1/mailings/nope/recipients"), 404)


@pytest.mark.postgres
def test_links_unsubscribe_track_and_bounce_without_a_key(client: Any) -> None:
    ids = world(client)
    mailing = send(client, interest_areas=["NEWS"], partners=["B"])
    send_all(client)
    by_contact = {m["contact"]: m for m in messages(client)}
    anonymous = {"Authorization": ""}

    # The tracking image: a GIF, read once.
    pixel = client.get(link(container_html(client, by_contact[ids["b2"]]["id"]), "t"), headers=anonymous)
    assert pixel.status_code == 200 and pixel.headers["content-type"] == "image/gif"
    assert pixel.content.startswith(b"GIF89a")
    assert client.get(f"/v1/messages/{by_contact[ids['b2']]['id']}").json()["status"] == "read"
    assert (
        client.get(link(container_html(client, by_contact[ids["b2"]]["id"]), "t"), headers=anonymous).status_code == 200
    )
    assert client.get("/t/unknown.gif", headers=anonymous).status_code == 200

    # Cy was reached through NEWS: the link leaves NEWS (dated today), not every mailing.
    page = client.get(link(by_contact[ids["c1"]]["body"], "u"), headers=anonymous)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Newsletter" in page.text and "Unsubscribe from all mailings" in page.text
    left = client.get("/v1/interest-areas/NEWS/subscriptions", params={"status": "opted_out"}).json()["items"]
    assert {(s["contact"], s["opted_out_on"]) for s in left} >= {(ids["c1"], TODAY)}
    assert all("opted_out_on" not in c for c in client.get("/v1/partners/C").json()["contacts"])
    # ... and its second button leaves every mailing.
    path = link(by_contact[ids["c1"]]["body"], "u")
    assert client.post(path, data={"action": "everything"}, headers=anonymous).status_code == 200
    cy = next(c for c in client.get("/v1/partners/C").json()["contacts"] if c["id"] == ids["c1"])
    assert cy["opted_out_on"] == TODAY
    # Bea was reached as a partner's contact: the link (one-click POST here) leaves every mailing.
    one_click = client.post(
        link(by_contact[ids["b2"]]["body"], "u"), data={"List-Unsubscribe": "One-Click"}, headers=anonymous
    )
    assert one_click.status_code == 200
    bea = next(c for c in client.get("/v1/partners/B").json()["contacts"] if c["id"] == ids["b2"])
    assert bea["opted_out_on"] == TODAY
    assert client.get("/u/not-a-token", headers=anonymous).status_code == 404

    # Ann's mail bounces: a delivery-status notification quoting its Message-ID.
    ann = ids["a1"]
    dsn = client.post(
        "/v1/inbound/email",
        json={
            "from": "MAILER-DAEMON@mx.alpha.test",
            "subject": "Undelivered Mail Returned to Sender",
            "message_id": "<dsn-1@mx.alpha.test>",
            "body": "Reporting-MTA: dns; mx.alpha.test\n\nFinal-Recipient: rfc822; ann@alpha.test\n"
            "Action: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 no such user\n\n"
            f"Message-ID: <{by_contact[ann]['id']}@localhost>\nSubject: News for Alpha\n",
        },
    )
    assert dsn.status_code == 200, dsn.text
    assert dsn.json()["action"] == "bounced" and dsn.json()["ref"] == by_contact[ann]["id"]
    statuses = {k: v["status"] for k, v in recipients(client, mailing["id"]).items()}
    assert statuses == {ann: "error", ids["b2"]: "unsubscribed", ids["c1"]: "unsubscribed"}
    counts = client.get(f"/v1/mailings/{mailing['id']}").json()["counts"]
    assert counts == {"queued": 0, "sent": 0, "read": 0, "unsubscribed": 2, "error": 1}
    message = client.get(f"/v1/messages/{by_contact[ann]['id']}").json()
    assert message["status"] == "bounced" and message["last_error"] == "5.1.1 550 5.1.1 no such user"

    # Nobody who left gets the next mailing.
    again = send(client, interest_areas=["NEWS"], partners=["B"])
    assert again["recipients"] == 1
    assert {s["reason"] for s in again["skipped"]} == {"opted_out"}


def test_undoing_an_unsubscription_on_the_page(client: Any) -> None:
    ids = world(client)
    send(client, interest_areas=["NEWS"])
    cy = next(m for m in messages(client) if m["contact"] == ids["c1"])
    path = link(cy["body"], "u")
    assert "subscribe me again" in client.get(path).text
    page = client.post(path, data={"action": "resubscribe"})
    assert page.status_code == 200 and "subscribed again" in page.text
    subscribed = client.get("/v1/interest-areas/NEWS/subscriptions").json()["items"]
    assert ids["c1"] in {s["contact"] for s in subscribed}


def container_html(client: Any, message_id: str) -> str:
    """The HTML part of a sent mailing e-mail, as the outbox wrote it."""
    eml = container_of(client).settings.data_dir / "outbox" / f"{message_id}.eml"
    mail = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    part = mail.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def test_an_idempotent_and_an_async_mailing(client: Any) -> None:
    ids = world(client)
    body = {"template": "NEWS-MAIL", "interest_areas": ["NEWS"]}
    first = client.post("/v1/mailings", json=body, headers={"Idempotency-Key": "m-1"})
    again = client.post("/v1/mailings", json=body, headers={"Idempotency-Key": "m-1"})
    assert first.status_code == again.status_code == 201 and again.json() == first.json()
    assert len(client.get("/v1/mailings").json()["items"]) == 1

    accepted = client.post("/v1/mailings", json=body, headers={"Prefer": "respond-async"})
    assert accepted.status_code == 202, accepted.text
    mailing_id = accepted.json()["id"]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        current = client.get(f"/v1/mailings/{mailing_id}", headers={"X-Min-Position": str(accepted.json()["position"])})
        if current.status_code == 200 and current.json()["status"] != "preparing":
            break
        time.sleep(0.1)
    assert current.json()["status"] == "sending"
    assert set(recipients(client, mailing_id)) == {ids["a1"], ids["c1"]}

    analyst = role_headers(client, "analyst")
    assert_problem(client.post("/v1/mailings", json=body, headers=analyst), 403)
    assert client.get(f"/v1/mailings/{mailing_id}/recipients", headers=analyst).status_code == 200


def test_what_counts_as_a_bounce() -> None:
    ours = "<0b7e4bb0-6a4c-4f5e-9f8e-3c1a2b4d5e6f@localhost>"
    dsn = f"Action: failed\nStatus: 5.2.2\nDiagnostic-Code: smtp; 552 mailbox full\n\nMessage-ID: {ours}\n"
    bounce = recognise_bounce("MAILER-DAEMON@mx.test", "Undelivered Mail Returned to Sender", dsn)
    assert bounce is not None and bounce.reason == "5.2.2 552 mailbox full"
    assert [str(m) for m in bounce.messages] == ["0b7e4bb0-6a4c-4f5e-9f8e-3c1a2b4d5e6f"]
    # A bounce's subject from any address, without a DSN's fields: the subject is the reason.
    plain = recognise_bounce("postmaster@mx.test", "Mail delivery failed", f"... In-Reply-To: {ours}")
    assert plain is not None and plain.reason == "Mail delivery failed"
    # Delays, other mail, and reports that quote none of our messages are not bounces.
    assert recognise_bounce("MAILER-DAEMON@mx.test", "Delayed Mail", dsn.replace("failed", "delayed")) is None
    assert recognise_bounce("MAILER-DAEMON@mx.test", "Warning", dsn.replace("5.2.2", "4.2.2")) is None
    assert recognise_bounce("ann@alpha.test", "Re: News for Alpha", f"Thanks! > {ours}") is None
    assert recognise_bounce("MAILER-DAEMON@mx.test", "Undelivered Mail", "Action: failed\nStatus: 5.1.1\n") is None
