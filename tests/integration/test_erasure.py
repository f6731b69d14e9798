"""Crypto-shredding through the real store: personal values are ciphertext in the log, erasure
destroys the keys and every read shows ``[erased]`` while the log's bytes and hash chain stay
the same; values recorded in clear before encryption existed still read."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from aggregates.partner import Partner
from aggregates.personal import ERASED
from services.adapters.log_verify import verify_log
from services.adapters.store import PydanticMapper
from services.adapters.transports import OutboxTransport, Outgoing, Transports
from services.bootstrap.container import Container
from services.cli.replay import SCRATCH, table_rows
from services.workers.sender import Sender
from tests.api.helpers import assert_problem, create_partner
from tests.api.test_document_pdf import pdf_text
from tests.api.test_inbound_email import mail

NAMES = ("Jane Doe", "jane@home.test", "AT-123", "Elm Street", "John Roe", "john@home.test", "likes cats")
REASON = "art. 17 GDPR"


def container_of(client: Any) -> Container:
    return client.app.state.container  # type: ignore[no-any-return]


def person(client: Any) -> tuple[str, str]:
    pid = create_partner(client, name="Jane Doe", kind="person", code="JD", email="jane@home.test", tax_id="AT-123")[
        "id"
    ]
    contact = client.post("/v1/partners/JD/contacts", json={"name": "John Roe", "email": "john@home.test"})
    assert contact.status_code == 201, contact.text
    address = client.post("/v1/partners/JD/addresses", json={"street": "1 Elm Street", "city": "Vienna"})
    assert address.status_code == 201, address.text
    assert client.post("/v1/partners/JD/notes", json={"text": "likes cats"}).status_code == 201
    template = {
        "code": "W1",
        "channel": "email",
        "purpose": "general",
        "subject": "Hi",
        "body": "Hi {{ partner.name }}",
    }
    assert client.post("/v1/templates", json=template).status_code == 201
    message = client.post(
        "/v1/messages", json={"channel": "email", "partner": "JD", "contact": contact.json()["id"], "template": "W1"}
    )
    assert message.status_code == 201, message.text
    return pid, contact.json()["id"]


def stored(c: Container) -> list[tuple[int, bytes]]:
    return [(n.id, bytes(n.state)) for n in c.store.read_raw(0, 10_000)]


def key_rows(c: Container) -> list[tuple[str, bool]]:
    table: Any = c.store.keys.table
    return sorted(
        (subject, wrapped is not None)
        for subject, wrapped in table._run("SELECT subject, wrapped FROM personal_keys", fetch=True)
    )


@pytest.mark.postgres
def test_erasure_shreds_the_keys_and_leaves_the_log_as_it_was(client: Any, backend: str) -> None:
    c = container_of(client)
    pid, cid = person(client)
    before = stored(c)
    assert not [text for _, state in before for text in NAMES if text.encode() in state]  # ciphertext only
    assert key_rows(c) == sorted([(pid, True), (cid, True)])
    head = verify_log(c.store)["head"]
    c.store.snapshot(c.store.get(UUID(pid)))  # a snapshot holds ciphertext too
    (snapshot,) = c.store.app.snapshots.recorder.select_events(UUID(pid))  # type: ignore[union-attr]
    assert not [text for text in NAMES if text.encode() in snapshot.state]

    response = client.post("/v1/partners/JD/erase", json={"reason": REASON})
    assert response.status_code == 200, response.text
    assert (response.json()["code"], response.json()["name"], response.json()["email"]) == ("JD", ERASED, ERASED)

    assert key_rows(c) == sorted([(pid, False), (cid, False)])  # tombstones: known erased
    after = stored(c)
    assert after[: len(before)] == before  # not one byte of the log changed
    check = verify_log(c.store)
    assert check["ok"] and check["events"] == len(before) + 1
    assert check["head"]["position"] > head["position"]
    # The chain up to the old head is the same: verify the same bytes again, without the erasure.
    assert verify_log(_until(c, head["position"]))["head"] == head

    # Without cached keys and aggregates (as in a process that never saw the erasure), loaded
    # from the snapshot taken before the erasure and the events after it, too.
    c.store.keys.forget()
    partner = c.store.get(UUID(pid))
    assert isinstance(partner, Partner) and partner.details.name == ERASED
    assert partner.contacts[UUID(cid)].email == ERASED


def _until(c: Container, position: int) -> Any:
    class Prefix:
        def read_raw(self, after: int, limit: int) -> list[Any]:
            return [n for n in c.store.read_raw(after, limit) if n.id <= position]

        def to_logged(self, n: Any) -> Any:
            return c.store.to_logged(n)

    return Prefix()


def verify_all_matches(c: Container) -> list[str]:
    """What ``counterparty replay --verify`` checks, for the read models that copy personal
    values: rebuilt from the log, they equal the live ones."""
    names = ("partner_directory", "timeline", "messages", "mailings", "requests")
    scratch = {name: SCRATCH + c.catalog.version(name) for name in names}
    c.runner.drain()
    try:
        c.runner.build_copies(scratch, lambda n: None)
        c.runner.drain()
        return [
            name
            for name, version in scratch.items()
            if table_rows(c, name, version) != table_rows(c, name, c.catalog.version(name))
        ]
    finally:
        for name, version in scratch.items():
            c.catalog.drop(name, version)


def test_every_read_shows_erased(sqlite_client: Any) -> None:
    client = sqlite_client
    pid, cid = person(client)
    token = client.post("/v1/portal/tokens", json={"partner": "JD", "contact": cid}).json()["token"]
    assert client.post("/v1/partners/JD/erase", json={"reason": REASON}).status_code == 200

    partner = client.get("/v1/partners/JD").json()
    assert (partner["name"], partner["email"], partner["tax_id"]) == (ERASED, ERASED, ERASED)
    assert [(a["street"], a["city"]) for a in partner["addresses"]] == [(ERASED, ERASED)]
    assert [(c["name"], c["email"]) for c in partner["contacts"]] == [(ERASED, ERASED)]
    assert client.get("/v1/partners", params={"q": "jane"}).json()["items"] == []
    assert [p["code"] for p in client.get("/v1/partners", params={"q": "JD"}).json()["items"]] == ["JD"]
    exported = client.get("/v1/partners/export.csv", params={"q": "JD"}).text
    assert not [n for n in NAMES if n in exported] and ERASED in exported
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert rows[0]["code"] == "JD"

    timeline = client.get("/v1/partners/JD/timeline").json()["items"]
    text = " | ".join(e["summary"] for e in timeline)
    assert not [n for n in NAMES if n in text], text
    assert f"Partner JD registered: {ERASED}" in text and f"Contact added: {ERASED}" in text
    assert f"Personal data of the person and its contacts erased: {REASON}" in text

    (message,) = client.get("/v1/messages", params={"partner": "JD"}).json()["items"]
    assert (message["to"], message["body"], message["subject"]) == (ERASED, ERASED, "Hi")
    c = container_of(client)  # the sender fails a message queued before the erasure, once and for all
    c.runner.drain()
    Sender(c.ports, Transports.from_settings(c.settings.data_dir, None, None)).run_once()
    c.runner.drain()
    failed = client.get(f"/v1/messages/{message['id']}").json()
    assert (failed["status"], failed["attempts"]) == ("failed", 1)

    events = client.get("/v1/audit/events", params={"stream": pid}).json()["items"]
    assert not [n for n in NAMES if n in str(events)]
    assert events[0]["data"]["details"]["name"] == ERASED and events[-1]["type"] == "PersonalDataErased"
    state = client.get(f"/v1/audit/streams/{pid}").json()["state"]
    assert state["details"]["name"] == ERASED and state["contacts"][cid]["email"] == ERASED

    profile = client.get("/v1/portal/profile", headers={"Authorization": f"Bearer {token}"}).json()
    assert profile["partner"]["name"] == ERASED and profile["contact"]["name"] == ERASED

    # New personal data for an erased subject is refused; other changes go through.
    assert_problem(client.patch("/v1/partners/JD", json={"email": "x@y.test"}), 409, "subject_erased")
    assert_problem(client.patch(f"/v1/partners/JD/contacts/{cid}", json={"phone": "+43 1"}), 409, "subject_erased")
    assert client.patch("/v1/partners/JD", json={"credit_limit": "100.00"}).status_code == 200

    # A rebuild of the read models gives the same rows.
    assert verify_all_matches(container_of(client)) == []


def test_erasure_rules_over_http(sqlite_client: Any) -> None:
    client = sqlite_client
    create_partner(client, name="Acme Ltd", code="ACME")
    bob = client.post("/v1/partners/ACME/contacts", json={"name": "Bob Roe", "email": "bob@acme.test"}).json()
    assert_problem(client.post("/v1/partners/ACME/erase", json={"reason": REASON}), 409, "not_a_person")
    erased = client.post(f"/v1/partners/ACME/contacts/{bob['id']}/erase", json={"reason": REASON})
    assert erased.status_code == 200, erased.text
    assert (erased.json()["name"], erased.json()["email"]) == (ERASED, ERASED)
    assert client.get("/v1/partners/ACME").json()["name"] == "Acme Ltd"

    clerk = client.post("/v1/api-keys", json={"name": "clerk", "role": "clerk"}).json()["key"]
    response = client.post(
        "/v1/partners/ACME/erase", json={"reason": REASON}, headers={"Authorization": f"Bearer {clerk}"}
    )
    assert response.status_code == 403


def test_values_recorded_in_clear_before_encryption_still_read(sqlite_client: Any) -> None:
    """An event written before personal data was encrypted (here: by a mapper without the codec)
    reads as it was; an erasure then hides it in every read model and the aggregate."""
    client = sqlite_client
    c = container_of(client)
    mapper: PydanticMapper = c.store.app.mapper  # type: ignore[assignment]
    codec, mapper.personal = mapper.personal, None
    try:
        pid = create_partner(client, name="Old Timer", kind="person", code="OLD", email="old@home.test")["id"]
    finally:
        mapper.personal = codec
    assert any(b"Old Timer" in state for _, state in stored(c))  # in clear in the log
    assert client.get("/v1/partners/OLD").json()["name"] == "Old Timer"
    assert (
        client.get("/v1/audit/events", params={"stream": pid}).json()["items"][0]["data"]["details"]["name"]
        == "Old Timer"
    )

    assert client.post("/v1/partners/OLD/erase", json={"reason": REASON}).status_code == 200
    assert client.get("/v1/partners/OLD").json()["name"] == ERASED
    assert f"registered: {ERASED}" in client.get("/v1/partners/OLD/timeline").json()["items"][0]["summary"]
    assert client.get(f"/v1/audit/streams/{pid}").json()["state"]["details"]["name"] == ERASED
    assert verify_all_matches(c) == []
    # The log itself keeps the clear value: no history is rewritten (docs/operations.md says how).
    assert any(b"Old Timer" in state for _, state in stored(c))


def test_the_history_of_a_person_merged_into_the_erased_one_shows_erased(sqlite_client: Any) -> None:
    """JB's own stream and its messages are under JB's key, not JD's: erasing JD erases JB too."""
    client = sqlite_client
    person(client)
    b = create_partner(client, name="Jan Bee", kind="person", code="JB", email="jan@bee.test")["id"]
    contact = client.post("/v1/partners/JB/contacts", json={"name": "Kim Bee", "email": "kim@bee.test"}).json()
    for to in (None, contact["id"]):
        message = {"channel": "email", "partner": "JB", "contact": to, "template": "W1"}
        assert client.post("/v1/messages", json=message).status_code == 201
    assert client.post("/v1/partners/JD/merge", json={"absorb": ["JB"]}).status_code == 200
    assert client.post("/v1/partners/JD/erase", json={"reason": REASON}).status_code == 200

    names = ("Jan Bee", "jan@bee.test", "Kim Bee", "kim@bee.test")
    messages = client.get("/v1/messages", params={"partner": "JD"}).json()["items"]
    assert len(messages) == 3 and {(m["to"], m["body"]) for m in messages} == {(ERASED, ERASED)}
    absorbed = client.get(f"/v1/partners/{b}").json()
    assert (absorbed["name"], absorbed["email"]) == (ERASED, ERASED), absorbed
    assert not [n for n in names if n in str(client.get("/v1/partners/JD").json())]
    assert not [n for n in names if n in str(client.get("/v1/audit/events", params={"stream": b}).json())]
    assert not [n for n in names if n in str(client.get("/v1/partners/JD/timeline").json())]
    assert verify_all_matches(container_of(client)) == []


