"""The sender against real transports on loopback, on both stores: an SMTP server (aiosmtpd)
receiving the e-mail with its letter attached, an SMS gateway (http.server) receiving the POSTs,
retries with backoff until the message fails, two senders racing on one message, the outbox, and
a crash between the send and its record.

The sender's clocks are injected: ``now`` (the business clock, for what is due) moves by hand, so
no test sleeps through a backoff; ``wall`` (for the lease on a delivery under way) is shifted."""

from __future__ import annotations

import email
import email.policy
import hashlib
import io
import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from uuid import UUID

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from pypdf import PdfReader

from aggregates.base import natural_id
from aggregates.code_claim import CodeClaim
from aggregates.errors import Conflict, DomainError
from aggregates.message import DeliveryStarted, Message, MessageQueued, retry_delay
from commands.messages import (
    CreateTemplate,
    MarkBounced,
    MarkRead,
    QueueMessage,
    create_template,
    mark_bounced,
    mark_read,
    queue_message,
)
from commands.partners import AddAddress, AddContact, RegisterPartner, add_address, add_contact, register_partner
from services.adapters.blobs import BlobStore
from services.adapters.transports import OutboxTransport, Outgoing, SmsGatewayTransport, SmtpTransport, Transports
from services.bootstrap.container import Container
from services.workers.sender import LEASE, Sender
from tests.conftest import open_container

T0 = datetime(2026, 1, 15, 0, 0, tzinfo=UTC)  # the manual clock's start (tests/conftest.py)


# -- the SMTP server and the SMS gateway -----------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Mailbox:
    """An aiosmtpd handler: keeps what it accepts; ``reply`` other than 250 refuses the data."""

    def __init__(self) -> None:
        self.reply = "250 OK"
        self.received: list[EmailMessage] = []
        self.attempts = 0
        self.logins: list[tuple[bytes, bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.attempts += 1
        if self.reply.startswith("250"):
            parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
            assert isinstance(parsed, EmailMessage)
            self.received.append(parsed)
        return self.reply

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        assert isinstance(data, LoginPassword)
        self.logins.append((data.login, data.password))
        return AuthResult(success=data.login == b"clerk" and data.password == b"s@cret")


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, str]]:
    box = Mailbox()
    controller = Controller(
        box, hostname="127.0.0.1", port=free_port(), authenticator=box.authenticate, auth_require_tls=False
    )
    controller.start()
    try:
        yield box, f"smtp://clerk:s%40cret@127.0.0.1:{controller.port}"
    finally:
        controller.stop()


class Gateway:
    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        self.status = 202
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                gateway.posts.append({"path": self.path, "type": self.headers["Content-Type"], **json.loads(body)})
                self.send_response(gateway.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"accepted": true}')

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms"


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    g = Gateway()
    thread = threading.Thread(target=g.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield g
    finally:
        g.server.shutdown()
        g.server.server_close()


# -- the business ------------------------------------------------------------------------------------


class Clock:
    def __init__(self, at: datetime = T0) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, delta: timedelta) -> None:
        self.at += delta


def wall_after(delta: timedelta) -> Any:
    return lambda: datetime.now(UTC) + delta


def setup_partner(c: Container, email_address: str | None = "office@acme.test") -> tuple[UUID, UUID]:
    result = c.execute(register_partner, RegisterPartner(name="Acme & Sons Ltd", code="ACME", email=email_address))
    assert result.id is not None
    c.execute(
        add_address,
        AddAddress(
            partner="ACME", usage=["billing"], street="Main St 1", postal_code="1010", city="Vienna", country="AT"
        ),
    )
    contact = c.execute(
        add_contact,
        AddContact(
            partner="ACME", name="Jane Doe", email="jane@acme.test" if email_address else None, mobile="+43 660 1234567"
        ),
    )
    assert contact.id is not None
    return result.id, contact.id


