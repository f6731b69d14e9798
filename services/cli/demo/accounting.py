"""The accounting department's month end, after the sales year: a series of balance confirmations as
of the last month end to every partner with open items then, answered by some customers (most
confirm, some dispute, the others have not answered yet), and interest notes for the latest
payers' lateness over the year."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, or_, select

from aggregates.errors import Conflict
from commands.balance_confirmations import (
    ReplyToConfirmation,
    StartBalanceConfirmations,
    prepare_series,
    reply_to_confirmation,
    start_balance_confirmations,
)
from commands.context import Result
from commands.interest_notes import IssueInterestNote, issue_interest_note
from queries.balance_confirmations import BalanceConfirmationQueries
from queries.pages import PageRequest
from services.cli.demo.context import FINANCE, SEED, Demo
from services.workers.ports import Request

ACCOUNTING_SEED = SEED + 17
LATE_PAYERS = 5  # the partners with the most invoices paid late or overdue (no note when collection charged it all)
INTEREST_RATE = Decimal("9.50")
DISPUTES = (
    "Invoice {number} was paid on the 28th; please check your bank statement.",
    "We have a credit note for {number} pending with you.",
    "The amount of {number} differs from our books.",
)


def month_end(demo: Demo, start: date) -> str:
    """Sends the confirmation series and the interest notes; answers a summary part."""
    rng = random.Random(ACCOUNTING_SEED)
    demo.container.runner.drain()
    today = demo.today()
    as_of = today.replace(day=1) - timedelta(days=1)
    if as_of < start:
        return "month end: none (the demo began this month)"
    answers = confirmations(demo, rng, as_of)
    notes = interest_notes(demo, start, today)
    demo.container.runner.drain()
    return (
        f"month end: {sum(answers.values())} balance confirmations as of {as_of} "
        f"({answers['confirmed']} confirmed, {answers['disputed']} disputed, {answers['pending']} pending), "
        f"{notes} interest notes"
    )


def confirmations(demo: Demo, rng: random.Random, as_of: date) -> Counter[str]:
    def run(handler: Any, command: Any) -> Result:
        return demo.container.execute(handler, command, Request(actor=FINANCE))

    queries = BalanceConfirmationQueries(demo.container.catalog)
    started = run(start_balance_confirmations, StartBalanceConfirmations(as_of=as_of)).detail
    prepare_series(run, queries, started)
    demo.container.runner.drain()
    answers: Counter[str] = Counter()
    sent: list[dict[str, Any]] = []
    page = PageRequest(limit=500)
    while True:
        found = queries.list(page, as_of=as_of)
        sent += found["items"]
        if not found["next_cursor"]:
            break
        page = PageRequest(limit=500, cursor=found["next_cursor"])
    # Partner ids, and so the series' numbering order, differ from load to load; the items'
    # document numbers do not, and the same order gives the same answers for the same seed.
    sent.sort(key=lambda c: (sorted(str(i["number"] or "") for i in c["items"]), str(c["total"])))
    for confirmation in sent:
        roll = rng.random()
        if roll < 0.5:
            answer, comment = "confirmed", ""
        elif roll < 0.65:
            item = rng.choice(confirmation["items"])
            answer, comment = "disputed", rng.choice(DISPUTES).format(number=item["number"] or "the fee")
        else:
            answers["pending"] += 1
            continue
        # A clerk records what the customer answered (the portal's customers answer there themselves).
        command = ReplyToConfirmation.model_validate(
            {"confirmation": confirmation["id"], "status": answer, "comment": comment}
        )
        run(reply_to_confirmation, command)
        answers[answer] += 1
    return answers


def interest_notes(demo: Demo, start: date, today: date) -> int:
    """A note for each of the latest payers: the year's lateness at the statutory-like rate."""
    items = demo.container.catalog.table("receivables", "items")
    paid_late = and_(items.c.settled_on.is_not(None), items.c.settled_on > items.c.due_date)
    late = and_(items.c.kind == "invoice", items.c.due_date < today, or_(items.c.status == "open", paid_late))
    stmt = select(items.c.partner_id).where(late)
    with demo.container.engine.connect() as conn:
        counts = Counter(pid for (pid,) in conn.execute(stmt))
    payers = sorted(counts, key=lambda pid: (-counts[pid], pid))[:LATE_PAYERS]
    issued = 0
    for partner in payers:
        command = IssueInterestNote.model_validate(
            {"partner": partner, "from": start.isoformat(), "to": today.isoformat(), "annual_rate": INTEREST_RATE}
        )
        try:
            demo.run(issue_interest_note, command, FINANCE)
        except Conflict as refusal:  # collection charged every day of it already
            if refusal.code != "nothing_to_charge":
                raise
            continue
        issued += 1
    return issued