def test_the_author_of_a_customers_comment_is_erased_with_the_contact(sqlite_client: Any) -> None:
    client = sqlite_client
    create_partner(client, name="Acme Ltd", code="ACME")
    ann = client.post("/v1/partners/ACME/contacts", json={"name": "Ann Lee", "email": "ann@acme.test"}).json()["id"]
    assert (
        client.post("/v1/request-types", json={"code": "SUPPORT", "name": "Support", "due_days": 2}).status_code == 201
    )
    body = {"type": "SUPPORT", "partner": "ACME", "contact": ann, "subject": "Broken shelf"}
    opened = client.post("/v1/requests", json=body).json()
    request = opened["id"]
    token = client.post("/v1/portal/tokens", json={"partner": "ACME", "contact": ann}).json()["token"]
    portal = {"Authorization": f"Bearer {token}"}
    assert client.post(f"/v1/portal/requests/{request}/comments", json={"text": "Thanks"}, headers=portal).is_success
    assert client.post(f"/v1/requests/{request}/comments", json={"text": "On its way"}).status_code == 201
    mail(client, "ann@acme.test", f"Re: [{opened['number']}] Broken shelf", "Still broken", "<a1@acme>")
    comments = client.get(f"/v1/requests/{request}").json()["comments"]
    assert sorted(c["author"] for c in comments) == ["Ann Lee", "admin", "ann@acme.test"]

    assert client.post(f"/v1/partners/ACME/contacts/{ann}/erase", json={"reason": REASON}).status_code == 200
    comments = client.get(f"/v1/requests/{request}").json()["comments"]
    assert sorted(c["author"] for c in comments) == [ERASED, ERASED, "admin"]  # staff are nobody's personal data
    for read in (f"/v1/audit/events?stream={request}", "/v1/partners/ACME/timeline", f"/v1/requests/{request}"):
        assert not [n for n in ("Ann Lee", "ann@acme.test") if n in client.get(read).text], read
    assert verify_all_matches(container_of(client)) == []


