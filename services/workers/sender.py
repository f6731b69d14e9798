"""The sender: a loop that delivers queued messages through the configured transports.

Each round it (1) resumes deliveries a crash left under way and (2) delivers the queued messages
whose next attempt is due. A delivery is recorded around the transport call:

- ``StartDelivery`` first, refused unless the message is queued and due, so of two senders (two
  processes, or two threads) racing on one message exactly one wins the version race and sends;
- then the letter's PDF is rendered (WeasyPrint), stored in the blob store and recorded;
- then the transport is called, and ``RecordSent`` or ``RecordFailed`` records the outcome
  (failures are retried with exponential backoff by the message itself, then ``failed``).

Crash safety. A crash between the send and the record leaves the message ``sending``; nobody
knows whether it left. The choice here is at-least-once with a stable identity: once a delivery
has been under way longer than the lease (``CPTY_DELIVERY_LEASE``, far longer than any transport
timeout), the message is sent once more with the same idempotency key (the e-mail's Message-ID,
the SMS gateway's id, the same outbox file name), so the receiving side can drop the duplicate; a
second interruption of the same attempt ends the message as ``failed`` rather than risking a third
copy. Letters are only rendered and filed, so for them the repeat is harmless.

Time. Whether a message is due is decided on the business clock (``now``; the wall clock in
``system`` mode, the manual clock in tests and demos), the lease on the wall clock (``wall``),
because it measures how long a transport call can take. Both are injectable."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from aggregates.errors import DomainError
from aggregates.message import Message, MessageStatus
from aggregates.personal import ERASED
from commands.context import CommandContext, Result
from commands.messages import (
    RecordFailed,
    RecordLetterRendered,
    RecordSent,
    ResumeDelivery,
    StartDelivery,
    record_failed,
    record_letter_rendered,
    record_sent,
    resume_delivery,
    start_delivery,
)
from queries.messages import InDelivery, MessageQueries
from services.adapters.letters import Letters
from services.adapters.transports import DeliveryError, OutboxTransport, Outgoing, Transports
from services.workers.ports import Ports, Request

log = logging.getLogger("counterparty.sender")
ACTOR = "process:sender"
LEASE = timedelta(minutes=2)


class Sender:
    def __init__(
        self,
        ports: Ports,
        transports: Transports | None = None,
        now: Callable[[], datetime] | None = None,
        wall: Callable[[], datetime] | None = None,
        lease: timedelta = LEASE,
        poll_interval: float = 1.0,
        batch: int = 100,
    ) -> None:
        settings = ports.settings
        self.ports = ports
        self.transports = transports or Transports.from_settings(settings.data_dir, settings.smtp_url, settings.sms_url)
        self.now = now or ports.now
        self.wall = wall or (lambda: datetime.now(UTC))
        self.lease = lease
        self.poll_interval = poll_interval
        self.batch = batch
        self.queries = MessageQueries(ports.catalog)
        self.letters = Letters(ports.store, ports.catalog, settings)
        self.blobs = self.letters.blobs
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    # -- one round -----------------------------------------------------------------------------

    def run_once(self) -> int:
        """Resumes interrupted deliveries, then delivers what is due; returns how many attempts."""
        done = 0
        for stuck in self.queries.in_delivery(self.wall() - self.lease, self.batch):
            done += self.resume(stuck)
        for message_id in self.queries.due(self.now(), self.batch):
            done += self.deliver(message_id)
        return done

    def deliver(self, message_id: UUID) -> int:
        """One attempt at a queued message, unless another sender has taken it."""
        try:
            self._execute(start_delivery, StartDelivery(message=message_id))
        except DomainError as refusal:  # taken by another sender, or not due any more
            log.debug("message skipped", extra={"message_id": str(message_id), "code": refusal.code})
            return 0
        return self._attempt(self._load(message_id))

    def resume(self, stuck: InDelivery) -> int:
        try:
            self._execute(resume_delivery, ResumeDelivery(message=stuck.id, version=stuck.version))
        except DomainError:
            return 0
        message = self._load(stuck.id)
        if message.status is not MessageStatus.SENDING:
            log.warning("message failed: delivery interrupted twice", extra={"message_id": str(stuck.id)})
            return 1
        log.warning("resuming an interrupted delivery", extra={"message_id": str(stuck.id)})
        return self._attempt(message)

    def _attempt(self, message: Message) -> int:
        channel = message.channel.value
        extra = {"message_id": str(message.id), "channel": channel, "attempt": message.attempts}
        if message.composition.to == ERASED:  # erased while queued: nobody to send it to, ever
            self.letters.discard(message.id)  # nor a file of an earlier attempt to keep
            self._fail(message, "the recipient's personal data was erased", True)
            return 1
        try:
            outgoing = self._outgoing(message)
            transport = self.transports.for_channel(channel)
            transport_id = transport.send(outgoing)
        except DeliveryError as error:
            log.warning("delivery failed", extra={**extra, "error": str(error)})
            self._fail(message, str(error), error.permanent)
            return 1
        except Exception as error:  # rendering the letter, or a bug: this attempt failed
            log.exception("delivery failed", extra=extra)
            self._fail(message, f"{type(error).__name__}: {error}", False)
            return 1
        command = RecordSent(
            message=message.id, attempt=message.attempts, transport=transport.name, transport_id=transport_id
        )
        self._execute(record_sent, command)
        wrote_files = message.needs_pdf or transport.name == OutboxTransport.name
        if wrote_files and self.letters.is_erased(message):  # erased while under way: its files go too
            self.letters.discard(message.id)
        log.info("message sent", extra={**extra, "transport": transport.name})
        return 1

    def _fail(self, message: Message, error: str, permanent: bool) -> None:
        command = RecordFailed(message=message.id, attempt=message.attempts, error=error, permanent=permanent)
        self._execute(record_failed, command)

    # -- what goes out -------------------------------------------------------------------------

    def _outgoing(self, message: Message) -> Outgoing:
        c = message.composition
        pdf, pdf_name = None, None
        if message.needs_pdf:
            pdf = self._pdf(message)
            pdf_name = f"{c.attach_letter.template if c.attach_letter else c.template or 'letter'}.pdf"
        return Outgoing(
            id=message.id,
            channel=c.channel.value,
            to=c.to,
            subject=c.subject,
            body=c.body,
            queued_at=message.queued_at,
            mail_from=self.ports.settings.mail_from,
            pdf=pdf,
            pdf_name=pdf_name,
            list_unsubscribe=c.list_unsubscribe,
            tracking_pixel=c.tracking_pixel,
        )

    def _pdf(self, message: Message) -> bytes:
        """The letter's PDF: rendered once, stored by its hash and recorded; a later attempt (or a
        resumed one) sends the very same bytes."""
        if message.pdf_sha256 and self.blobs.exists(message.pdf_sha256):
            with self.blobs.open(message.pdf_sha256) as stored:
                return stored.read()
        pdf = self.letters.render(message)
        sha256 = self.blobs.put_bytes(pdf)
        if message.pdf_sha256 is None:
            rendered = RecordLetterRendered(message=message.id, sha256=sha256, size=len(pdf))
            self._execute(record_letter_rendered, rendered)
        return pdf

    # -- plumbing ------------------------------------------------------------------------------

    def _load(self, message_id: UUID) -> Message:
        message = self.ports.store.get(message_id)
        assert isinstance(message, Message)
        return message

    def _execute(self, handler: Callable[[Any, CommandContext], Result], command: Any) -> Result:
        return self.ports.execute(handler, command, Request(actor=ACTOR, now=self.now()))

    # -- the background thread -----------------------------------------------------------------

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="message-sender", daemon=True)
        self._thread.start()

    def wake(self, _position: int | None = None) -> None:
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self.run_once() > 0
            except Exception:  # a lost connection: log, back off, go on
                log.exception("sender round failed; retrying")
                busy = False
            if not busy:
                self._wake.wait(self.poll_interval)
                self._wake.clear()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=60)
            self._thread = None
