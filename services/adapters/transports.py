"""How messages leave the building: SMTP, an SMS HTTP gateway, or the outbox directory.

Every transport gets the message's stable idempotency key (the e-mail's ``Message-ID``, the SMS
gateway's ``id``), the same on every attempt, so that a message sent again after a crash can be
recognised as a duplicate by whoever receives it."""

from __future__ import annotations

import html
import os
import re
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit
from uuid import UUID

import httpx

TIMEOUT = 30.0


class DeliveryError(Exception):
    """The transport did not take the message. ``permanent``: trying again cannot help."""

    def __init__(self, detail: str, permanent: bool = False) -> None:
        super().__init__(detail)
        self.permanent = permanent


@dataclass(frozen=True)
class Outgoing:
    id: UUID
    channel: str
    to: str
    subject: str
    body: str
    queued_at: datetime
    mail_from: str
    pdf: bytes | None = None
    pdf_name: str | None = None
    list_unsubscribe: str | None = None
    tracking_pixel: str | None = None

    @property
    def message_id(self) -> str:
        """The e-mail's Message-ID: derived from the message's id, the same on every attempt."""
        domain = self.mail_from.rpartition("@")[2] or "counterparty.local"
        return f"<{self.id}@{domain}>"


class Transport(Protocol):
    name: str

    def send(self, message: Outgoing) -> str | None:
        """Hands the message over; returns the transport's id for it, or raises DeliveryError."""


def build_email(message: Outgoing) -> EmailMessage:
    """The e-mail as it goes out: the headers (Date is the time it was queued, so a resent copy is
    byte for byte the first), the text, and the letter's PDF when there is one.

    A mailing's e-mail also carries List-Unsubscribe with the one-click POST of RFC 8058, and,
    when it is tracked, an HTML alternative of the same text that shows the tracking image."""
    mail = EmailMessage()
    mail["From"] = message.mail_from
    mail["To"] = message.to
    mail["Subject"] = message.subject
    mail["Date"] = format_datetime(message.queued_at)
    mail["Message-ID"] = message.message_id
    mail["X-Counterparty-Channel"] = message.channel
    if message.list_unsubscribe:
        mail["List-Unsubscribe"] = f"<{message.list_unsubscribe}>"
        mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    mail.set_content(message.body)
    if message.tracking_pixel:
        mail.add_alternative(_tracked_html(message.body, message.tracking_pixel), subtype="html")
    if message.pdf is not None:
        mail.add_attachment(message.pdf, maintype="application", subtype="pdf", filename=message.pdf_name)
    return mail


def _tracked_html(text: str, pixel: str) -> str:
    linked = _URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', html.escape(text, quote=False))
    image = f'<img src="{html.escape(pixel)}" width="1" height="1" alt="" style="display:block">'
    return f'<!doctype html>\n<html><body><div style="white-space:pre-wrap">{linked}</div>{image}</body></html>\n'


_URL = re.compile(r"https?://[^\s<>\"]+")


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


class OutboxTransport:
    """The default: nothing leaves the machine. Each message is written to ``<data dir>/outbox``:
    e-mails and SMS as ``<id>.eml``, the PDF of a letter (or of an e-mail's attached letter) as
    ``<id>.pdf``. Writing the same message again overwrites the same files."""

    name = "outbox"

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def send(self, message: Outgoing) -> str | None:
        try:
            if message.pdf is not None:
                _write(self.directory / f"{message.id}.pdf", message.pdf)
            if message.channel == "letter":
                return f"{message.id}.pdf"
            _write(self.directory / f"{message.id}.eml", bytes(build_email(message)))
        except OSError as error:
            raise DeliveryError(f"outbox: {error}") from error
        return f"{message.id}.eml"


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    user: str | None
    password: str | None
    implicit_tls: bool

    @classmethod
    def parse(cls, url: str) -> SmtpServer:
        """``smtp://user:pass@host:port`` (STARTTLS when the server offers it) or ``smtps://…``."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("CPTY_SMTP_URL is smtp://user:pass@host:port or smtps://…")
        implicit = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if implicit else 25),
            user=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            implicit_tls=implicit,
        )


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else value


class SmtpTransport:
    name = "smtp"

    def __init__(self, url: str, timeout: float = TIMEOUT) -> None:
        self.server = SmtpServer.parse(url)
        self.timeout = timeout

    def _connect(self) -> smtplib.SMTP:
        s = self.server
        if s.implicit_tls:
            return smtplib.SMTP_SSL(s.host, s.port, timeout=self.timeout, context=ssl.create_default_context())
        smtp = smtplib.SMTP(s.host, s.port, timeout=self.timeout)
        smtp.ehlo()
        if smtp.has_extn("starttls"):
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        return smtp

    def send(self, message: Outgoing) -> str | None:
        if message.channel != "email":
            raise DeliveryError(f"SMTP does not carry {message.channel}", permanent=True)
        mail = build_email(message)
        try:
            with self._connect() as smtp:
                if self.server.user:
                    smtp.login(self.server.user, self.server.password or "")
                smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as error:
            codes = "; ".join(f"{code} {_text(text)}" for code, text in error.recipients.values())
            raise DeliveryError(f"smtp: recipient refused: {codes}") from error
        except smtplib.SMTPResponseException as error:
            raise DeliveryError(f"smtp: {error.smtp_code} {_text(error.smtp_error)}") from error
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryError(f"smtp: {type(error).__name__}: {error}") from error
        return message.message_id


class SmsGatewayTransport:
    """POSTs ``{"to", "text", "id"}`` as JSON to ``CPTY_SMS_URL``; any 2xx answer means sent. The
    gateway may drop a repeated ``id``."""

    name = "sms"

    def __init__(self, url: str, timeout: float = TIMEOUT) -> None:
        self.url = url
        self.timeout = timeout

    def send(self, message: Outgoing) -> str | None:
        if message.channel != "sms":
            raise DeliveryError(f"the SMS gateway does not carry {message.channel}", permanent=True)
        payload = {"to": message.to, "text": message.body, "id": str(message.id)}
        try:
            response = httpx.post(self.url, json=payload, timeout=self.timeout)
        except httpx.HTTPError as error:
            raise DeliveryError(f"sms gateway: {type(error).__name__}: {error}") from error
        if not 200 <= response.status_code < 300:
            raise DeliveryError(f"sms gateway: HTTP {response.status_code} {response.text[:200]}")
        return str(message.id)


@dataclass
class Transports:
    """Which transport carries which channel: SMTP or the outbox for e-mail, the gateway or the
    outbox for SMS; letters are printed, that is written to the outbox as PDF."""

    email: Transport
    sms: Transport
    letter: Transport

    @classmethod
    def from_settings(cls, data_dir: Path, smtp_url: str | None, sms_url: str | None) -> Transports:
        outbox = OutboxTransport(data_dir / "outbox")
        return cls(
            email=SmtpTransport(smtp_url) if smtp_url else outbox,
            sms=SmsGatewayTransport(sms_url) if sms_url else outbox,
            letter=outbox,
        )

    def for_channel(self, channel: str) -> Transport:
        transport: Transport = getattr(self, channel)
        return transport
