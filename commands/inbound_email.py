"""Inbound e-mail: each mail is handled once, by its Message-ID, by the first handler in
``HANDLERS`` that takes it. The order is the policy: a delivery-status notification (a bounce) is
recognised before anything else, then a reply whose subject names a request of the sender's
partner is threaded into it as a public comment, and otherwise a known sender's mail opens a
request. A mail that no handler takes (an unknown sender) is refused and nothing is recorded.

The record of the mail (``InboundEmail``, its id derived from the Message-ID) is saved in the
same transaction as what the handler did, so the same mail delivered again finds it and adds
nothing, also when two deliveries race."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Literal
from uuid import UUID

from pydantic import ConfigDict, Field, StringConstraints

from aggregates.base import Aggregate
from aggregates.errors import Invalid
from aggregates.inbound_email import InboundEmail
from aggregates.request import Request, RequestStatus, Source, Visibility
from commands.context import CommandContext, Result
from commands.mailings import mark_bounced_messages, recognise_bounce
from commands.numbering import claim_owner
from commands.partners import load_partner
from commands.request_types import default_request_type
from commands.requests import REQUEST_NUMBERS, TAG, OpenRequest, add_comment, start_request
from commands.types import Email, Strict

NO_SUBJECT = "(no subject)"


class KnownSender(Strict):
    """Whose address the mail came from, as the partner directory knows it (looked up by the
    caller: commands do not read the read models)."""

    partner: UUID
    contact: UUID | None = None


class EmailFields(Strict):
    """What the mail gateway posts."""

    model_config = ConfigDict(populate_by_name=True)

    sender: Email = Field(alias="from")
    subject: Annotated[str, StringConstraints(max_length=1000)] = ""
    body: Annotated[str, StringConstraints(max_length=100_000)] = ""
    message_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=998)]


class ReceiveEmail(EmailFields):
    known_sender: KnownSender | None = None


# What a handler can have done with a mail; the API answers it as an enum.
InboundAction = Literal["bounced", "commented", "opened"]


@dataclass
class Handled:
    """What a handler did: ``action``, ``ref`` what it acted on, and the aggregates to save."""

    action: InboundAction
    ref: UUID | None
    touched: list[Aggregate] = field(default_factory=list)


Handler = Callable[[ReceiveEmail, CommandContext], Handled | None]


@dataclass(frozen=True)
class Received:
    """How the mail was handled; ``duplicate`` when its Message-ID had been handled before."""

    action: str
    ref: UUID | None
    duplicate: bool = False


def thread_reply(mail: ReceiveEmail, ctx: CommandContext) -> Handled | None:
    """A subject tag naming a request of the sender's partner adds the body as a public comment
    (a closed request reopens). A final request, or a tag of somebody else's request, is left to
    the next handler."""
    sender = mail.known_sender
    if sender is None:
        return None
    for number in TAG.findall(mail.subject):
        owner = claim_owner(ctx, REQUEST_NUMBERS, number)
        request = ctx.find(Request, owner) if owner else None
        if request is None or request.status is RequestStatus.FINAL:
            continue
        if load_partner(ctx, str(request.details.partner)).id != sender.partner:
            continue
        author_of = (sender.partner, sender.contact)
        add_comment(ctx, request, mail.body or mail.subject, Visibility.PUBLIC, mail.sender, Source.EMAIL, author_of)
        return Handled("commented", request.id, [request])
    return None


def open_from_email(mail: ReceiveEmail, ctx: CommandContext) -> Handled | None:
    """A known sender's mail opens a request of the default request type: the subject is the
    subject, the body the description."""
    sender = mail.known_sender
    if sender is None:
        return None
    touched = start_request(
        ctx,
        OpenRequest(
            type=default_request_type(ctx, "by e-mail"),
            partner=str(sender.partner),
            contact=sender.contact,
            subject=mail.subject.strip()[:500] or NO_SUBJECT,
            description=mail.body,
            source=Source.EMAIL,
        ),
    )
    return Handled("opened", touched[0].id, touched)


def record_bounce(mail: ReceiveEmail, ctx: CommandContext) -> Handled | None:
    """A delivery-status notification about our messages marks the delivered ones bounced
    (``ref``: the first of them); it never opens a request, even from a known address."""
    bounce = recognise_bounce(mail.sender, mail.subject, mail.body)
    if bounce is None:
        return None
    bounced = mark_bounced_messages(ctx, bounce)
    return Handled("bounced", bounced[0].id if bounced else None, list(bounced))


# In order: a bounce is recognised before anything else.
HANDLERS: list[Handler] = [record_bounce, thread_reply, open_from_email]


def receive_email(mail: ReceiveEmail, ctx: CommandContext) -> Result:
    """Handles the mail (``Result.detail`` is a ``Received``); the same Message-ID again answers
    what was done the first time and records nothing."""
    existing = ctx.find(InboundEmail, InboundEmail.id_for(mail.message_id))
    if existing is not None:
        return Result(0, existing.ref, detail=Received(existing.action, existing.ref, duplicate=True))
    for handler in HANDLERS:
        handled = handler(mail, ctx)
        if handled is not None:
            known = mail.known_sender
            record = InboundEmail.receive(
                mail.message_id,
                mail.sender,
                mail.subject,
                handled.action,
                handled.ref,
                partner=known.partner if known else None,
                contact=known.contact if known else None,
            )
            position = ctx.save(*handled.touched, record)
            return Result(position, handled.ref, detail=Received(handled.action, handled.ref))
    refusal = Invalid(["body", "from"], f"{mail.sender} is not the e-mail address of a known contact")
    refusal.code = "unknown_sender"
    raise refusal
