"""The message actions (e-mail, SMS, letter): one message per group, listing all its invoices, and
what a collection template can say."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from aggregates.base import natural_id
from aggregates.collection_scheme import Action, ActionType
from aggregates.errors import DomainError
from aggregates.message import Message
from aggregates.money import ZERO
from aggregates.template import Channel, Purpose
from commands.collection.group import Group
from commands.messages import QueueMessage, compose_message


def template_variables(group: Group) -> dict[str, Any]:
    """What a collection template can say besides ``partner``, ``contact`` and ``today``: the level,
    the invoices reaching it, their totals and the level's charges (docs/api.md lists them)."""
    level, day = group.level, group.day
    fee = sum((a.amount or ZERO for a in level.actions if a.type is ActionType.FEE), ZERO)
    rate = next((a.annual_rate for a in level.actions if a.type is ActionType.INTEREST), None)
    invoices = []
    for firing in group.members:
        overdue = (day - firing.item.due_date).days
        invoices.append(
            {
                "number": firing.invoice.number,
                "issue_date": firing.invoice.issue_date.isoformat() if firing.invoice.issue_date else None,
                "due_date": firing.item.due_date.isoformat(),
                "days_overdue": overdue,
                "total": str(firing.item.amount),
                "open_amount": str(firing.open_amount),
                "interest": str(group.interest_due(firing, rate)) if rate and overdue > 0 else "0.00",
            }
        )
    total_open = sum((f.open_amount for f in group.members), ZERO)
    total_interest = sum((Decimal(str(i["interest"])) for i in invoices), ZERO)
    return {
        "level": level.seq,
        "level_name": level.name,
        "currency": group.currency,
        "invoices": invoices,
        "total_open": str(total_open),
        "fee": str(fee.quantize(Decimal("0.01"))),
        "interest": str(total_interest),
        "total_due": str(total_open + fee + total_interest),
    }


def send_message(group: Group, action: Action) -> None:
    """One e-mail, SMS or letter for the group. An e-mail without an address becomes a letter
    (``action: letter, fallback_from: email``) rendered with the e-mail's ``attach_letter``
    template, else the default collection letter; an SMS without a mobile is skipped (``no_mobile``)."""
    kind = action.type
    try:
        message = _compose(group, Channel(kind.value), kind.value, action.template, attach_letter=action.attach_letter)
    except DomainError as refusal:
        if refusal.code == "no_email":
            _send_letter_instead(group, action)
        else:
            group.skipped(kind, refusal.code)
        return
    _sent(group, kind, message)


def _send_letter_instead(group: Group, action: Action) -> None:
    try:
        # The e-mail's template is no letter: the one it would attach, else (None) the default.
        message = _compose(group, Channel.LETTER, "letter-fallback", action.attach_letter, fallback_from="email")
    except DomainError as refusal:
        group.skipped(ActionType.LETTER, refusal.code, fallback_from=ActionType.EMAIL)
        return
    _sent(group, ActionType.LETTER, message, fallback_from=ActionType.EMAIL)


def _compose(group: Group, channel: Channel, key: str, template: str | None, **options: Any) -> Message:
    contact = group.partner.billing_contact()
    return compose_message(
        QueueMessage(
            id=natural_id("collection-message", *group.key, key),
            channel=channel,
            purpose=Purpose.COLLECTION,
            partner=group.partner.id,
            contact=contact.id if contact else None,
            language=group.partner.details.language,
            template=template,
            variables=template_variables(group),
            documents=[f.invoice.id for f in group.members],
            cases=[c.id for c in group.cases],
            **options,
        ),
        group.ctx,
    )


def _sent(group: Group, kind: ActionType, message: Message, fallback_from: ActionType | None = None) -> None:
    group.touched.append(message)
    group.executed(kind, message=message.id, fallback_from=fallback_from)
    group.report.count(f"{kind.value}s")
    group.messaged = True
