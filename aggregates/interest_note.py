"""Interest notes: interest for a partner's lateness in a period, on invoices paid late and on those
still overdue at its end, never charging an invoice's day twice (API.md, "Deliveries, balance
confirmations and interest notes").

One ledger per partner holds its notes and, per invoice, the days they charged: two notes issued at
once are serialised by its stream and can never charge a day twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

from aggregates.account import Account, ItemKind, ItemStatus, OpenItem, Settled
from aggregates.base import Aggregate, CreatedEvent, DomainEvent, Value, event, natural_id
from aggregates.errors import conflict
from aggregates.money import HUNDRED, ZERO, cents

DAY = timedelta(days=1)
YEAR = Decimal(365)


class Span(Value):
    """Days of an invoice's lateness charged, ``first`` to ``last`` inclusive."""

    first: date
    last: date

    def days(self) -> set[date]:
        return {self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)}


class LatePart(Value):
    """Money of an invoice that was late: paid on ``paid_on``, or still open at the period's end
    (``paid_on`` None), and the days of the period it is charged for."""

    amount: Decimal
    paid_on: date | None
    days: int


class InterestLine(Value):
    invoice: UUID
    number: str | None
    due_date: date
    amount: Decimal  # the late money: the parts' sum
    days: int  # the invoice's days charged
    interest: Decimal
    parts: tuple[LatePart, ...]
    charged: tuple[Span, ...]


class InterestLedgerOpened(CreatedEvent):
    TOPIC = "counterparty.interest.InterestLedgerOpened.v1"
    partner: UUID


class InterestNoteIssued(DomainEvent):
    """A numbered note charging ``total`` (booked as receivable ``item`` of kind interest) for the
    lines' invoices; each line's ``charged`` spans are the days no later note charges again.
    ``level`` names the collection level that issued it, if one did."""

    TOPIC = "counterparty.interest.InterestNoteIssued.v1"
    note: UUID
    number: str
    partner: UUID
    period_from: date
    period_to: date
    annual_rate: Decimal
    currency: str
    lines: tuple[InterestLine, ...]
    total: Decimal
    item: UUID
    level: int | None = None
    on: date


@dataclass(frozen=True)
class Late:
    """One invoice's facts: its receivable, what is open of it now, the money that reached it, the
    days charged already."""

    item: OpenItem
    open_now: Decimal
    settlements: list[Settled]
    charged: list[Span]


def collection_spans(account: Account, invoice: UUID, due_date: date) -> list[Span]:
    """Collection's ``interest`` action charges an invoice's open amount for every day from its
    due date to the run date: those days are charged."""
    return [
        Span(first=due_date + DAY, last=item.booked_on)
        for item in account.items.values()
        if item.kind is ItemKind.INTEREST and item.document == invoice and item.booked_on > due_date
    ]


def days_not_charged(due_date: date, day: date, charged: list[Span]) -> int:
    """Collection's ``interest`` action is due for the days from the day after the due date to its
    run date; those an interest note charged already are not charged again."""
    if day <= due_date:
        return 0
    return len(Span(first=due_date + DAY, last=day).days().difference(*(span.days() for span in charged)))


def late_invoices(account: Account, currency: str, noted: dict[UUID, list[Span]]) -> list[Late]:
    """The partner's invoices in ``currency`` (not cancelled), with the days charged on them by
    collection and by earlier notes."""
    return [
        Late(
            item=item,
            open_now=account.open.get(item_id, ZERO),
            settlements=account.settlements.get(item_id, []),
            charged=collection_spans(account, item.item_id, item.due_date) + noted.get(item.item_id, []),
        )
        for item_id, item in account.items.items()
        if item.kind is ItemKind.INVOICE
        and item.currency == currency
        and account.status.get(item_id) is not ItemStatus.CANCELLED
    ]


def _spans(days: set[date]) -> tuple[Span, ...]:
    spans: list[Span] = []
    for day in sorted(days):
        if spans and spans[-1].last + DAY == day:
            spans[-1] = Span(first=spans[-1].first, last=day)
        else:
            spans.append(Span(first=day, last=day))
    return tuple(spans)


