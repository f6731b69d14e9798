"""The files of letters: a message's letter rendered as PDF, and the removal of the files that
hold an erased data subject's personal data.

The sender renders a letter (or the letter attached to an e-mail) once, stores its bytes by their
hash and records it: what was sent is evidence. Those bytes show the recipient and the text, the
recipient's personal data, which the log keeps encrypted and erasure shreds; a file cannot be
shredded that way. So an erasure deletes the stored PDFs of its subjects' messages and the
outbox's copies of them (``<id>.pdf``, ``<id>.eml``), and a letter of an erased subject is
rendered again when it is read, from the message as it reads now ("[erased]" recipient and text;
the date, subject and payment reference as sent), never stored."""

from __future__ import annotations

import contextlib
import logging
from uuid import UUID

from aggregates.errors import NotFound
from aggregates.message import Channel, Message
from projections.catalog import Catalog
from queries.company import company_profile
from queries.documents import DocumentQueries
from queries.messages import MessageQueries
from queries.partners import PartnerQueries
from queries.settings import SettingsQueries
from services.adapters.blobs import BlobStore
from services.adapters.pdf import letter_pdf, seller_block
from services.adapters.store import EventStore
from services.settings import Settings

log = logging.getLogger("counterparty.letters")


class Letters:
    def __init__(self, store: EventStore, catalog: Catalog, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.blobs = BlobStore(settings.blob_dir)
        self.outbox = settings.data_dir / "outbox"
        self.messages = MessageQueries(catalog)
        self.documents = DocumentQueries(catalog)
        self.partners = PartnerQueries(catalog)
        self.people = SettingsQueries(catalog)

    def render(self, message: Message) -> bytes:
        """The letter's PDF from the message as it reads now."""
        c = message.composition
        on = message.queued_at.astimezone(self.settings.zone).date()
        seller = seller_block(company_profile(self.store), self.blobs)
        about = self._about(message)
        if c.channel is Channel.LETTER:
            return letter_pdf(c.to, c.subject, c.body, on, c.language, seller, *about)
        assert c.attach_letter is not None
        letter = c.attach_letter
        return letter_pdf(letter.recipient, letter.subject, letter.body, on, c.language, seller, *about)

    def _about(self, message: Message) -> tuple[str | None, str | None]:
        """The payment reference (the numbers of the documents the letter is about) and the
        full name of the sales rep who answers for it (the documents', else the partner's)."""
        rows = []
        for document in message.composition.documents:
            with contextlib.suppress(NotFound):
                rows.append(self.documents.row(str(document)))
        reference = ", ".join(r["number"] for r in rows if r["number"]) or None
        rep = next((r["sales_rep"] for r in rows if r["sales_rep"]), None)
        if rep is None:
            with contextlib.suppress(NotFound):
                rep = next(iter(self.partners.get(str(message.composition.partner))["sales_reps"]), None)
        return reference, self.people.full_name(rep)

    def is_erased(self, message: Message) -> bool:
        """Whether the message's recipient (its contact, else its partner) was erased."""
        c = message.composition
        return self.store.keys.is_erased(str(c.contact or c.partner))

    def pdf(self, message_id: UUID) -> bytes | None:
        """The letter's PDF as it may be shown: the stored one, or, once its recipient is erased,
        one rendered anew (its stored file, if one was left behind, is deleted then). None when
        the letter has not been rendered."""
        message = self.store.get(message_id)
        assert isinstance(message, Message)
        if message.pdf_sha256 is None:
            return None
        if self.is_erased(message):
            self._delete(str(message.id), message.pdf_sha256)
            return self.render(message)
        if not self.blobs.exists(message.pdf_sha256):
            return None
        with self.blobs.open(message.pdf_sha256) as stored:
            return stored.read()

    def shred(self, subjects: list[str]) -> None:
        """Deletes the files of the subjects' messages (the store calls it after an erasure; asking
        for the erasure again deletes what a failure here left)."""
        for message_id, sha256 in self.messages.of_subjects(subjects):
            self._delete(message_id, sha256)

    def discard(self, message_id: UUID) -> None:
        """Deletes the files of one message of an erased recipient, as the log knows them now (the
        sender, for a letter it rendered or sent while the erasure was being recorded)."""
        message = self.store.get(message_id)
        assert isinstance(message, Message)
        self._delete(str(message_id), message.pdf_sha256)

    def _delete(self, message_id: str, sha256: str | None) -> None:
        paths = [self.outbox / f"{message_id}.pdf", self.outbox / f"{message_id}.eml"]
        if sha256:
            paths.append(self.blobs.path(sha256))
        for path in paths:
            try:
                path.unlink(missing_ok=True)
            except OSError:
                log.exception("could not delete an erased subject's file", extra={"message_id": message_id})