def setup_templates(c: Container) -> None:
    templates = [
        CreateTemplate(
            code="R1",
            channel="email",
            purpose="collection",
            subject="Payment reminder {{ partner.code }}",
            body="Dear {{ contact.name if contact else 'Sir or Madam' }},\n\n"
            "{% for i in invoices %}{{ i.number }}: {{ i.open }}\n{% endfor %}Total: {{ total }}\n",
            is_default=True,
        ),
        CreateTemplate(
            code="S2", channel="sms", purpose="collection", body="{{ partner.name }}: please pay {{ total }}"
        ),
        CreateTemplate(
            code="L2",
            channel="letter",
            purpose="collection",
            subject="Final notice",
            body="<p>Dear {{ partner.name }},</p><p>we still miss {{ total }} EUR.</p>",
            is_default=True,
        ),
    ]
    for template in templates:
        c.execute(create_template, template)


VARIABLES = {"invoices": [{"number": "INV-1", "open": Decimal("40.00")}], "total": Decimal("40.00")}


def acme(c: Container) -> UUID:
    claim = c.store.get(CodeClaim.id_for("partner", "ACME"))
    assert isinstance(claim, CodeClaim)
    return claim.owner


def queue(c: Container, n: int, channel: str = "email", **fields: Any) -> UUID:
    message_id = natural_id("test-message", n)
    partner = fields.pop("partner", None) or acme(c)
    variables = fields.pop("variables", VARIABLES)
    command = QueueMessage(
        id=message_id, channel=channel, purpose="collection", partner=partner, variables=variables, **fields
    )
    c.execute(queue_message, command)
    return message_id


def row(c: Container, message_id: UUID) -> dict[str, Any]:
    c.runner.drain()
    from queries.messages import MessageQueries

    return MessageQueries(c.catalog).get(str(message_id))


def deliver(c: Container, sender: Sender) -> int:
    """One sender round over caught-up read models (the runner's thread does this when serving)."""
    c.runner.drain()
    done = sender.run_once()
    c.runner.drain()
    return done


def smtp_transports(c: Container, url: str) -> Transports:
    return Transports.from_settings(c.settings.data_dir, url, None)


# -- e-mail, SMS, letters ----------------------------------------------------------------------------


def test_an_email_with_its_letter_attached_goes_through_smtp(container: Container, smtp: tuple[Mailbox, str]) -> None:
    box, url = smtp
    _, contact = setup_partner(container)
    setup_templates(container)
    message_id = queue(container, 1, contact=contact, attach_letter="L2")
    sender = Sender(container.ports, smtp_transports(container, url), now=Clock())

    assert deliver(container, sender) == 1
    assert deliver(container, sender) == 0  # nothing twice

    assert len(box.received) == 1
    assert box.logins == [(b"clerk", b"s@cret")]
    mail = box.received[0]
    assert mail["Subject"] == "Payment reminder ACME"
    assert mail["To"] == "jane@acme.test"
    assert mail["From"] == "counterparty@localhost"
    assert mail["Message-ID"] == f"<{message_id}@localhost>"
    text = mail.get_body(("plain",))
    assert text is not None
    body = text.get_content().replace("\r\n", "\n")  # lines end in CRLF on the wire
    assert body == "Dear Jane Doe,\n\nINV-1: 40.00\nTotal: 40.00\n"
    attachments = list(mail.iter_attachments())
    assert [(a.get_content_type(), a.get_filename()) for a in attachments] == [("application/pdf", "L2.pdf")]
    pdf = attachments[0].get_content()
    assert pdf.startswith(b"%PDF")
    page_text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Final notice" in page_text and "Acme & Sons Ltd" in page_text and "40.00" in page_text

    m = row(container, message_id)
    assert m["status"] == "sent" and m["attempts"] == 1 and m["sent_at"] == T0
    assert m["body"] == body  # the stored text is what was sent
    assert m["pdf"] == f"/v1/messages/{message_id}/pdf"
    stored = container.store.get(message_id)
    assert isinstance(stored, Message) and stored.pdf_sha256 == hashlib.sha256(pdf).hexdigest()
    with BlobStore(container.settings.blob_dir).open(stored.pdf_sha256) as blob:
        assert blob.read() == pdf


