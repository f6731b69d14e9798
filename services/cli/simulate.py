"""``counterparty simulate``: the what-if walk of ``POST /v1/simulations``, printed as tables."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from queries.formats import money
from services.bootstrap.container import Container
from services.bootstrap.simulation import Outcome, Payment, simulate


def parse_payment(text: str) -> Payment:
    """``partner:amount:date`` (the partner by code or id)."""
    partner, amount, day = text.rsplit(":", 2) if text.count(":") >= 2 else (text, "", "")
    try:
        return Payment(partner.strip(), Decimal(amount), date.fromisoformat(day.strip()))
    except (InvalidOperation, ValueError):
        raise ValueError(f"{text!r}: a payment is PARTNER:AMOUNT:YYYY-MM-DD") from None


def run(c: Container, until: date, payments: list[Payment], bar: Progress) -> Outcome:
    """The walk, with a bar advancing day by day."""
    start = c.today()
    task = bar.add_task(f"simulating {start} → {until}", total=(until - start).days + 1)

    def walked(day: date) -> None:
        bar.update(task, completed=(day - start).days + 1)

    return simulate(c, until, payments, walked)


def tables(out: Outcome, partners: dict[UUID, str]) -> list[Table]:
    """One table per list of the outcome; partners by code, documents by number."""

    def who(partner: UUID) -> str:
        return partners.get(partner, str(partner))

    def doc(document: UUID) -> str:
        return out.numbers.get(document, str(document))

    def table(title: str, columns: list[str], rows: list[list[Any]]) -> Table:
        t = Table(title=f"{title} ({len(rows)})", title_justify="left")
        for column in columns:
            t.add_column(column, justify="right" if column in ("amount", "total", "balance", "level") else "left")
        for row in rows:
            t.add_row(*(str(v) if v is not None else "" for v in row))
        return t

    return [
        table(
            "Messages",
            ["date", "partner", "channel", "template", "to", "subject", "documents"],
            [
                [
                    m["date"],
                    who(m["partner"]),
                    m["channel"],
                    m["template"],
                    m["to"],
                    m["subject"],
                    ", ".join(map(doc, m["documents"])),
                ]
                for m in out.messages
            ],
        ),
        table(
            "Charges",
            ["date", "partner", "kind", "amount"],
            [[c["date"], who(c["partner"]), c["kind"], money(c["amount"])] for c in out.charges],
        ),
        table("Blocks", ["date", "partner"], [[b["date"], who(b["partner"])] for b in out.blocks]),
        table(
            "Levels",
            ["date", "document", "level"],
            [[lv["date"], doc(lv["document"]), lv["level"]] for lv in out.levels],
        ),
        table(
            "Recurring invoices",
            ["date", "partner", "template", "document", "total"],
            [
                [i["date"], who(i["partner"]), i["template"], doc(i["document"]), money(i["total"])]
                for i in out.invoices
            ],
        ),
        table(
            "Balances",
            ["partner", "balance"],
            [[who(b["partner"]), money(b["balance"])] for b in out.balances],
        ),
    ]


def print_outcome(c: Container, out: Outcome, console: Console) -> None:
    from queries.partners import PartnerQueries

    named: set[UUID] = {b["partner"] for b in out.balances}
    codes: dict[UUID, str] = {}
    queries = PartnerQueries(c.catalog)
    for partner in named:
        try:
            codes[partner] = queries.get(str(partner))["code"]
        except Exception:  # a partner the directory does not show: its id serves
            continue
    console.print(f"What would happen from {out.start} to {out.until} (nothing was recorded or sent):")
    for t in tables(out, codes):
        console.print(t)
