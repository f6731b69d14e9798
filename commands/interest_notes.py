"""Issuing interest notes: a clerk's for a period, or a collection level's up to its run date."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated
from uuid import UUID, uuid4

from pydantic import ConfigDict, Field

from aggregates.account import Account, ItemKind, OpenItem
from aggregates.base import Aggregate
from aggregates.errors import Invalid
from aggregates.interest_note import DAY, InterestLedger, Span, interest_lines, late_invoices, note_total
from aggregates.partner import Partner
from commands.context import CommandContext, Result
from commands.documents import load_account, not_after_today
from commands.numbering import draw_unique
from commands.partners import load_partner
from commands.references import named_by
from commands.types import Percent, Ref, Strict

# Notes are numbered in a namespace of their own: their numbers never name a sales document.
NOTE_NUMBERS = "interest_note"

Rate = Annotated[Percent, Field(gt=0, le=100)]


class IssueInterestNote(Strict):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    partner: Ref
    period_from: date = Field(alias="from")
    to: date
    annual_rate: Rate


def load_ledger(ctx: CommandContext, partner: UUID) -> InterestLedger:
    return ctx.find(InterestLedger, InterestLedger.id_for(partner)) or ctx.track(InterestLedger.open_for(partner))


def noted_days(ctx: CommandContext, partner: UUID) -> dict[UUID, list[Span]]:
    """Per invoice, the days the partner's interest notes charged (none without a note)."""
    ledger = ctx.find(InterestLedger, InterestLedger.id_for(partner))
    return ledger.charged if ledger else {}


def issue_note(
    ctx: CommandContext,
    note: UUID,
    partner: Partner,
    account: Account,
    period: tuple[date, date],
    annual_rate: Decimal,
    currency: str,
    level: int | None = None,
) -> list[Aggregate]:
    """The ledger with the note issued, the account with its receivable booked, and the drawn
    number: what issuing a note saves. Raises ``nothing_to_charge`` when no interest is due."""
    ledger = load_ledger(ctx, partner.id)
    if note in ledger.notes:
        return []
    lines = interest_lines(late_invoices(account, currency, ledger.charged), *period, annual_rate)
    total = note_total(lines)  # before a number is drawn for nothing
    number, claimed = draw_unique(ctx, "interest_note", ctx.today, NOTE_NUMBERS, note)
    ledger.issue(note, number, period, annual_rate, currency, lines, ctx.today, level)
    item = OpenItem(
        item_id=note,
        kind=ItemKind.INTEREST,
        document=note,
        number=number,
        due_date=ctx.today,
        amount=total,
        currency=currency,
        booked_on=ctx.today,
    )
    account.book(item, on=ctx.today)
    return [ledger, account, *claimed]


def since_last_charge(ledger: InterestLedger, account: Account) -> date:
    """Where a collection level's note starts: the day after the last note or interest charge,
    else the day after the earliest due date (the days charged are skipped either way)."""
    charged = [i.booked_on for i in account.items.values() if i.kind is ItemKind.INTEREST]
    last = max([*charged, *([ledger.last_to] if ledger.last_to else [])], default=None)
    if last is not None:
        return last + DAY
    due = [i.due_date for i in account.items.values() if i.kind is ItemKind.INVOICE]
    return min(due, default=date.min) + DAY


def issue_interest_note(cmd: IssueInterestNote, ctx: CommandContext) -> Result:
    with named_by("body", "partner"):
        partner = load_partner(ctx, cmd.partner)
    not_after_today(ctx, cmd.to, "to")
    if cmd.to < cmd.period_from:
        raise Invalid(["body", "to"], "to may not be before from")
    note = uuid4()
    account = load_account(ctx, partner.id)
    made = issue_note(ctx, note, partner, account, (cmd.period_from, cmd.to), cmd.annual_rate, partner.details.currency)
    return Result(ctx.save(*made), note)