def test_an_sms_goes_through_the_gateway(container: Container, gateway: Gateway) -> None:
    _, contact = setup_partner(container)
    setup_templates(container)
    message_id = queue(container, 1, channel="sms", contact=contact, template="S2")
    transports = Transports.from_settings(container.settings.data_dir, None, gateway.url)
    assert isinstance(transports.sms, SmsGatewayTransport)

    assert deliver(container, Sender(container.ports, transports, now=Clock())) == 1

    assert gateway.posts == [
        {
            "path": "/sms",
            "type": "application/json",
            "to": "+43 660 1234567",
            "text": "Acme & Sons Ltd: please pay 40.00",
            "id": str(message_id),
        }
    ]
    assert row(container, message_id)["status"] == "sent"


def test_a_gateway_error_is_retried(container: Container, gateway: Gateway) -> None:
    _, contact = setup_partner(container)
    setup_templates(container)
    message_id = queue(container, 1, channel="sms", contact=contact, template="S2")
    clock = Clock()
    sender = Sender(container.ports, Transports.from_settings(container.settings.data_dir, None, gateway.url), now=clock)
    gateway.status = 503
    deliver(container, sender)
    m = row(container, message_id)
    assert m["status"] == "queued" and m["attempts"] == 1 and "HTTP 503" in m["last_error"]
    gateway.status = 200
    clock.advance(retry_delay(1))
    deliver(container, sender)
    assert row(container, message_id)["status"] == "sent"
    assert [p["id"] for p in gateway.posts] == [str(message_id)] * 2


def test_the_outbox_writes_the_eml_and_the_letter_pdf(container: Container) -> None:
    _, contact = setup_partner(container)
    setup_templates(container)
    email_id = queue(container, 1, contact=contact)
    letter_id = queue(container, 2, channel="letter", contact=contact, fallback_from="email")
    transports = Transports.from_settings(container.settings.data_dir, None, None)
    assert isinstance(transports.email, OutboxTransport)

    assert deliver(container, Sender(container.ports, transports, now=Clock())) == 2

    outbox = container.settings.data_dir / "outbox"
    assert sorted(p.name for p in outbox.iterdir()) == sorted([f"{email_id}.eml", f"{letter_id}.pdf"])
    mail = email.message_from_bytes((outbox / f"{email_id}.eml").read_bytes(), policy=email.policy.default)
    assert mail["To"] == "jane@acme.test"
    assert mail["Subject"] == "Payment reminder ACME"
    assert mail["Message-ID"] == f"<{email_id}@localhost>"
    letter = row(container, letter_id)
    assert letter["status"] == "sent" and letter["fallback_from"] == "email"
    assert letter["to"] == "Acme & Sons Ltd\nAttn. Jane Doe\nMain St 1\n1010 Vienna\nAT"
    assert letter["body"] == "<p>Dear Acme &amp; Sons Ltd,</p><p>we still miss 40.00 EUR.</p>"
    pdf = (outbox / f"{letter_id}.pdf").read_bytes()
    stored = container.store.get(letter_id)
    assert isinstance(stored, Message) and stored.pdf_sha256 == hashlib.sha256(pdf).hexdigest()
    assert "Main St 1" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


# -- retries, races and crashes ----------------------------------------------------------------------


def test_a_refusing_server_is_retried_with_backoff_then_the_message_fails(
    container: Container, smtp: tuple[Mailbox, str]
) -> None:
    box, url = smtp
    box.reply = "550 5.1.1 mailbox unavailable"
    setup_partner(container)
    setup_templates(container)
    message_id = queue(container, 1)
    clock = Clock()
    sender = Sender(container.ports, smtp_transports(container, url), now=clock)

    for attempt in range(1, 5):
        assert deliver(container, sender) == 1
        m = row(container, message_id)
        assert m["status"] == "queued" and m["attempts"] == attempt
        assert "550" in m["last_error"]
        assert m["next_attempt_at"] == clock.at + retry_delay(attempt)
        clock.advance(retry_delay(attempt) - timedelta(seconds=1))
        assert deliver(container, sender) == 0  # not due yet
        clock.advance(timedelta(seconds=1))
    assert deliver(container, sender) == 1
    m = row(container, message_id)
    assert m["status"] == "failed" and m["attempts"] == 5 and m["next_attempt_at"] is None
    clock.advance(timedelta(days=1))
    assert deliver(container, sender) == 0
    assert box.attempts == 5 and box.received == []

    from queries.pages import PageRequest
    from queries.partners import PartnerQueries

    entries = PartnerQueries(container.catalog).timeline(str(acme(container)), None, None, "message", PageRequest())[
        "items"
    ]
    summaries = [e["summary"] for e in entries if e["kind"] == "message"]
    assert summaries[0].startswith('E-mail R1 "Payment reminder ACME" queued for office@acme.test')
    assert summaries[-1].startswith('E-mail R1 "Payment reminder ACME" failed (attempt 5): smtp: 550')
    assert len(summaries) == 2


