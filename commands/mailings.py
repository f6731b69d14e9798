"""Mass mailings: start one, queue its messages batch by batch, complete it; what a recipient's
unsubscribe link does; and recognising a bounce among inbound e-mails.

A mailing is prepared in steps, each one command (one transaction):

1. ``start_mailing`` checks the template and the targets and records the mailing;
2. ``queue_recipients``, once per batch of the plan (``Candidate``s in their ``key`` order), queues
   one message per recipient (id derived from the mailing and the contact) and records who got
   one and who was skipped, together with those messages;
3. ``complete_mailing`` records that every message is queued.

``send_mailing`` runs them all (what POST /v1/mailings and a campaign's launch call), and
``prepare_mailing`` resumes a mailing from its last recorded batch: after a crash the rest of the
plan is queued and nobody gets the mailing twice. The plan comes from the read side through the
``Audience`` protocol (queries/mailings.py implements it)."""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from typing import Annotated, Any, Protocol
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from aggregates.errors import DomainError, Invalid, NotFound, conflict, not_found
from aggregates.interest_area import InterestArea, Subscription
from aggregates.mailing import (
    Mailing,
    MailingRecipient,
    MailingTargets,
    SkippedContact,
    SkipReason,
    message_id_for,
)
from aggregates.message import Message, MessageStatus
from aggregates.template import Channel, Purpose
from commands.batches import Run, prepare_in_batches
from commands.campaigns import load_campaign
from commands.context import CommandContext, ConcurrencyConflict, Result
from commands.messages import QueueMessage, compose_message, load_template
from commands.partner_groups import load_group
from commands.partners import load_partner
from commands.references import named_by
from commands.types import Code, ShortText, Strict

log = logging.getLogger("counterparty.mailings")

# Recipients (and skipped contacts) per transaction: small enough that the sender and the read
# models see progress while a large mailing is prepared, large enough to amortise the commit.
BATCH = 500
GroupCode = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, min_length=1, max_length=80)]
Codes = Annotated[list[ShortText], Field(max_length=200)]


class MailingSpec(Strict):
    """What a caller asks for: the body of POST /v1/mailings, or what a campaign's launch sends.
    ``partners`` are ids or codes; ``documents`` ids or numbers (their partners are targeted)."""

    template: Code
    interest_areas: Codes = Field(default_factory=list)
    groups: Annotated[list[GroupCode], Field(max_length=200)] = Field(default_factory=list)
    tags: Codes = Field(default_factory=list)
    partners: Annotated[
        list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]],
        Field(max_length=10000),
    ] = Field(default_factory=list)
    documents: Annotated[
        list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]],
        Field(max_length=10000),
    ] = Field(default_factory=list)
    campaign: ShortText | None = None


class Candidate(BaseModel):
    """A contact the targets reach, in the plan: a recipient (``reason`` None) or skipped."""

    model_config = ConfigDict(frozen=True)

    contact: UUID
    partner: UUID
    email: str | None = None
    # The targeted interest areas the contact subscribes to (what its unsubscribe link leaves).
    areas: tuple[str, ...] = ()
    reason: SkipReason | None = None

    @property
    def key(self) -> str:
        """The plan's order: by partner, then contact, so a partner's contacts share a batch."""
        return f"{self.partner}/{self.contact}"


class Audience(Protocol):
    """The read side's answer to "who does this reach"."""

    def targets(self, spec: MailingSpec) -> MailingTargets:
        """The spec's references resolved (partner codes, document numbers; 422 if unknown)."""
        ...

    def candidates(self, targets: MailingTargets) -> list[Candidate]:
        """Every contact the targets reach, once, sorted by ``key``, each with its skip reason."""
        ...


@dataclass(frozen=True)
class MailingProgress:
    mailing: UUID
    targets: MailingTargets
    batches: int
    cursor: str
    prepared: bool


def progress_of(mailing: Mailing) -> MailingProgress:
    return MailingProgress(mailing.id, mailing.targets, mailing.batches, mailing.cursor, mailing.prepared)


def load_mailing(ctx: CommandContext, mailing_id: UUID) -> Mailing:
    mailing = ctx.find(Mailing, mailing_id)
    if mailing is None:
        raise not_found("mailing", mailing_id)
    return mailing


