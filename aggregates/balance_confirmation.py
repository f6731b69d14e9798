"""Balance confirmations: a series sent to every partner with open items at a date, and each
partner's confirmation, which the customer confirms or disputes once.

A series is prepared like a mailing: the read side plans it (the partners with their open items
as of the date, in partner order), and the series records the plan batch by batch
(``BalanceConfirmationsQueued``), each batch in one transaction with its confirmations and their
messages. Confirmation and message ids derive from the series and the partner, and a resumed
preparation starts after the last recorded partner (``cursor``), so a crash between batches
loses nothing and sends nobody a confirmation twice."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from uuid import UUID

from aggregates.base import Aggregate, CreatedEvent, DomainEvent, Value, event, natural_id
from aggregates.errors import conflict
from aggregates.money import ZERO


class ConfirmationChannel(Enum):
    EMAIL = "email"
    LETTER = "letter"


class Answer(Enum):
    CONFIRMED = "confirmed"
    DISPUTED = "disputed"


class ConfirmedItem(Value):
    """An item open at the date, with what was open of it then, in its currency (None in the
    confirmations sent before items carried it: the confirmation's currency)."""

    item: UUID
    kind: str
    document: UUID | None
    number: str | None
    due_date: date
    amount: Decimal
    open_amount: Decimal
    currency: str | None = None


class CurrencyTotal(Value):
    """What the confirmed items of one currency total: amounts of two currencies never add up."""

    currency: str
    total: Decimal


def totals_by_currency(items: tuple[ConfirmedItem, ...], first: str) -> tuple[CurrencyTotal, ...]:
    """The items' open amounts summed per currency: ``first`` (the partner's currency) leads if
    the partner owes in it, the others follow by code."""
    sums: dict[str, Decimal] = {}
    for i in items:
        currency = i.currency or first
        sums[currency] = sums.get(currency, ZERO) + i.open_amount
    order = sorted(sums, key=lambda c: (c != first, c))
    return tuple(CurrencyTotal(currency=c, total=sums[c]) for c in order)


class BalanceConfirmationSeriesStarted(CreatedEvent):
    TOPIC = "counterparty.balance_confirmation.BalanceConfirmationSeriesStarted.v1"
    as_of: date
    # Empty partners and groups: every partner with open items at the date.
    partners: tuple[UUID, ...]
    groups: tuple[str, ...]
    channel: ConfirmationChannel
    template: str | None
    at: datetime


class BalanceConfirmationsQueued(DomainEvent):
    TOPIC = "counterparty.balance_confirmation.BalanceConfirmationsQueued.v1"
    batch: int
    confirmations: tuple[UUID, ...]
    cursor: str


class BalanceConfirmationSeriesCompleted(DomainEvent):
    """Every confirmation of the series is sent (queued for the sender)."""

    TOPIC = "counterparty.balance_confirmation.BalanceConfirmationSeriesCompleted.v1"
    confirmations: int
    at: datetime


class BalanceConfirmationSent(CreatedEvent):
    """A numbered confirmation of the partner's open items at ``as_of``, sent as ``message``.
    ``totals`` sums them per currency; ``currency`` and ``total`` are its first (one currency only
    in the confirmations sent before ``totals``, which hold none)."""

    TOPIC = "counterparty.balance_confirmation.BalanceConfirmationSent.v1"
    series: UUID
    number: str
    partner: UUID
    as_of: date
    channel: ConfirmationChannel
    currency: str
    items: tuple[ConfirmedItem, ...]
    total: Decimal
    totals: tuple[CurrencyTotal, ...] = ()
    message: UUID
    on: date


class BalanceConfirmationConfirmed(DomainEvent):
    TOPIC = "counterparty.balance_confirmation.BalanceConfirmationConfirmed.v1"
    comment: str
    # "portal" when the customer answered there, else the clerk who recorded the answer.
    by: str
    on: date


class BalanceConfirmationDisputed(DomainEvent):
    TOPIC = "counterparty.balance_confirmation.BalanceConfirmationDisputed.v1"
    comment: str
    by: str
    on: date


def series_id_for(as_of: date, partners: tuple[UUID, ...], groups: tuple[str, ...], channel: str) -> UUID:
    """The same request names the same series: posting it again resumes it, never starts another."""
    scope = ",".join(sorted(str(p) for p in partners)) + "|" + ",".join(sorted(groups))
    return natural_id("balance-confirmation-series", as_of, channel, scope)


def confirmation_id_for(series: UUID, partner: UUID) -> UUID:
    return natural_id("balance-confirmation", series, partner)


def message_id_for(confirmation: UUID) -> UUID:
    return natural_id("balance-confirmation-message", confirmation)


class BalanceConfirmationSeries(Aggregate):
    TOPIC = "counterparty.balance_confirmation.BalanceConfirmationSeries"
    SNAPSHOT_EVERY = 50

    as_of: date
    partners: tuple[UUID, ...]
    groups: tuple[str, ...]
    channel: ConfirmationChannel
    template: str | None
    batches: int
    cursor: str
    sent: int
    completed_at: datetime | None

    @classmethod
    def start(
        cls,
        id: UUID,
        as_of: date,
        partners: tuple[UUID, ...],
        groups: tuple[str, ...],
        channel: ConfirmationChannel,
        template: str | None,
        at: datetime,
    ) -> BalanceConfirmationSeries:
        return cls._create(
            BalanceConfirmationSeriesStarted,
            id=id,
            as_of=as_of,
            partners=partners,
            groups=groups,
            channel=channel,
            template=template,
            at=at,
        )

    @event(BalanceConfirmationSeriesStarted)
    def _started(
        self,
        as_of: date,
        partners: tuple[UUID, ...],
        groups: tuple[str, ...],
        channel: ConfirmationChannel,
        template: str | None,
        at: datetime,
    ) -> None:
        self.as_of = as_of
        self.partners = partners
        self.groups = groups
        self.channel = channel
        self.template = template
        self.batches = 0
        self.cursor = ""
        self.sent = 0
        self.completed_at = None

    @property
    def completed(self) -> bool:
        return self.completed_at is not None

    def record_batch(self, batch: int, confirmations: list[UUID], cursor: str) -> None:
        """Two preparers racing on one series offer the same batch number: the store lets one
        record it, the other is refused here when it retries on the fresh state."""
        if self.completed:
            raise conflict("series_completed", "the series' confirmations are all sent")
        if batch != self.batches + 1 or cursor <= self.cursor:
            raise conflict("series_batch_taken", f"batch {batch} of the series was recorded already")
        self._queued(batch=batch, confirmations=tuple(confirmations), cursor=cursor)

    @event(BalanceConfirmationsQueued)
    def _queued(self, batch: int, confirmations: tuple[UUID, ...], cursor: str) -> None:
        self.batches = batch
        self.cursor = cursor
        self.sent += len(confirmations)

    def complete(self, at: datetime) -> None:
        if not self.completed:
            self._completed(confirmations=self.sent, at=at)

    @event(BalanceConfirmationSeriesCompleted)
    def _completed(self, at: datetime) -> None:
        self.completed_at = at


class BalanceConfirmation(Aggregate):
    TOPIC = "counterparty.balance_confirmation.BalanceConfirmation"

    series: UUID
    number: str
    partner: UUID
    as_of: date
    total: Decimal
    answer: Answer | None

    @classmethod
    def send(
        cls,
        id: UUID,
        series: UUID,
        number: str,
        partner: UUID,
        as_of: date,
        channel: ConfirmationChannel,
        currency: str,
        items: tuple[ConfirmedItem, ...],
        message: UUID,
        on: date,
    ) -> BalanceConfirmation:
        """``currency``: the partner's, whose total leads the confirmation's totals."""
        totals = totals_by_currency(items, currency)
        return cls._create(
            BalanceConfirmationSent,
            id=id,
            series=series,
            number=number,
            partner=partner,
            as_of=as_of,
            channel=channel,
            currency=totals[0].currency,
            items=items,
            total=totals[0].total,
            totals=totals,
            message=message,
            on=on,
        )

    @event(BalanceConfirmationSent)
    def _sent(self, series: UUID, number: str, partner: UUID, as_of: date, total: Decimal) -> None:
        self.series = series
        self.number = number
        self.partner = partner
        self.as_of = as_of
        self.total = total
        self.answer = None

    def reply(self, answer: Answer, comment: str, by: str, on: date) -> None:
        """The customer answers once: a second answer, even the same, is refused."""
        if self.answer is not None:
            raise conflict("already_answered", f"confirmation {self.number} was {self.answer.value} already")
        if answer is Answer.CONFIRMED:
            self._confirmed(comment=comment, by=by, on=on)
        else:
            self._disputed(comment=comment, by=by, on=on)

    @event(BalanceConfirmationConfirmed)
    def _confirmed(self) -> None:
        self.answer = Answer.CONFIRMED

    @event(BalanceConfirmationDisputed)
    def _disputed(self) -> None:
        self.answer = Answer.DISPUTED