@pytest.mark.postgres
def test_two_senders_racing_deliver_each_message_once(container: Container, smtp: tuple[Mailbox, str]) -> None:
    box, url = smtp
    setup_partner(container)
    setup_templates(container)
    ids = [queue(container, n) for n in range(6)]
    other = open_container(container.settings)  # a second process, as far as the store can tell
    try:
        senders = [
            Sender(container.ports, smtp_transports(container, url), now=Clock()),
            Sender(other.ports, smtp_transports(other, url), now=Clock()),
        ]
        barrier = threading.Barrier(2)
        for sender in senders:  # both read the same due list before either starts a delivery
            due = sender.queries.due

            def due_then_wait(now: datetime, limit: int = 100, due: Any = due) -> list[UUID]:
                found = due(now, limit)
                barrier.wait(timeout=30)
                return found  # type: ignore[no-any-return]

            sender.queries.due = due_then_wait  # type: ignore[method-assign]
        container.runner.drain()
        counts: list[int] = []
        threads = [threading.Thread(target=lambda s=s: counts.append(s.run_once())) for s in senders]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    finally:
        other.close()

    assert sorted(counts) != [0, 0] and sum(counts) == len(ids)
    assert len(box.received) == len(ids)
    assert sorted(m["Message-ID"] for m in box.received) == sorted(f"<{i}@localhost>" for i in ids)
    for message_id in ids:
        m = row(container, message_id)
        assert m["status"] == "sent" and m["attempts"] == 1
        starts = [e for e in container.store.stream(message_id) if isinstance(e, DeliveryStarted)]
        assert len(starts) == 1


class Crash(BaseException):
    """The process dies: nothing after the send is recorded."""


class CrashAfterSend:
    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = inner.name

    def send(self, message: Outgoing) -> str | None:
        self.inner.send(message)
        raise Crash()


@pytest.mark.postgres
def test_a_delivery_interrupted_after_the_send_is_sent_once_more_with_the_same_message_id(
    container: Container, smtp: tuple[Mailbox, str]
) -> None:
    box, url = smtp
    setup_partner(container)
    setup_templates(container)
    message_id = queue(container, 1)
    smtp_transport = SmtpTransport(url)
    crashing = Transports(email=CrashAfterSend(smtp_transport), sms=smtp_transport, letter=smtp_transport)

    container.runner.drain()
    with pytest.raises(Crash):
        Sender(container.ports, crashing, now=Clock()).run_once()
    assert row(container, message_id)["status"] == "sending"
    assert len(box.received) == 1

    # A restarted sender leaves a delivery alone while it may still be under way (the lease) ...
    restarted = Sender(container.ports, smtp_transports(container, url), now=Clock())
    assert deliver(container, restarted) == 0
    # ... and past the lease sends it once more, with the same Message-ID, and records it.
    restarted.wall = wall_after(LEASE + timedelta(seconds=1))
    assert deliver(container, restarted) == 1
    assert [m["Message-ID"] for m in box.received] == [f"<{message_id}@localhost>"] * 2
    assert bytes(box.received[0]) == bytes(box.received[1])
    m = row(container, message_id)
    assert m["status"] == "sent" and m["attempts"] == 1
    starts = [e for e in container.store.stream(message_id) if isinstance(e, DeliveryStarted)]
    assert [(s.attempt, s.resumed) for s in starts] == [(1, False), (1, True)]
    assert deliver(container, restarted) == 0