def letter_to_jane(client: Any, subject: str) -> dict[str, Any]:
    """A letter to the person of ``person`` ("Dear Jane Doe"), queued."""
    template = {
        "code": "L1",
        "channel": "letter",
        "purpose": "general",
        "subject": subject,
        "body": "Dear {{ partner.name }}",
    }
    assert client.post("/v1/templates", json=template).status_code == 201
    return client.post("/v1/messages", json={"channel": "letter", "partner": "JD", "template": "L1"}).json()  # type: ignore[no-any-return]


def test_a_letter_to_an_erased_person_is_no_longer_on_disk_and_reads_erased(sqlite_client: Any) -> None:
    """The letter's PDF and the outbox's copies are files, which no key shreds: erasure deletes
    them, and reading the letter renders it anew from the message as it reads now."""
    client = sqlite_client
    person(client)
    letter = letter_to_jane(client, "Reminder")
    c = container_of(client)
    c.runner.drain()
    Sender(c.ports, Transports.from_settings(c.settings.data_dir, None, None)).run_once()
    c.runner.drain()
    sent = pdf_text(client.get(f"/v1/messages/{letter['id']}/pdf"))
    assert "Dear Jane Doe" in sent and "Reminder" in sent
    stored = c.letters.blobs.path(c.letters.messages.row(letter["id"])["pdf_sha256"])
    outbox = c.settings.data_dir / "outbox"
    files = [stored, outbox / f"{letter['id']}.pdf", *outbox.glob("*.eml")]
    assert len(files) == 3 and all(f.exists() for f in files)

    assert client.post("/v1/partners/JD/erase", json={"reason": REASON}).status_code == 200
    assert not [f for f in files if f.exists()]
    shown = pdf_text(client.get(f"/v1/messages/{letter['id']}/pdf"))
    assert "Jane Doe" not in shown and "Elm Street" not in shown
    assert shown.count(ERASED) == 2 and "Reminder" in shown  # recipient and text; the rest as it was sent
    assert not [f for f in files if f.exists()]  # rendered for the reader, not stored


