"""Loads the demo data set, chapter after chapter, through the public command functions exactly as
the API would record them, while the manual business clock moves forward: the partners over the
first weeks (partners), then a year of sales (year), the month end's balance confirmations and
interest notes (accounting), the interest areas and a newsletter (mailings) and the campaigns
(campaigns). The generators are seeded: the same number of partners
and days gives the same names, codes, documents and figures every time (only ids and wall-clock
timestamps differ)."""

from __future__ import annotations

import time as timer
from datetime import date, datetime, timedelta

from rich.progress import Progress
from sqlalchemy import func, select

from aggregates.user import User
from services.bootstrap.container import Container
from services.cli.demo.accounting import month_end
from services.cli.demo.campaigns import campaigns
from services.cli.demo.context import SUPERVISOR, Demo
from services.cli.demo.mailings import interest_areas_and_mailing
from services.cli.demo.partners import Partners
from services.cli.demo.year import SalesYear

DAYS = 365  # the whole demo: the partners over the first weeks, then a year of sales


def load_demo(container: Container, partners: int, bar: Progress, days: int = DAYS) -> str:
    """Loads the demo data set through the commands and answers a one-line summary: the partners
    over the first weeks, then a year of sales (``days`` from the clock's first day, never past
    today). A store that already holds partners (or the demo's users) is left alone."""
    reason = already_loaded(container)
    if reason:
        return reason
    demo = Demo(container, bar)
    chapter = Partners(demo, partners)
    began = timer.monotonic()
    start = demo.today()
    registered = chapter.load()
    year = SalesYear(demo, chapter.plans, sales_end(demo, start, max(0, days)))
    sales = year.walk()
    accounts = month_end(demo, year.start)
    mailing = interest_areas_and_mailing(demo)
    campaign = campaigns(demo)
    end = demo.today()
    return (
        f"{registered}; {sales}; {accounts}; {mailing}; {campaign}; "
        f"clock moved {(end - start).days} days ({start} → {end}); "
        f"{timer.monotonic() - began:.1f} s"
    )


def sales_end(demo: Demo, start: date, days: int) -> date:
    """The last day of the demo: ``days`` after the first, but never past the wall clock's today."""
    wall_today = datetime.now(demo.container.clock.zone).date()
    return max(demo.today(), min(start + timedelta(days=days), wall_today))


def already_loaded(container: Container) -> str | None:
    """Why the demo should not load again, or None when the store is fresh."""
    container.runner.drain()
    partners = container.catalog.table("partner_directory", "partners")
    with container.engine.connect() as conn:
        count = int(conn.execute(select(func.count()).select_from(partners)).scalar_one())
    events = container.store.head()
    if holds_demo(container):
        return f"the demo data set was already loaded ({count} partners, {events} events in the log); nothing was added"
    if count:
        return f"the store already holds {count} partners ({events} events); the demo loads only into a fresh store"
    return None


def holds_demo(container: Container) -> bool:
    """Whether the demo loaded (or began to load) this store: its first user exists."""
    return bool(container.store.stream_version(User.id_for(SUPERVISOR)))
