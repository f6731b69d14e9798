"""Settlement: a case closes when its invoice and its charges are settled, and its block is lifted."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

from aggregates.account import Account, ItemStatus
from aggregates.collection_case import CaseStatus, CollectionCase
from aggregates.collection_scheme import CollectionScheme
from aggregates.money import ZERO
from aggregates.partner import Partner
from aggregates.sales_document import SalesDocument
from commands.context import CommandContext, Result
from commands.documents import load_account
from commands.partners import load_partner
from commands.types import Strict


def close_settled_cases(
    ctx: CommandContext, partner: Partner, account: Account, cases: list[UUID], day: date, touched: list[Any]
) -> None:
    """A case closes when its invoice and its charges are settled: ``paid`` by payments,
    ``settled`` by credit; the block it placed is lifted when the scheme says so."""
    for case_id in cases:
        case = ctx.find(CollectionCase, case_id)
        if case is None or case.status is CaseStatus.CLOSED:
            continue
        item_id = case.document
        status = account.status.get(item_id)
        if status is None or status is ItemStatus.OPEN:
            continue
        if any(account.open.get(charge, ZERO) > 0 for charge in case.charges):
            continue
        credited = account.credited.get(item_id, ZERO) > 0 and account.paid.get(item_id, ZERO) == 0
        case.close("settled" if credited or status is ItemStatus.CANCELLED else "paid", day)
        touched.append(case)
        invoice = ctx.find(SalesDocument, item_id)
        scheme = ctx.find(CollectionScheme, CollectionScheme.id_for(case.scheme))
        promise = invoice.promise if invoice is not None else None
        if promise is not None:
            # Kept when settled by its date + grace days; settled later, it was broken.
            grace = timedelta(days=scheme.rules.promise_grace_days if scheme else 0)
            case.note_promise(kept=day <= promise.date + grace, promised_for=promise.date, on=day)
        if case.blocked and (scheme is None or scheme.rules.auto_unblock):
            partner.unblock_sales(case.id, day)
            touched.append(partner)


class SettleCases(Strict):
    partner: UUID
    cases: list[UUID]


def settle_cases(cmd: SettleCases, ctx: CommandContext) -> Result:
    """Closes the partner's cases whose invoice and charges are settled, lifting their blocks."""
    partner = load_partner(ctx, str(cmd.partner))
    account = load_account(ctx, partner.id)
    touched: list[Any] = []
    close_settled_cases(ctx, partner, account, cmd.cases, ctx.today, touched)
    return Result(ctx.save(*touched) if touched else 0, partner.id)