def test_the_sender_deletes_a_letter_file_the_erasure_did_not_find(sqlite_client: Any) -> None:
    """A letter rendered by an attempt that failed, its file missed at the erasure (here: the
    process recorded the erasure without its file listeners): the next attempt fails the message
    for good and deletes the file."""
    client = sqlite_client
    person(client)
    letter = letter_to_jane(client, "Hi")
    c = container_of(client)
    (c.settings.data_dir / "outbox").write_text("in the way")  # the outbox cannot be written: retried later
    c.runner.drain()

    def send(at: datetime) -> None:
        Sender(c.ports, Transports.from_settings(c.settings.data_dir, None, None), now=lambda: at).run_once()
        c.runner.drain()

    send(c.clock.now())
    stored = c.letters.blobs.path(c.letters.messages.row(letter["id"])["pdf_sha256"])
    assert stored.exists() and client.get(f"/v1/messages/{letter['id']}").json()["status"] == "queued"
    c.store._erasure_listeners.clear()
    assert client.post("/v1/partners/JD/erase", json={"reason": REASON}).status_code == 200
    assert stored.exists()

    send(c.clock.now() + timedelta(days=1))
    assert client.get(f"/v1/messages/{letter['id']}").json()["status"] == "failed"
    assert not stored.exists()


