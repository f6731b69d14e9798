"""Balance confirmations: start a series, send its confirmations batch by batch, complete it; and
the customer's (or a clerk's) answer to one confirmation.

A series is prepared like a mailing (commands/mailings.py), each step one command:

1. ``start_balance_confirmations`` checks the request and records the series; its id derives from
   the request (date, channel, partners, groups), so posting the same request again resumes it;
2. ``send_confirmations``, once per batch of the plan (``Planned`` in partner order), numbers one
   confirmation per partner (id derived from the series and the partner), queues its message and
   records the batch, all in one transaction;
3. ``complete_balance_confirmations`` records that every confirmation is sent.

``prepare_series`` runs 2 and 3 from the last recorded batch: after a crash the rest of the plan
is sent (by the worker's preparer once the series has stalled, services/workers/mailer.py) and
nobody gets a confirmation twice. The plan comes from the read side (``Planner``:
queries/balance_confirmations.py), from the receivables' dated movements, not today's balance."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Protocol
from uuid import UUID

from pydantic import Field, StringConstraints

from aggregates.balance_confirmation import (
    Answer,
    BalanceConfirmation,
    BalanceConfirmationSeries,
    ConfirmationChannel,
    ConfirmedItem,
    confirmation_id_for,
    message_id_for,
    series_id_for,
    totals_by_currency,
)
from aggregates.base import Aggregate
from aggregates.errors import DomainError, Invalid, not_found
from aggregates.message import Message
from aggregates.partner import Partner
from aggregates.template import Channel, Purpose, Template
from commands.balance_confirmation_templates import builtin_template
from commands.batches import Run, prepare_in_batches
from commands.context import CommandContext, ConcurrencyConflict, Result
from commands.documents import not_after_today
from commands.messages import QueueMessage, compose_message, load_template
from commands.numbering import draw_unique
from commands.partner_groups import load_group
from commands.partners import load_partner
from commands.references import named_by
from commands.types import Ref, Strict

log = logging.getLogger("counterparty.balance_confirmations")

# Confirmations per transaction, as a mailing's recipients: progress shows while a series of
# tens of thousands is sent, and each commit carries enough to amortise it.
BATCH = 500
# Confirmation numbers are a namespace of their own: they never name a sales document.
NUMBERS = "balance_confirmation"
PartnerRef = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
GroupCode = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, min_length=1, max_length=80)]


class Planned(Strict):
    """A partner with items open at the date, with their open amounts then (in their currencies)."""

    partner: UUID
    items: Annotated[list[ConfirmedItem], Field(min_length=1)]

    @property
    def key(self) -> str:
        return str(self.partner)


class Planner(Protocol):
    def plan(self, as_of: date, partners: tuple[UUID, ...], groups: tuple[str, ...]) -> list[Planned]:
        """The partners (all, or those named and those in the groups) with items open at the
        date, sorted by ``key``."""
        ...


@dataclass(frozen=True)
class SeriesProgress:
    series: UUID
    as_of: date
    partners: tuple[UUID, ...]
    groups: tuple[str, ...]
    batches: int
    cursor: str
    sent: int
    completed: bool


def progress_of(series: BalanceConfirmationSeries) -> SeriesProgress:
    return SeriesProgress(
        series.id,
        series.as_of,
        series.partners,
        series.groups,
        series.batches,
        series.cursor,
        series.sent,
        series.completed,
    )


def load_series(ctx: CommandContext, series_id: UUID) -> BalanceConfirmationSeries:
    series = ctx.find(BalanceConfirmationSeries, series_id)
    if series is None:
        raise not_found("balance confirmation series", series_id)
    return series


# -- starting ----------------------------------------------------------------------------------------


class StartBalanceConfirmations(Strict):
    as_of: date
    partners: Annotated[list[PartnerRef], Field(max_length=10000)] | None = None
    groups: Annotated[list[GroupCode], Field(max_length=200)] = Field(default_factory=list)
    channel: ConfirmationChannel = ConfirmationChannel.EMAIL
    template: Ref | None = None


def start_balance_confirmations(cmd: StartBalanceConfirmations, ctx: CommandContext) -> Result:
    """Records the series (the request checked: partners, groups, template, a date not after
    today); one recorded already for the same request is answered as it stands."""
    not_after_today(ctx, cmd.as_of, "as_of")
    partners: list[UUID] = []
    for i, ref in enumerate(cmd.partners or []):
        with named_by("body", "partners", i):
            partners.append(load_partner(ctx, ref).id)
    for i, code in enumerate(cmd.groups):
        with named_by("body", "groups", i):
            load_group(ctx, code)
    if cmd.template is not None:
        with named_by("body", "template"):
            template = load_template(ctx, cmd.template)
        if template.content.channel.value != cmd.channel.value:
            raise Invalid(["body", "template"], f"template {cmd.template} is not a {cmd.channel.value} template")
    scope = (tuple(dict.fromkeys(partners)), tuple(dict.fromkeys(cmd.groups)))
    series_id = series_id_for(cmd.as_of, *scope, cmd.channel.value)
    existing = ctx.find(BalanceConfirmationSeries, series_id)
    if existing is not None:
        return Result(ctx.save(), existing.id, progress_of(existing))
    series = BalanceConfirmationSeries.start(series_id, cmd.as_of, *scope, cmd.channel, cmd.template, ctx.now)
    return Result(ctx.save(series), series.id, progress_of(series))


# -- sending, batch by batch ---------------------------------------------------------------------------


class SendConfirmations(Strict):
    series: UUID
    batch: int
    planned: Annotated[list[Planned], Field(min_length=1)]


def confirmation_values(number: str, as_of: date, items: tuple[ConfirmedItem, ...], currency: str) -> dict[str, Any]:
    """What a confirmation's template sees (besides ``partner``, ``contact`` and ``today``): the
    items, their ``totals`` per currency (the partner's ``currency`` first), and the first of them
    as ``currency`` and ``total``."""
    totals = totals_by_currency(items, currency)
    listed = [
        {
            "number": i.number,
            "due_date": i.due_date.isoformat(),
            "amount": str(i.amount),
            "open_amount": str(i.open_amount),
            "currency": i.currency or currency,
        }
        for i in items
    ]
    return {
        "confirmation": {
            "number": number,
            "as_of": as_of.isoformat(),
            "currency": totals[0].currency,
            "items": listed,
            "total": str(totals[0].total),
            "totals": [{"currency": t.currency, "total": str(t.total)} for t in totals],
        }
    }


def _message(
    ctx: CommandContext, series: BalanceConfirmationSeries, partner: Partner, confirmation: UUID, values: dict[str, Any]
) -> Message:
    """The confirmation's e-mail with its letter attached as PDF, or the letter; an e-mail to a
    partner without an address becomes the letter."""
    language = partner.details.language or "en"
    contact = partner.billing_contact()
    channel = Channel(series.channel.value)
    own = series.template
    common: dict[str, Any] = {
        "id": message_id_for(confirmation),
        "purpose": Purpose.DOCUMENT,
        "partner": partner.id,
        "contact": contact.id if contact else None,
        "language": language,
        "variables": values,
    }
    letter = builtin_template(ctx, Channel.LETTER, language)
    if channel is Channel.EMAIL:
        try:
            email = own or builtin_template(ctx, Channel.EMAIL, language)
            return compose_message(
                QueueMessage(channel=Channel.EMAIL, template=email, attach_letter=letter, **common), ctx
            )
        except DomainError as refusal:
            if refusal.code != "no_email":
                raise
        return compose_message(
            QueueMessage(channel=Channel.LETTER, template=letter, fallback_from="email", **common), ctx
        )
    return compose_message(QueueMessage(channel=Channel.LETTER, template=own or letter, **common), ctx)


def send_confirmations(cmd: SendConfirmations, ctx: CommandContext) -> Result:
    """Numbers and sends the batch's confirmations and records the batch with them. A partner
    whose confirmation exists already (sent before a crash) is passed over; one whose message
    cannot be made is logged and left out, and the others are sent."""
    series = load_series(ctx, cmd.series)
    ids = {p.partner: confirmation_id_for(series.id, p.partner) for p in cmd.planned}
    ctx.expect_new([*ids.values(), *(message_id_for(c) for c in ids.values())])
    ctx.preload(ids)  # the batch's partners in one read, not one load each
    touched: list[Aggregate] = []
    sent: list[UUID] = []
    for planned in cmd.planned:
        cid = ids[planned.partner]
        if ctx.find(BalanceConfirmation, cid) is not None:
            continue
        try:
            partner = load_partner(ctx, str(planned.partner))
            number, claimed = draw_unique(ctx, "balance_confirmation", ctx.today, NUMBERS, cid)
            currency = partner.details.currency
            values = confirmation_values(number, series.as_of, tuple(planned.items), currency)
            message = _message(ctx, series, partner, cid, values)
        except ConcurrencyConflict:
            raise
        except DomainError as refusal:  # one partner's failure must not stop the series
            log.warning(
                "balance confirmation not sent",
                extra={
                    "series": str(series.id),
                    "partner": str(planned.partner),
                    "code": refusal.code,
                    "reason": refusal.detail,
                },
            )
            continue
        confirmation = BalanceConfirmation.send(
            cid,
            series.id,
            number,
            planned.partner,
            series.as_of,
            series.channel,
            currency,
            tuple(planned.items),
            message.id,
            ctx.today,
        )
        touched += [*claimed, message, confirmation]
        sent.append(cid)
    series.record_batch(cmd.batch, sent, cmd.planned[-1].key)
    # The built-in templates a first series makes are tracked, not named by any confirmation.
    made = [a for a in ctx.loaded.values() if isinstance(a, Template) and a.pending_events]
    return Result(ctx.save(series, *made, *touched), series.id, progress_of(series))


class CompleteBalanceConfirmations(Strict):
    series: UUID


def complete_balance_confirmations(cmd: CompleteBalanceConfirmations, ctx: CommandContext) -> Result:
    series = load_series(ctx, cmd.series)
    series.complete(ctx.now)
    return Result(ctx.save(series), series.id, progress_of(series))


# -- the whole series ----------------------------------------------------------------------------------

# Another preparer is (or was) at the same series: leave it to them.
TAKEN = frozenset({"series_batch_taken", "series_completed"})


def prepare_series(
    run: Run, planner: Planner, progress: SeriesProgress, planned: list[Planned] | None = None, batch: int = BATCH
) -> SeriesProgress:
    """Sends the plan after the last recorded batch, then completes the series."""
    if progress.completed:
        return progress
    if planned is None:
        planned = planner.plan(progress.as_of, progress.partners, progress.groups)
    return prepare_in_batches(
        run,
        progress,
        [p for p in planned if p.key > progress.cursor],
        batch,
        record=lambda now, part: (
            send_confirmations,
            SendConfirmations(series=now.series, batch=now.batches + 1, planned=part),
        ),
        complete=lambda now: (complete_balance_confirmations, CompleteBalanceConfirmations(series=now.series)),
        taken=TAKEN,
        log=log,
        what="series",
        key=progress.series,
    )


# -- the answer ----------------------------------------------------------------------------------------


class ReplyToConfirmation(Strict):
    confirmation: UUID = Field(exclude=True)
    status: Answer
    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""
    # Set by the portal: the token's partner, whose confirmations alone it may answer.
    portal_partner: UUID | None = Field(None, exclude=True)


def reply_to_confirmation(cmd: ReplyToConfirmation, ctx: CommandContext) -> Result:
    """Records the answer once (409 ``already_answered`` for a second one)."""
    confirmation = ctx.find(BalanceConfirmation, cmd.confirmation)
    if confirmation is None or (cmd.portal_partner is not None and confirmation.partner != cmd.portal_partner):
        raise not_found("balance confirmation", cmd.confirmation)
    by = "portal" if cmd.portal_partner is not None else ctx.actor
    confirmation.reply(cmd.status, cmd.comment, by, ctx.today)
    return Result(ctx.save(confirmation), confirmation.id)
