"""A mailing end to end on both stores, through a real SMTP server on loopback (aiosmtpd): what
arrives (one e-mail per recipient, To, Subject, List-Unsubscribe), the unsubscribe link fetched
from a received e-mail, and a crash in the middle of the preparation and the delivery: after the
restart the preparer finishes the mailing and nobody gets it twice."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import pytest

from commands.interest_areas import CreateInterestArea, Subscribe, create_interest_area, subscribe
from commands.mailings import MailingSpec, queue_recipients, send_mailing
from commands.messages import CreateTemplate, create_template
from commands.partners import AddContact, RegisterPartner, add_contact, register_partner
from queries.mailings import MailingQueries
from queries.pages import PageRequest
from services.adapters.transports import Transports
from services.bootstrap.container import Container
from services.settings import Settings
from services.workers.mailer import MailingPreparer
from services.workers.sender import Sender
from tests.conftest import http_client, open_container
from tests.integration.test_sender import Mailbox, smtp  # noqa: F401 - the fixture

PUBLIC = "https://crm.example.test"
ALL = PageRequest(limit=500)


@pytest.fixture
def mail_settings(settings: Settings) -> Settings:
    settings.public_url = PUBLIC
    return settings


def world(c: Container) -> dict[str, str]:
    """Five recipients over two partners and the area NEWS; the e-mail addresses by contact."""
    c.execute(create_interest_area, CreateInterestArea(code="NEWS", name="Newsletter"))
    c.execute(
        create_template,
        CreateTemplate(
            code="NEWS-MAIL",
            channel="email",
            purpose="campaign",
            subject="Spring news for {{ partner.name }}",
            body="Dear {{ contact.name }},\nspring is here.\n",
        ),
    )
    emails = {}
    for code, names in (("A", ["Ann", "Abe", "Ada"]), ("B", ["Bob", "Bea"])):
        partner = c.execute(register_partner, RegisterPartner(name=f"{code} Ltd", code=code)).id
        for name in names:
            address = f"{name.lower()}@{code.lower()}.test"
            contact = c.execute(add_contact, AddContact(partner=code, name=name, email=address)).id
            assert contact is not None and partner is not None
            emails[str(contact)] = address
            if code == "B":
                c.execute(subscribe, Subscribe(area="NEWS", contact=contact, partner=partner))
    c.runner.drain()
    return emails


def run_as(c: Container) -> Any:
    return lambda handler, command: c.execute(handler, command)


def deliver(c: Container, url: str) -> int:
    sender = Sender(c.ports, Transports.from_settings(c.settings.data_dir, url, None))
    total = 0
    while True:
        c.runner.drain()
        done = sender.run_once()
        total += done
        if not done:
            c.runner.drain()
            return total


SPEC = MailingSpec(template="NEWS-MAIL", partners=["A"], interest_areas=["NEWS"])


def test_a_mailing_arrives_once_per_recipient_with_a_working_unsubscribe_link(
    mail_settings: Settings,
    smtp: tuple[Mailbox, str],  # noqa: F811
) -> None:
    box, url = smtp
    c = open_container(mail_settings)
    try:
        emails = world(c)
        mailing = send_mailing(run_as(c), MailingQueries(c.catalog), SPEC, c.settings.public_url)
        assert deliver(c, url) == 5

        assert sorted(m["To"] for m in box.received) == sorted(emails.values())
        assert len({m["Message-ID"] for m in box.received}) == 5
        by_to = {m["To"]: m for m in box.received}
        bea = by_to["bea@b.test"]
        assert bea["Subject"] == "Spring news for B Ltd"
        assert bea["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        unsubscribe = re.fullmatch(
            r"<(https://crm\.example\.test/u/[A-Za-z0-9_-]{32})>", bea["List-Unsubscribe"].strip()
        )
        assert unsubscribe, bea["List-Unsubscribe"]
        text = bea.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
        # The template does not show the link: it is appended.
        assert (
            text == f"Dear Bea,\nspring is here.\n\n--\nTo receive no more of these e-mails: {unsubscribe.group(1)}\n"
        )
        html = bea.get_body(preferencelist=("html",)).get_content()
        assert re.search(r'<img src="https://crm\.example\.test/t/[A-Za-z0-9_-]{32}\.gif"', html)

        with http_client(c) as client:
            client.headers.pop("Authorization")
            page = client.get(urlsplit(unsubscribe.group(1)).path)
            assert page.status_code == 200 and "Newsletter" in page.text
        statuses = {r["email"]: r["status"] for r in MailingQueries(c.catalog).recipients(str(mailing), ALL)["items"]}
        assert statuses == {**dict.fromkeys(emails.values(), "sent"), "bea@b.test": "unsubscribed"}
    finally:
        c.close()


class Crash(Exception):
    """The process dies."""


@pytest.mark.postgres
def test_a_restart_in_the_middle_of_a_mailing_sends_nobody_anything_twice(
    mail_settings: Settings,
    smtp: tuple[Mailbox, str],  # noqa: F811
) -> None:
    box, url = smtp
    first = open_container(mail_settings)
    try:
        emails = world(first)
        batches = 0

        def dies_after_one_batch(handler: Any, command: Any) -> Any:
            nonlocal batches
            if handler is queue_recipients:
                batches += 1
                if batches == 2:
                    raise Crash()
            return first.execute(handler, command)

        with pytest.raises(Crash):
            send_mailing(dies_after_one_batch, MailingQueries(first.catalog), SPEC, PUBLIC, batch=2)
        assert deliver(first, url) == 2  # the first batch went out before the crash
    finally:
        first.close()

    second = open_container(mail_settings)
    try:
        queries = MailingQueries(second.catalog)
        (summary,) = queries.mailings(ALL)["items"]
        assert (summary["status"], summary["recipients"], summary["sent"]) == ("preparing", 2, 2)
        # Within the lease nobody touches it (its preparer may just be slow) ...
        assert MailingPreparer(second.ports).run_once() == 0
        # ... past it the preparer finishes the plan from the last recorded batch.
        later = MailingPreparer(second.ports, wall=lambda: datetime.now(UTC) + timedelta(minutes=3))
        assert later.run_once() == 1
        second.runner.drain()
        assert later.run_once() == 0
        assert deliver(second, url) == 3

        assert sorted(m["To"] for m in box.received) == sorted(emails.values())
        mailing = queries.get(summary["id"])
        assert (mailing["status"], mailing["recipients"], mailing["sent"], mailing["skipped"]) == ("done", 5, 5, [])
        assert mailing["counts"]["sent"] == 5
        assert {UUID(r["contact"]) for r in queries.recipients(summary["id"], ALL)["items"]} == {
            UUID(k) for k in emails
        }
    finally:
        second.close()