def test_a_letter_erased_while_it_is_being_sent_leaves_no_file(sqlite_client: Any) -> None:
    """The erasure comes while the sender prints the letter: its PDF is recorded but not yet in
    the messages read model, and the outbox file is written after the erasure looked."""
    client = sqlite_client
    person(client)
    letter = letter_to_jane(client, "Hi")
    c = container_of(client)
    outbox = OutboxTransport(c.settings.data_dir / "outbox")

    class ErasingPrinter:
        name = outbox.name

        def send(self, message: Outgoing) -> str | None:
            assert client.post("/v1/partners/JD/erase", json={"reason": REASON}).status_code == 200
            return outbox.send(message)

    c.runner.drain()
    Sender(c.ports, Transports(email=outbox, sms=outbox, letter=ErasingPrinter())).run_once()
    c.runner.drain()
    assert client.get(f"/v1/messages/{letter['id']}").json()["status"] == "sent"
    stored = c.letters.blobs.path(c.letters.messages.row(letter["id"])["pdf_sha256"])
    assert not stored.exists() and not (outbox.directory / f"{letter['id']}.pdf").exists()


def test_an_erased_persons_attachments_are_deleted_and_nameless(sqlite_client: Any) -> None:
    client = sqlite_client
    pid, _ = person(client)
    create_partner(client, name="Acme Ltd", code="ACME")

    def upload(code: str, name: str, content: bytes) -> Any:
        return client.post(f"/v1/partners/{code}/attachments", files={"file": (name, content, "application/pdf")})

    passport = upload("JD", "jane-doe-passport.pdf", b"%PDF Jane Doe's passport").json()
    terms = upload("JD", "terms.pdf", b"%PDF our terms").json()
    acme_terms = upload("ACME", "terms.pdf", b"%PDF our terms").json()  # the same file, stored once
    c = container_of(client)
    assert client.post("/v1/partners/JD/erase", json={"reason": REASON}).status_code == 200

    assert not c.letters.blobs.exists(passport["sha256"]) and c.letters.blobs.exists(terms["sha256"])
    for attachment in (passport, terms):
        assert_problem(client.get(f"/v1/partners/JD/attachments/{attachment['id']}"), 404, "not_found")
    assert client.get(f"/v1/partners/ACME/attachments/{acme_terms['id']}").content == b"%PDF our terms"
    assert [a["filename"] for a in client.get("/v1/partners/JD").json()["attachments"]] == [ERASED, ERASED]
    for read in (f"/v1/audit/events?stream={pid}", f"/v1/audit/streams/{pid}", "/v1/partners/JD/timeline"):
        assert "passport" not in client.get(read).text, read
    assert_problem(upload("JD", "new.pdf", b"%PDF new"), 409, "subject_erased")
    assert verify_all_matches(c) == []