def _token() -> tuple[str, str]:
    """A link's random token and the SHA-256 the log keeps of it."""
    token = secrets.token_urlsafe(24)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _message_command(mailing: Mailing, candidate: Candidate, unsubscribe: str, pixel: str) -> QueueMessage:
    return QueueMessage(
        id=message_id_for(mailing.id, candidate.contact),
        channel=Channel.EMAIL,
        purpose=Purpose.CAMPAIGN,
        partner=candidate.partner,
        contact=candidate.contact,
        # The plan's address: never the partner's own, which a contact without one would fall back to.
        to=candidate.email,
        template=mailing.template,
        campaign=mailing.campaign,
        unsubscribe_url=f"{mailing.links}/u/{unsubscribe}",
        tracking_pixel=f"{mailing.links}/t/{pixel}.gif",
    )


# -- starting ----------------------------------------------------------------------------------------


class StartMailing(Strict):
    id: UUID
    template: str
    targets: MailingTargets
    campaign: str | None = None
    links: str
    # A recipient to render the template for first: a template that cannot be rendered refuses
    # the mailing (409 template_render_failed) before anything is recorded.
    sample: Candidate | None = None


def start_mailing(cmd: StartMailing, ctx: CommandContext) -> Result:
    """Records the mailing; one with this id already recorded is answered as it stands."""
    existing = ctx.find(Mailing, cmd.id)
    if existing is not None:
        return Result(ctx.save(), existing.id, progress_of(existing))
    with named_by("body", "template"):
        template = load_template(ctx, cmd.template)
    if template.content.channel is not Channel.EMAIL:
        raise conflict(
            "template_channel_mismatch", f"template {cmd.template} is for {template.content.channel.value}, not email"
        )
    if cmd.targets.reaches_nobody:
        raise Invalid(["body"], "name interest areas, groups, tags, partners or documents to send to")
    for i, area in enumerate(cmd.targets.interest_areas):
        if ctx.find(InterestArea, InterestArea.id_for(area)) is None:
            raise Invalid(["body", "interest_areas", i], f"unknown interest area {area}")
    for i, group in enumerate(cmd.targets.groups):
        with named_by("body", "groups", i):
            load_group(ctx, group)
    if cmd.campaign is not None:
        with named_by("body", "campaign"):
            load_campaign(ctx, cmd.campaign)
    mailing = Mailing.start(cmd.id, template.code, cmd.targets, cmd.campaign, cmd.links.rstrip("/"), ctx.now)
    if cmd.sample is not None:
        render_sample(mailing, cmd.sample, ctx)
    return Result(ctx.save(mailing), mailing.id, progress_of(mailing))


def render_sample(mailing: Mailing, sample: Candidate, ctx: CommandContext) -> None:
    """Renders the mailing's message for one recipient without keeping it: a template that
    cannot be rendered (409 ``template_render_failed``) refuses the command before anything
    is recorded, instead of failing for every recipient afterwards."""
    compose_message(_message_command(mailing, sample, "sample", "sample"), ctx)


# -- queueing, batch by batch --------------------------------------------------------------------------


class QueueRecipients(Strict):
    mailing: UUID
    batch: int
    candidates: Annotated[list[Candidate], Field(min_length=1)]


def queue_recipients(cmd: QueueRecipients, ctx: CommandContext) -> Result:
    """Queues a message for every recipient of the batch and records the batch with them. A
    contact whose message exists already (queued before a crash) is passed over; one whose
    message cannot be made is recorded with the error, and the others are queued."""
    mailing = load_mailing(ctx, cmd.mailing)
    recipients: list[MailingRecipient] = []
    skipped: list[SkippedContact] = []
    messages: list[Message] = []
    wanted = [c for c in cmd.candidates if c.reason is None]
    ctx.expect_new(message_id_for(mailing.id, c.contact) for c in wanted)
    ctx.preload(c.partner for c in wanted)  # the batch's partners in one read, not one load each
    for candidate in cmd.candidates:
        if candidate.reason is not None:
            skipped.append(
                SkippedContact(contact=candidate.contact, partner=candidate.partner, reason=candidate.reason)
            )
            continue
        unsubscribe, unsubscribe_hash = _token()
        pixel, pixel_hash = _token()
        try:
            message = compose_message(_message_command(mailing, candidate, unsubscribe, pixel), ctx)
        except ConcurrencyConflict:
            raise
        except Exception as error:  # one recipient's failure must not stop the batch
            reason = _refusal_reason(error)
            if reason is not None:
                skipped.append(SkippedContact(contact=candidate.contact, partner=candidate.partner, reason=reason))
                continue
            if not isinstance(error, DomainError):
                log.exception("message not made", extra={"mailing": str(mailing.id), "contact": str(candidate.contact)})
            recipients.append(
                MailingRecipient(
                    contact=candidate.contact,
                    partner=candidate.partner,
                    email=candidate.email or "",
                    areas=candidate.areas,
                    error=error.detail if isinstance(error, DomainError) else f"{type(error).__name__}: {error}",
                )
            )
            continue
        if not message.pending_events:
            continue
        messages.append(message)
        recipients.append(
            MailingRecipient(
                contact=candidate.contact,
                partner=message.composition.partner,
                email=message.composition.to,
                areas=candidate.areas,
                message=message.id,
                unsubscribe_hash=unsubscribe_hash,
                pixel_hash=pixel_hash,
            )
        )
    mailing.record_batch(cmd.batch, recipients, skipped, cmd.candidates[-1].key)
    return Result(ctx.save(mailing, *messages), mailing.id, progress_of(mailing))


