"""(d) Query latency over many invoice lines."""

from __future__ import annotations

import time
from datetime import timedelta

from rich.progress import Progress

from queries.partners import PartnerQueries
from queries.receivables import ReceivableQueries
from queries.reports import GROUPINGS, ReportQueries
from services.cli.bench.common import (
    INVOICES_PER_PARTNER,
    Figure,
    Sizes,
    catch_up_read_models,
    open_container,
    task,
    timed_query,
)
from services.cli.bench.data import build_receivables
from services.cli.bench.targets import Target

LINES_PER_INVOICE = 5  # invoice lines per invoice in the query data set
QUERY_READ_MODELS = ("partner_directory", "partner_groups", "users", "receivables", "profitability")


def bench_queries(target: Target, sizes: Sizes, bar: Progress) -> list[Figure]:
    name = target.name
    invoices = max(1, sizes.query_lines // LINES_PER_INVOICE)
    partners = max(1, invoices // INVOICES_PER_PARTNER)
    with open_container(target.settings("queries")) as c:
        today = c.today()
        started = time.perf_counter()
        ids = build_receivables(
            c,
            invoices,
            partners,
            LINES_PER_INVOICE,
            lambda i: today - timedelta(days=i % 360),
            task(bar, f"{name}: building {sizes.query_lines:,} invoice lines", invoices * 3 + partners * 3),
        )
        built = time.perf_counter() - started
        caught = catch_up_read_models(c, QUERY_READ_MODELS, bar, name)
        receivables, reports, directory = (
            ReceivableQueries(c.catalog),
            ReportQueries(c.catalog),
            PartnerQueries(c.catalog),
        )
        one = str(ids[len(ids) // 2])
        start, end = today - timedelta(days=364), today
        lines = f"{sizes.query_lines:,} lines"
        figures = [
            timed_query(
                name, f"aging, all partners ({lines})", lambda: receivables.aging(today), lambda a: len(a["partners"])
            ),
            timed_query(
                name,
                f"aging, one partner ({lines})",
                lambda: receivables.aging(today, one),
                lambda a: len(a["partners"]),
            ),
            *(
                timed_query(
                    name,
                    f"profitability by {group}, 1 year ({lines})",
                    lambda group=group: reports.profitability(start, end, group),  # type: ignore[misc]
                    lambda a: len(a["rows"]),
                )
                for group in GROUPINGS
            ),
            timed_query(
                name,
                f"partner balance, one partner ({lines})",
                lambda: directory.balance(one),
                lambda a: len(a["open_items"]),
            ),
        ]
        events = c.store.head()
    for f in figures:
        f.extra.update(
            invoices=invoices,
            partners=partners,
            log_events=events,
            build_s=round(built, 1),
            catch_up_s=round(caught, 1),
        )
    return figures
