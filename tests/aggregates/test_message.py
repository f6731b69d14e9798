"""A message's delivery: started before the send, sent or failed, retried with backoff, failed after
the last attempt, resumed once after a crash; its letter's PDF; read and bounced."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from aggregates.base import DomainEvent
from aggregates.errors import Conflict
from aggregates.message import (
    MAX_ATTEMPTS,
    Composition,
    DeliveryFailed,
    DeliveryStarted,
    LetterRendered,
    Message,
    MessageBounced,
    MessageQueued,
    MessageRead,
    MessageSent,
    MessageStatus,
    RenderedLetter,
    retry_delay,
)
from aggregates.template import Channel, Purpose
from tests.gwt import given, like

ID = UUID("00000000-0000-4000-8000-00000000a001")
PARTNER = UUID("00000000-0000-4000-8000-00000000b001")
T0 = datetime(2026, 1, 15, 6, 0, tzinfo=UTC)
SHA = "a" * 64


def composition(**fields: Any) -> Composition:
    values: dict[str, Any] = {
        "channel": Channel.EMAIL,
        "purpose": Purpose.COLLECTION,
        "partner": PARTNER,
        "to": "ap@acme.test",
        "template": "R1",
        "template_version": 1,
        "subject": "Reminder",
        "body": "Please pay.",
    }
    values.update(fields)
    return Composition(**values)


def queued(**fields: Any) -> MessageQueued:
    return MessageQueued(
        originator_id=ID,
        originator_version=1,
        originator_topic=Message.TOPIC,
        composition=composition(**fields),
        queued_at=T0,
    )


def started(version: int, attempt: int, at: datetime = T0, resumed: bool = False) -> DeliveryStarted:
    return DeliveryStarted(originator_id=ID, originator_version=version, attempt=attempt, at=at, resumed=resumed)


def failed(version: int, attempt: int, at: datetime, retry_at: datetime | None) -> DeliveryFailed:
    return DeliveryFailed(
        originator_id=ID, originator_version=version, attempt=attempt, at=at, error="550 no", retry_at=retry_at
    )


def sent(version: int, attempt: int = 1) -> MessageSent:
    return MessageSent(originator_id=ID, originator_version=version, attempt=attempt, at=T0, transport="smtp")


def letter() -> RenderedLetter:
    return RenderedLetter(template="L2", template_version=1, recipient="Acme", subject="Notice", body="<p>Pay</p>")


# -- queueing ------------------------------------------------------------------------------------


def test_a_queued_message_is_due_at_once() -> None:
    message = given().when(lambda _: Message.queue(ID, composition(), T0)).then(like(MessageQueued, queued_at=T0))
    assert message.status is MessageStatus.QUEUED
    assert message.next_attempt_at == T0
    assert message.attempts == 0
    assert not message.needs_pdf


def test_a_message_needs_somebody_to_go_to() -> None:
    given().when(lambda _: Message.queue(ID, composition(to=" "), T0)).then_raises(Conflict, "no_recipient")


def test_only_an_email_carries_an_attached_letter() -> None:
    sms = composition(channel=Channel.SMS, to="+431234", attach_letter=letter())
    given().when(lambda _: Message.queue(ID, sms, T0)).then_raises(Conflict, "attach_letter_email_only")
    message = given().when(lambda _: Message.queue(ID, composition(attach_letter=letter()), T0)).then(MessageQueued)
    assert message.needs_pdf


# -- one attempt -----------------------------------------------------------------------------------


def test_delivery_is_started_before_the_send_with_the_attempt_number() -> None:
    message = given(queued()).when(lambda m: m.start_delivery(T0)).then(like(DeliveryStarted, attempt=1, resumed=False))
    assert message.status is MessageStatus.SENDING
    assert message.next_attempt_at is None


def test_a_message_in_delivery_cannot_be_started_again() -> None:
    given(queued(), started(2, 1)).when(lambda m: m.start_delivery(T0)).then_raises(Conflict, "message_not_queued")
    given(queued(), started(2, 1), sent(3)).when(lambda m: m.start_delivery(T0)).then_raises(
        Conflict, "message_not_queued"
    )


def test_a_message_is_not_started_before_it_is_due() -> None:
    retry = T0 + timedelta(minutes=5)
    history = [queued(), started(2, 1), failed(3, 1, T0, retry)]
    given(*history).when(lambda m: m.start_delivery(retry - timedelta(seconds=1))).then_raises(
        Conflict, "message_not_due"
    )
    given(*history).when(lambda m: m.start_delivery(retry)).then(like(DeliveryStarted, attempt=2))


def test_sent_is_recorded_once() -> None:
    message = (
        given(queued(), started(2, 1))
        .when(lambda m: m.record_sent(1, T0, "smtp", "<id@x>"))
        .then(like(MessageSent, attempt=1, transport="smtp", transport_id="<id@x>"))
    )
    assert message.status is MessageStatus.SENT
    assert message.sent_at == T0
    given(queued(), started(2, 1), sent(3)).when(lambda m: m.record_sent(1, T0, "smtp")).then()


def test_a_report_for_an_attempt_not_under_way_is_refused() -> None:
    given(queued()).when(lambda m: m.record_sent(1, T0, "smtp")).then_raises(Conflict, "message_not_sending")
    given(queued(), started(2, 1)).when(lambda m: m.record_failed(2, T0, "x")).then_raises(
        Conflict, "message_not_sending"
    )


# -- retries ---------------------------------------------------------------------------------------


def test_backoff_doubles_from_five_minutes() -> None:
    assert [retry_delay(n) for n in range(1, MAX_ATTEMPTS)] == [timedelta(minutes=m) for m in (5, 10, 20, 40)]


def test_a_failed_attempt_is_retried_after_the_backoff() -> None:
    message = (
        given(queued(), started(2, 1))
        .when(lambda m: m.record_failed(1, T0, "550 mailbox unavailable"))
        .then(like(DeliveryFailed, attempt=1, retry_at=T0 + timedelta(minutes=5)))
    )
    assert message.status is MessageStatus.QUEUED
    assert message.next_attempt_at == T0 + timedelta(minutes=5)
    assert message.last_error == "550 mailbox unavailable"


def test_the_message_fails_after_the_last_attempt() -> None:
    history: list[DomainEvent] = [queued()]
    at = T0
    for attempt in range(1, MAX_ATTEMPTS):
        history.append(started(len(history) + 1, attempt, at))
        retry = at + retry_delay(attempt)
        history.append(failed(len(history) + 1, attempt, at, retry))
        at = retry
    history.append(started(len(history) + 1, MAX_ATTEMPTS, at))
    message = (
        given(*history)
        .when(lambda m: m.record_failed(MAX_ATTEMPTS, at, "550 again"))
        .then(like(DeliveryFailed, attempt=MAX_ATTEMPTS, retry_at=None))
    )
    assert message.status is MessageStatus.FAILED
    assert message.next_attempt_at is None
    given(*history, failed(len(history) + 1, MAX_ATTEMPTS, at, None)).when(lambda m: m.start_delivery(at)).then_raises(
        Conflict, "message_not_queued"
    )


def test_a_permanent_failure_is_final_at_once() -> None:
    message = (
        given(queued(), started(2, 1))
        .when(lambda m: m.record_failed(1, T0, "no such channel", permanent=True))
        .then(like(DeliveryFailed, retry_at=None))
    )
    assert message.status is MessageStatus.FAILED


# -- crash recovery ------------------------------------------------------------------------------


def test_an_interrupted_delivery_is_resumed_once_as_the_same_attempt() -> None:
    later = T0 + timedelta(minutes=3)
    message = (
        given(queued(), started(2, 1))
        .when(lambda m: m.resume_delivery(later))
        .then(like(DeliveryStarted, attempt=1, resumed=True, at=later))
    )
    assert message.status is MessageStatus.SENDING
    assert message.attempts == 1


def test_a_second_interruption_ends_the_message_as_failed() -> None:
    message = (
        given(queued(), started(2, 1), started(3, 1, resumed=True))
        .when(lambda m: m.resume_delivery(T0))
        .then(like(DeliveryFailed, attempt=1, retry_at=None))
    )
    assert message.status is MessageStatus.FAILED
    assert "interrupted twice" in (message.last_error or "")


def test_only_a_message_in_delivery_is_resumed() -> None:
    given(queued()).when(lambda m: m.resume_delivery(T0)).then_raises(Conflict, "message_not_sending")
    given(queued(), started(2, 1), sent(3)).when(lambda m: m.resume_delivery(T0)).then_raises(
        Conflict, "message_not_sending"
    )


def test_a_resumed_delivery_that_succeeds_is_sent() -> None:
    given(queued(), started(2, 1), started(3, 1, resumed=True)).when(lambda m: m.record_sent(1, T0, "smtp")).then(
        MessageSent
    )


# -- letters -------------------------------------------------------------------------------------


def test_a_letter_records_its_pdf_hash_once() -> None:
    letter_queued = queued(channel=Channel.LETTER, to="Acme\nMain St 1")
    message = given(letter_queued).when(lambda m: m.record_letter(SHA, 1234)).then(like(LetterRendered, sha256=SHA))
    assert message.pdf_sha256 == SHA
    rendered = LetterRendered(originator_id=ID, originator_version=2, sha256=SHA, size=1234)
    given(letter_queued, rendered).when(lambda m: m.record_letter(SHA, 1234)).then()
    given(letter_queued, rendered).when(lambda m: m.record_letter("b" * 64, 1)).then_raises(
        Conflict, "letter_already_rendered"
    )


def test_an_email_without_a_letter_has_no_pdf() -> None:
    given(queued()).when(lambda m: m.record_letter(SHA, 1)).then_raises(Conflict, "no_letter")
    given(queued(attach_letter=letter())).when(lambda m: m.record_letter(SHA, 1)).then(LetterRendered)


# -- after delivery ------------------------------------------------------------------------------


def test_a_sent_message_can_be_read_once() -> None:
    message = given(queued(), started(2, 1), sent(3)).when(lambda m: m.mark_read(T0)).then(MessageRead)
    assert message.status is MessageStatus.READ
    read = MessageRead(originator_id=ID, originator_version=4, at=T0)
    given(queued(), started(2, 1), sent(3), read).when(lambda m: m.mark_read(T0)).then()
    given(queued()).when(lambda m: m.mark_read(T0)).then_raises(Conflict, "message_not_sent")


@pytest.mark.parametrize("status", ["sent", "read"])
def test_a_delivered_message_can_bounce(status: str) -> None:
    history: list[DomainEvent] = [queued(), started(2, 1), sent(3)]
    if status == "read":
        history.append(MessageRead(originator_id=ID, originator_version=4, at=T0))
    message = (
        given(*history)
        .when(lambda m: m.mark_bounced(T0, "mailbox full"))
        .then(like(MessageBounced, reason="mailbox full"))
    )
    assert message.status is MessageStatus.BOUNCED
    given(queued()).when(lambda m: m.mark_bounced(T0, "x")).then_raises(Conflict, "message_not_sent")