def interest_line(late: Late, period_from: date, period_to: date, annual_rate: Decimal) -> InterestLine | None:
    """Each paid part is late from the day after the due date to its payment day, the part still
    open at ``period_to`` up to that day; only the period's days not charged before count.
    Credited money was never owed and is never charged, nor is money whose payment date is unknown
    (settled before the account recorded dates). Half-up to cents per invoice."""
    item = late.item
    first = max(period_from, item.due_date + DAY)
    if first > period_to:
        return None
    charged = set().union(*(span.days() for span in late.charged))
    paid_by_end = [s for s in late.settlements if s.how == "paid" and s.on <= period_to]
    paid_after = [s.amount for s in late.settlements if s.how == "paid" and s.on > period_to]
    still_open = late.open_now + sum(paid_after, ZERO)
    candidates: list[tuple[Decimal, date | None]] = [(s.amount, s.on) for s in paid_by_end if s.on >= first]
    candidates += [(still_open, None)] if still_open > 0 else []
    parts, days, weighted = [], set(), ZERO
    for amount, paid_on in candidates:
        window = Span(first=first, last=paid_on or period_to).days() - charged
        if window:
            parts.append(LatePart(amount=amount, paid_on=paid_on, days=len(window)))
            days |= window
            weighted += amount * len(window)
    interest = cents(weighted * annual_rate / HUNDRED / YEAR)
    if interest <= 0:
        return None
    return InterestLine(
        invoice=item.item_id,
        number=item.number,
        due_date=item.due_date,
        amount=sum((p.amount for p in parts), ZERO),
        days=len(days),
        interest=interest,
        parts=tuple(parts),
        charged=_spans(days),
    )


def interest_lines(lates: list[Late], period_from: date, period_to: date, annual_rate: Decimal) -> list[InterestLine]:
    lines = [interest_line(late, period_from, period_to, annual_rate) for late in lates]
    return sorted((line for line in lines if line), key=lambda line: (line.due_date, line.number or ""))


def note_total(lines: list[InterestLine]) -> Decimal:
    """What a note of ``lines`` charges; a note of nothing is refused."""
    total = sum((line.interest for line in lines), ZERO)
    if total <= 0:
        raise conflict("nothing_to_charge", "no interest is due for the period: nothing to charge")
    return total


class InterestLedger(Aggregate):
    TOPIC = "counterparty.interest.InterestLedger"
    SNAPSHOT_EVERY = 50

    partner: UUID
    notes: list[UUID]
    charged: dict[UUID, list[Span]]
    last_to: date | None

    @staticmethod
    def id_for(partner: UUID) -> UUID:
        return natural_id("interest-ledger", partner)

    @classmethod
    def open_for(cls, partner: UUID) -> InterestLedger:
        return cls._create(InterestLedgerOpened, id=cls.id_for(partner), partner=partner)

    @event(InterestLedgerOpened)
    def _opened(self, partner: UUID) -> None:
        self.partner = partner
        self.notes = []
        self.charged = {}
        self.last_to = None

    def issue(
        self,
        note: UUID,
        number: str,
        period: tuple[date, date],
        annual_rate: Decimal,
        currency: str,
        lines: list[InterestLine],
        on: date,
        level: int | None = None,
    ) -> None:
        if note in self.notes:
            return  # issued already: the command is being repeated
        total = note_total(lines)
        self._issued(
            note=note,
            number=number,
            partner=self.partner,
            period_from=period[0],
            period_to=period[1],
            annual_rate=annual_rate,
            currency=currency,
            lines=tuple(lines),
            total=total,
            item=note,
            level=level,
            on=on,
        )

    @event(InterestNoteIssued)
    def _issued(self, note: UUID, period_to: date, lines: tuple[InterestLine, ...]) -> None:
        self.notes.append(note)
        for line in lines:
            self.charged.setdefault(line.invoice, []).extend(line.charged)
        self.last_to = max(self.last_to or period_to, period_to)
