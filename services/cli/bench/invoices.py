"""(c) Drafting, issuing and paying invoices through the command layer."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from rich.progress import Progress

from aggregates.sales_document_values import DocType
from commands.documents import DraftDocument, IssueDocument, draft_document, issue_document
from commands.payments import ReceivePayment, receive_payment
from services.bootstrap.container import Container
from services.cli.bench.baselines import bench_bare_save, bench_raw_driver
from services.cli.bench.common import (
    COMMAND_AIM,
    INVOICES_PER_PARTNER,
    ROUNDS,
    Advance,
    Figure,
    Sizes,
    combined,
    made,
    open_container,
    rate,
    task,
    timed_commands,
)
from services.cli.bench.data import invoice_lines, save_partners
from services.cli.bench.targets import Target


def bench_drafts(
    backend: str, c: Container, partners: list[UUID], n: int, start: int, advance: Advance
) -> tuple[Figure, list[UUID]]:
    """``draft_document`` of ``n`` one-line invoices, round-robin over the partners."""
    commands = [
        DraftDocument(
            type=DocType.INVOICE, partner=str(partners[(start + i) % len(partners)]), lines=invoice_lines(1, i)
        )
        for i in range(n)
    ]
    seconds, results = timed_commands(c, draft_document, commands, advance)
    return rate(backend, "draft_document (execute)", n, seconds, "commands/s"), made(results)


def bench_issues(backend: str, c: Container, drafts: list[UUID], advance: Advance) -> Figure:
    """``issue_document`` of the drafts: number drawn from the invoice series, code claim,
    receivable booked on the partner's account (4 aggregates, one transaction)."""
    commands = [IssueDocument(document=str(d)) for d in drafts]
    head = c.store.head()
    seconds, _ = timed_commands(c, issue_document, commands, advance)
    return rate(backend, "issue_document (execute)", len(drafts), seconds, "commands/s", events=c.store.head() - head)


def bench_payments(backend: str, c: Container, partners: list[UUID], n: int, start: int, advance: Advance) -> Figure:
    """``receive_payment`` without allocations of one invoice's total: oldest-first allocation
    settles exactly one open invoice of the partner."""
    total = Decimal("119.00")  # one line: 2 × 50.00 + 19 % tax
    commands = [ReceivePayment(partner=str(partners[(start + i) % len(partners)]), amount=total) for i in range(n)]
    seconds, _ = timed_commands(c, receive_payment, commands, advance)
    return rate(backend, "receive_payment (execute, 1 invoice)", n, seconds, "commands/s")


def bench_invoices(target: Target, sizes: Sizes, bar: Progress) -> list[Figure]:
    """Drafting, issuing and paying invoices in interleaved rounds with their baselines (raw
    driver INSERT and bare save, one transaction each)."""
    name = target.name
    n = sizes.invoices
    chunk = max(1, n // ROUNDS)
    raws: list[Figure] = []
    bares: list[Figure] = []
    drafts: list[Figure] = []
    issues: list[Figure] = []
    payments: list[Figure] = []
    with open_container(target.settings("invoices")) as c:
        partners = save_partners(c, max(1, n // INVOICES_PER_PARTNER), "V")
        bare_task = task(bar, f"{name}: bare save (invoices)", chunk * ROUNDS)
        draft_task = task(bar, f"{name}: draft_document", chunk * ROUNDS)
        issue_task = task(bar, f"{name}: issue_document", chunk * ROUNDS)
        pay_task = task(bar, f"{name}: receive_payment", chunk * ROUNDS)
        for k in range(ROUNDS):
            raws.append(bench_raw_driver(target, c, chunk))
            bares.append(bench_bare_save(name, c, chunk, bare_task))
            figure, ids = bench_drafts(name, c, partners, chunk, k * chunk, draft_task)
            drafts.append(figure)
            issues.append(bench_issues(name, c, ids, issue_task))
        for k in range(ROUNDS):
            payments.append(bench_payments(name, c, partners, chunk, k * chunk, pay_task))
        events = sum(f.extra["events"] for f in issues)
    raw, bare = combined(raws), combined(bares)
    draft, issue, pay = combined(drafts), combined(issues), combined(payments)
    issue.extra["events_per_command"] = round(events / issue.count, 2)
    both = rate(name, "draft + issue, per invoice", draft.count, draft.seconds + issue.seconds, "invoices/s")
    for figure in (draft, issue, pay, both):
        figure.extra["ratio_to_raw_driver"] = round(figure.value / raw.value, 3)
    raw.measurement = "raw driver INSERT (invoice group)"
    bare.measurement = "bare store.save (invoice group)"
    return [
        raw,
        bare.against(raw),
        draft.against(bare, COMMAND_AIM),
        issue.against(bare, COMMAND_AIM),
        both.against(raw),
        pay.against(bare, COMMAND_AIM),
    ]
