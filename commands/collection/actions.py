"""What each action type of a level does to its group, and the table from type to executor.

Every effect has a deterministic id or a guard (a fee once per partner/level/run, interest once per
invoice and level, one task and one message per group), so running a date again adds nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from uuid import UUID

from aggregates.account import ItemKind, OpenItem
from aggregates.base import natural_id
from aggregates.collection_scheme import Action, ActionType
from aggregates.errors import DomainError
from aggregates.money import ZERO
from aggregates.sales_document import SalesDocument
from commands.activities import collection_task
from commands.collection.group import Group
from commands.collection.messages import send_message
from commands.interest_notes import issue_note, load_ledger, since_last_charge


def _book(group: Group, item_id: UUID, kind: ItemKind, amount: Decimal, invoice: SalesDocument | None = None) -> None:
    item = OpenItem(
        item_id=item_id,
        kind=kind,
        document=invoice.id if invoice else None,
        number=invoice.number if invoice else None,
        due_date=group.day,
        amount=amount,
        currency=group.currency,
        booked_on=group.day,
    )
    group.account.book(item, on=group.day)
    group.touched.append(group.account)


def charge_fee(group: Group, action: Action) -> None:
    """One fee per group: it belongs to the first case, the others name it with a zero amount."""
    assert action.amount is not None
    fee_id = natural_id("collection-fee", *group.key)
    _book(group, fee_id, ItemKind.FEE, action.amount)
    first, *others = group.cases
    first.record_executed(group.level.seq, ActionType.FEE, group.day, amount=action.amount, item=fee_id)
    for case in others:
        case.record_executed(group.level.seq, ActionType.FEE, group.day, amount=ZERO)
    group.report.count("fees")


def charge_interest(group: Group, action: Action) -> None:
    """Interest per invoice for its days overdue, charged once per invoice and level, leaving out
    the days an interest note charged for the invoice."""
    assert action.annual_rate is not None
    level = group.level.seq
    for firing in group.members:
        assert firing.case is not None
        amount = group.interest_due(firing, action.annual_rate)
        if amount <= 0:
            firing.case.record_skipped(level, ActionType.INTEREST, "zero_interest", group.day)
            continue
        item_id = natural_id("collection-interest", firing.invoice.id, level)
        _book(group, item_id, ItemKind.INTEREST, amount, firing.invoice)
        firing.case.record_executed(level, ActionType.INTEREST, group.day, amount=amount, item=item_id)
        group.report.count("interest")


def issue_interest_note(group: Group, action: Action) -> None:
    """One note per group for the partner's lateness since its last note or interest charge; like
    a fee, it belongs to the first case."""
    assert action.annual_rate is not None
    level = group.level.seq
    note = natural_id("collection-interest-note", *group.key)
    period = (since_last_charge(load_ledger(group.ctx, group.partner.id), group.account), group.day)
    try:
        made = issue_note(
            group.ctx, note, group.partner, group.account, period, action.annual_rate, group.currency, level
        )
    except DomainError as refused:
        if refused.code != "nothing_to_charge":
            raise
        group.skipped(ActionType.INTEREST_NOTE, "zero_interest")
        return
    if not made:
        return  # issued by this run before
    group.touched.extend(made)
    first, *others = group.cases
    amount = group.account.items[note].amount
    first.record_executed(level, ActionType.INTEREST_NOTE, group.day, amount=amount, item=note)
    for case in others:
        case.record_executed(level, ActionType.INTEREST_NOTE, group.day, amount=ZERO)
    group.report.count("interest_notes")


def block_sales(group: Group, action: Action) -> None:
    for case in group.cases:
        group.partner.block_sales(case.id, group.day)
    group.touched.append(group.partner)
    group.executed(ActionType.BLOCK_SALES)
    group.report.count("blocks")


def set_payment_terms(group: Group, action: Action) -> None:
    assert action.days is not None
    cases = tuple(c.id for c in group.cases)
    group.partner.change_payment_terms_by_collection(action.days, cases, group.level.seq, group.day)
    group.touched.append(group.partner)
    group.executed(ActionType.SET_PAYMENT_TERMS)


def set_collection_status(group: Group, action: Action) -> None:
    assert action.status is not None
    for case in group.cases:
        case.set_collection_status(action.status, group.day)
    group.executed(ActionType.SET_COLLECTION_STATUS)


def open_task(group: Group, action: Action) -> None:
    """One task for a person per group, naming all its cases."""
    assert action.title is not None
    task_id = natural_id("collection-task", *group.key)
    due_on = group.day + timedelta(days=action.due_in_days or 0)
    cases = [c.id for c in group.cases]
    group.touched.append(
        collection_task(group.ctx, task_id, group.partner, action.title, action.assignee, due_on, cases)
    )
    group.executed(ActionType.TASK, task=task_id)
    group.report.count("tasks")


Executor = Callable[[Group, Action], None]

EXECUTORS: dict[ActionType, Executor] = {
    ActionType.EMAIL: send_message,
    ActionType.SMS: send_message,
    ActionType.LETTER: send_message,
    ActionType.TASK: open_task,
    ActionType.FEE: charge_fee,
    ActionType.INTEREST: charge_interest,
    ActionType.INTEREST_NOTE: issue_interest_note,
    ActionType.BLOCK_SALES: block_sales,
    ActionType.SET_PAYMENT_TERMS: set_payment_terms,
    ActionType.SET_COLLECTION_STATUS: set_collection_status,
}