def _refusal_reason(refusal: Exception) -> SkipReason | None:
    """The contact is gone since the plan was made (removed from its partner)."""
    return SkipReason.INACTIVE if isinstance(refusal, NotFound | Invalid) else None


class CompleteMailing(Strict):
    mailing: UUID


def complete_mailing(cmd: CompleteMailing, ctx: CommandContext) -> Result:
    mailing = load_mailing(ctx, cmd.mailing)
    mailing.complete(ctx.now)
    return Result(ctx.save(mailing), mailing.id, progress_of(mailing))


# -- the whole preparation -----------------------------------------------------------------------------

# Refusals that mean another preparer is (or was) at the same mailing: leave it to them.
TAKEN = frozenset({"mailing_batch_taken", "mailing_prepared", "mailing_cursor_behind"})


def first_recipient(candidates: list[Candidate]) -> Candidate | None:
    return next((c for c in candidates if c.reason is None), None)


def prepare_mailing(
    run: Run,
    audience: Audience,
    progress: MailingProgress,
    candidates: list[Candidate] | None = None,
    batch: int = BATCH,
) -> MailingProgress:
    """Queues the plan after the last recorded batch, then completes the mailing. Without
    ``candidates`` the plan is made again (a resumed mailing: who opted out since is skipped)."""
    if progress.prepared:
        return progress
    if candidates is None:
        candidates = audience.candidates(progress.targets)
    return prepare_in_batches(
        run,
        progress,
        [c for c in candidates if c.key > progress.cursor],
        batch,
        record=lambda now, part: (
            queue_recipients,
            QueueRecipients(mailing=now.mailing, batch=now.batches + 1, candidates=part),
        ),
        complete=lambda now: (complete_mailing, CompleteMailing(mailing=now.mailing)),
        taken=TAKEN,
        log=log,
        what="mailing",
        key=progress.mailing,
    )


def send_mailing(
    run: Run, audience: Audience, spec: MailingSpec, links: str, mailing_id: UUID | None = None, batch: int = BATCH
) -> UUID:
    """Starts a mailing and queues all its messages; answers its id. ``links`` is the public base
    URL of the service (the unsubscribe and tracking links); ``mailing_id`` a caller's id (a
    campaign derives it from itself, so a repeated launch finds the same mailing)."""
    targets = audience.targets(spec)
    candidates = audience.candidates(targets)
    command = StartMailing(
        id=mailing_id or uuid4(),
        template=spec.template,
        targets=targets,
        campaign=spec.campaign,
        links=links,
        sample=first_recipient(candidates),
    )
    progress: MailingProgress = run(start_mailing, command).detail
    prepare_mailing(run, audience, progress, candidates, batch)
    return progress.mailing


# -- a recipient's links ---------------------------------------------------------------------------------


class RecipientLink(Strict):
    """A recipient found by its link's token: the caller looked it up on the read side."""

    mailing: UUID
    contact: UUID
    partner: UUID
    areas: list[str] = Field(default_factory=list)


class UnsubscribeRecipient(RecipientLink):
    # True: leave every mailing, not only the link's interest areas.
    everything: bool = False


