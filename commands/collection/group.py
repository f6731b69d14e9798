"""What the actions of one level act on: a partner's invoices reaching the level together in one
currency on a run date (a group), the cases that reached it, and the partner's report of the run."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from aggregates.account import Account, OpenItem
from aggregates.collection_case import CollectionCase
from aggregates.collection_run import Skip
from aggregates.collection_scheme import ActionType, CollectionScheme, Level, interest
from aggregates.interest_note import days_not_charged
from aggregates.partner import Partner
from aggregates.sales_document import SalesDocument
from commands.context import CommandContext
from commands.interest_notes import noted_days


@dataclass
class PartnerReport:
    invoices: int = 0
    skipped: list[Skip] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def count(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n


@dataclass
class Firing:
    """One invoice reaching a level; its case is opened when the level fires, if it had none."""

    invoice: SalesDocument
    item: OpenItem
    open_amount: Decimal
    case: CollectionCase | None
    level: Level


@dataclass
class Group:
    ctx: CommandContext
    day: date
    scheme: CollectionScheme
    partner: Partner
    account: Account
    level: Level
    currency: str
    members: list[Firing]
    # The cases that reached the level now; none for a reminder before due, which opens no case.
    cases: list[CollectionCase]
    touched: list[Any]
    report: PartnerReport
    # Whether a message went out: the invoices record their dunning with it.
    messaged: bool = False

    @property
    def key(self) -> tuple[Any, ...]:
        """The natural key of the group's effects (its fee, task and messages), so that running
        the date again finds them made."""
        return (self.partner.id, self.scheme.code, self.level.seq, self.currency, self.day.isoformat())

    def executed(self, action: ActionType, **made: Any) -> None:
        for case in self.cases:
            case.record_executed(self.level.seq, action, self.day, **made)

    def skipped(self, action: ActionType, reason: str, fallback_from: ActionType | None = None) -> None:
        for case in self.cases:
            case.record_skipped(self.level.seq, action, reason, self.day, fallback_from=fallback_from)
        self.report.count(f"skipped_{reason}")

    def interest_due(self, firing: Firing, annual_rate: Decimal) -> Decimal:
        """What the level's ``interest`` action charges for an invoice: its open amount for its
        days overdue, less the days an interest note charged for it (never a day twice)."""
        noted = noted_days(self.ctx, self.partner.id).get(firing.invoice.id, [])
        days = days_not_charged(firing.item.due_date, self.day, noted)
        return interest(firing.open_amount, annual_rate, days)
