"""Collecting a chunk of partners in one command.

The partners, their accounts, open invoices and cases are read in three batched reads for the
whole chunk; each partner is then decided on its own (``decide_partner``, in a part of the
context of its own) and saved in a transaction of its own, all of them submitted together so that
the store shares its commits among them. A partner whose decision fails is reported with the
reason, and the others go on; one whose save lost a race to another writer is reported for being
collected again alone."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

from pydantic import Field

from aggregates.account import Account, ItemKind
from aggregates.base import Aggregate
from aggregates.collection_case import CollectionCase
from aggregates.collection_scheme import CollectionScheme, CollectionSettings
from aggregates.errors import DomainError
from aggregates.interest_note import InterestLedger
from aggregates.partner_group import PartnerGroup
from aggregates.template import Template, TemplateDefaults
from commands.collection.group import PartnerReport
from commands.collection.run import CollectPartner, decide_partner
from commands.context import CommandContext, ConcurrencyConflict, Result
from commands.types import Strict

log = logging.getLogger("counterparty.collection")

# What a partner's collection reads but never changes: loaded once per chunk, shared by its parts.
READ_ONLY = (CollectionScheme, CollectionSettings, PartnerGroup, Template, TemplateDefaults)


class CollectPartners(Strict):
    partners: Annotated[list[CollectPartner], Field(min_length=1)]


@dataclass(frozen=True)
class Collected:
    """What became of one partner of the chunk: collected (its report), failed (why), or its save
    lost a race (``conflict``: collect it again alone)."""

    partner: UUID
    report: PartnerReport | None = None
    failure: str | None = None
    conflict: bool = False


def reason(error: BaseException) -> str:
    """Why a partner could not be collected, as the run records it."""
    if isinstance(error, DomainError):
        return f"{error.code}: {error.detail}"
    return f"{type(error).__name__}: {error}"


def collect_partners(cmd: CollectPartners, ctx: CommandContext) -> Result:
    """Decides and records the chunk's partners, each in a transaction of its own; answers a
    ``Collected`` for each, in order. With a single partner, a lost race is raised instead, so
    that the command is run again on fresh state."""
    own = preload_partners(ctx, cmd.partners)
    shared: dict[UUID, Aggregate] = {}
    decided: list[tuple[CollectPartner, list[Any], PartnerReport]] = []
    outcomes: dict[UUID, Collected] = {}
    alone = len(cmd.partners) == 1
    for wanted in cmd.partners:
        part = ctx.part([*shared.values(), *own[wanted.partner]])
        try:
            touched, report = decide_partner(part, wanted)
        except ConcurrencyConflict:
            if alone:
                raise
            outcomes[wanted.partner] = Collected(wanted.partner, conflict=True)
        except Exception as error:  # one partner's failure must not stop the others
            outcomes[wanted.partner] = _failed(wanted, error)
        else:
            decided.append((wanted, touched, report))
        shared.update((i, a) for i, a in part.loaded.items() if isinstance(a, READ_ONLY))
    saved = ctx.save_apart([touched for _, touched, _ in decided])
    for (wanted, _, report), position in zip(decided, saved, strict=True):
        if isinstance(position, ConcurrencyConflict):
            if alone:
                raise position
            outcomes[wanted.partner] = Collected(wanted.partner, conflict=True)
        else:
            outcomes[wanted.partner] = Collected(wanted.partner, report)
    position = max((p for p in saved if isinstance(p, int)), default=0)
    return Result(position, None, [outcomes[w.partner] for w in cmd.partners])


def _failed(wanted: CollectPartner, error: Exception) -> Collected:
    why = reason(error)
    log.error(
        "partner not collected",
        exc_info=not isinstance(error, DomainError),
        extra={"partner": str(wanted.partner), "day": wanted.day.isoformat(), "reason": why},
    )
    return Collected(wanted.partner, failure=why)


def preload_partners(ctx: CommandContext, partners: list[CollectPartner]) -> dict[UUID, list[Aggregate]]:
    """Reads what the chunk's partners are decided on, in three batched reads: partners, accounts
    and interest ledgers (the days notes charged); open invoices and their cases, and the open
    cases; the invoices of the open cases (settled ones, which close them). Answers each partner's
    own aggregates."""
    ids: dict[UUID, list[UUID]] = {
        p.partner: [p.partner, Account.id_for(p.partner), InterestLedger.id_for(p.partner)] for p in partners
    }
    ctx.preload(i for own in ids.values() for i in own)
    for p in partners:
        account = ctx.loaded.get(Account.id_for(p.partner))
        if isinstance(account, Account):
            invoices = [i for i in account.open_items_oldest_first() if account.items[i].kind is ItemKind.INVOICE]
            ids[p.partner] += [*invoices, *(CollectionCase.id_for(i) for i in invoices)]
        ids[p.partner] += p.open_cases
    ctx.preload(i for own in ids.values() for i in own)
    for p in partners:
        cases = [ctx.loaded.get(c) for c in p.open_cases]
        ids[p.partner] += [c.document for c in cases if isinstance(c, CollectionCase)]
    ctx.preload(i for own in ids.values() for i in own)
    return {p: [ctx.loaded[i] for i in dict.fromkeys(own) if i in ctx.loaded] for p, own in ids.items()}