def unsubscribe_recipient(cmd: UnsubscribeRecipient, ctx: CommandContext) -> Result:
    """Opts the contact out of the areas the mailing reached it through (dated today), or, when
    it reached the contact through no area or the contact asks so, out of every mailing."""
    mailing = load_mailing(ctx, cmd.mailing)
    partner = load_partner(ctx, str(cmd.partner))
    everything = cmd.everything or not cmd.areas
    touched: list[Any] = [mailing]
    for area in cmd.areas:
        subscription = ctx.find(Subscription, Subscription.id_for(area, cmd.contact))
        if subscription is not None:
            subscription.opt_out(partner.id, ctx.today, "link", mailing.id)
            touched.append(subscription)
    if everything and cmd.contact in partner.contacts:
        partner.opt_out_contact(cmd.contact, ctx.today, "link")
        touched.append(partner)
    mailing.unsubscribe(cmd.contact, partner.id, tuple(cmd.areas), everything, ctx.today)
    return Result(ctx.save(*touched), mailing.id)


class ResubscribeRecipient(RecipientLink):
    """``areas``: those of the link's areas the contact may manage (self-service ones)."""


def resubscribe_recipient(cmd: ResubscribeRecipient, ctx: CommandContext) -> Result:
    """Undoes what the link did: subscribes the self-service areas again, and lifts the opt-out
    from every mailing if it was made through this link."""
    mailing = load_mailing(ctx, cmd.mailing)
    partner = load_partner(ctx, str(cmd.partner))
    touched: list[Any] = [mailing]
    if mailing.resubscribe(cmd.contact, partner.id, tuple(cmd.areas), ctx.today) and cmd.contact in partner.contacts:
        partner.opt_in_contact(cmd.contact, ctx.today, "link")
        touched.append(partner)
    for area in cmd.areas:
        subscription = ctx.find(Subscription, Subscription.id_for(area, cmd.contact))
        if subscription is not None:
            subscription.resubscribe(partner.id, ctx.today, "link")
            touched.append(subscription)
    return Result(ctx.save(*touched), mailing.id)


# -- bounces -------------------------------------------------------------------------------------------

_DAEMON = re.compile(r"^(mailer-daemon|postmaster)@", re.IGNORECASE)
_DSN_SUBJECT = re.compile(
    r"undeliver|delivery status notification|returned mail|delivery (has )?failed|failure notice"
    r"|mail delivery (failed|subsystem)|could not be delivered",
    re.IGNORECASE,
)
_MESSAGE_ID = re.compile(r"<([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})@[^>\s]+>", re.IGNORECASE)
_STATUS = re.compile(r"^status:\s*([245])\.(\d{1,3})\.(\d{1,3})", re.IGNORECASE | re.MULTILINE)
_ACTION = re.compile(r"^action:\s*(\w+)", re.IGNORECASE | re.MULTILINE)
_DIAGNOSTIC = re.compile(r"^diagnostic-code:\s*(?:smtp;\s*)?(.+)$", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Bounce:
    """A delivery-status notification: which of our messages failed (by the Message-ID it quotes
    from the returned headers; ours are ``<message id@domain>``) and why."""

    messages: tuple[UUID, ...]
    reason: str


def recognise_bounce(sender: str, subject: str, body: str) -> Bounce | None:
    """A permanent failure report (RFC 3464, or the plain-text reports mail servers send) from a
    mailer daemon or with a bounce's subject, or None. Delays and other temporary reports
    (``Action: delayed``, status 4.x.x) are not bounces."""
    if not (_DAEMON.match(sender.strip()) or _DSN_SUBJECT.search(subject)):
        return None
    actions = {a.lower() for a in _ACTION.findall(body)}
    statuses = _STATUS.findall(body)
    if (actions and "failed" not in actions) or (statuses and all(s[0] != "5" for s in statuses)):
        return None
    messages = tuple(dict.fromkeys(UUID(m) for m in _MESSAGE_ID.findall(body)))
    if not messages:
        return None
    diagnostic = _DIAGNOSTIC.search(body)
    status = next((".".join(s) for s in statuses if s[0] == "5"), None)
    reason = diagnostic.group(1).strip() if diagnostic else subject.strip() or "bounced"
    return Bounce(messages, f"{status} {reason}" if status else reason)


def mark_bounced_messages(ctx: CommandContext, bounce: Bounce) -> list[Message]:
    """The delivered ones among the bounce's messages, marked bounced (their mailing recipients
    become ``error``); a message not delivered, or bounced already, is left as it is."""
    bounced = []
    for message_id in bounce.messages:
        message = ctx.find(Message, message_id)
        if message is not None and message.status in (MessageStatus.SENT, MessageStatus.READ):
            message.mark_bounced(ctx.now, bounce.reason)
            bounced.append(message)
    return bounced