@pytest.mark.postgres
def test_a_delivery_interrupted_twice_fails_without_a_third_copy(
    container: Container, smtp: tuple[Mailbox, str]
) -> None:
    box, url = smtp
    setup_partner(container)
    setup_templates(container)
    message_id = queue(container, 1)
    smtp_transport = SmtpTransport(url)
    crashing = Transports(email=CrashAfterSend(smtp_transport), sms=smtp_transport, letter=smtp_transport)
    container.runner.drain()
    with pytest.raises(Crash):
        Sender(container.ports, crashing, now=Clock()).run_once()
    with pytest.raises(Crash):
        deliver(container, Sender(container.ports, crashing, now=Clock(), wall=wall_after(LEASE + timedelta(seconds=1))))

    later = Sender(container.ports, smtp_transports(container, url), now=Clock(), wall=wall_after(2 * LEASE))
    assert deliver(container, later) == 1
    m = row(container, message_id)
    assert m["status"] == "failed" and "interrupted twice" in m["last_error"]
    assert len(box.received) == 2


# -- queueing ----------------------------------------------------------------------------------------


def test_queueing_again_with_the_same_id_does_nothing(container: Container) -> None:
    setup_partner(container)
    setup_templates(container)
    first = queue(container, 1)
    again = queue(container, 1, template="R1")
    assert first == again
    queued = [e for e in container.store.stream(first) if isinstance(e, MessageQueued)]
    assert len(queued) == 1 and len(container.store.stream(first)) == 1


def test_the_default_template_applies_in_the_language_else_in_english(container: Container) -> None:
    setup_partner(container)
    setup_templates(container)
    message_id = queue(container, 1, language="de")
    m = row(container, message_id)
    assert (m["template"], m["template_version"], m["language"]) == ("R1", 1, "en")
    assert m["to"] == "office@acme.test"  # no contact: the partner's address


def test_what_cannot_be_queued_is_refused(container: Container) -> None:
    partner, contact = setup_partner(container, email_address=None)
    with pytest.raises(Conflict) as caught:
        queue(container, 1, partner=partner, channel="letter")
    assert caught.value.code == "template_missing"
    setup_templates(container)
    refusals = {
        "no_email": {"contact": contact},
        "template_missing": {"channel": "sms", "template": "NOPE", "contact": contact},
        "template_channel_mismatch": {"channel": "sms", "template": "R1", "contact": contact},
        "no_mobile": {"channel": "sms", "template": "S2"},
        "template_render_failed": {"channel": "letter", "template": "L2", "variables": {}},
    }
    for n, (code, fields) in enumerate(refusals.items()):
        with pytest.raises(DomainError) as refused:
            queue(container, 10 + n, partner=partner, **fields)
        assert refused.value.code == code, (code, refused.value)
    assert queue(container, 20, partner=partner, channel="letter", fallback_from="email")


@pytest.mark.postgres
def test_a_serving_process_runs_the_sender(container: Container) -> None:
    """``Container.start`` (``serve`` and ``worker``) starts the sender thread with the outbox."""
    setup_partner(container)
    setup_templates(container)
    container.start(scheduler=False)
    message_id = queue(container, 1)
    deadline = time.monotonic() + 20
    outbox = container.settings.data_dir / "outbox" / f"{message_id}.eml"
    while row(container, message_id)["status"] != "sent" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert row(container, message_id)["status"] == "sent"
    assert outbox.exists()


def test_a_sent_message_is_marked_read_and_may_bounce(container: Container) -> None:
    setup_partner(container)
    setup_templates(container)
    message_id = queue(container, 1)
    with pytest.raises(Conflict) as early:
        container.execute(mark_read, MarkRead(message=message_id))
    assert early.value.code == "message_not_sent"
    deliver(
        container, Sender(container.ports, Transports.from_settings(container.settings.data_dir, None, None), now=Clock())
    )
    container.execute(mark_read, MarkRead(message=message_id))
    container.execute(mark_read, MarkRead(message=message_id))  # once is enough
    m = row(container, message_id)
    assert m["status"] == "read" and m["read_at"] == T0
    container.execute(mark_bounced, MarkBounced(message=message_id, reason="550 user unknown"))
    m = row(container, message_id)
    assert m["status"] == "bounced" and m["last_error"] == "550 user unknown"
