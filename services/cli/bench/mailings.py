"""(g) Mailing preparation over many partners and contacts."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import uuid4

from rich.progress import Progress

from aggregates.base import DomainEvent
from aggregates.interest_area import Subscription
from aggregates.mailing import Mailing
from aggregates.partner import Partner
from aggregates.partner_contacts import Contact
from commands.context import Result
from commands.interest_areas import CreateInterestArea, create_interest_area
from commands.mailings import MailingSpec, QueueRecipients, send_mailing
from commands.messages import CreateTemplate, create_template
from commands.partner_groups import CreatePartnerGroup, create_partner_group
from queries.mailings import MailingQueries
from services.cli.bench.common import LOG_BATCH, Figure, Sizes, catch_up_read_models, open_container, task
from services.cli.bench.data import details, stamped
from services.cli.bench.targets import Target
from services.workers.ports import Request

# -- (g) mailing preparation ---------------------------------------------------------------------

MAILING_READ_MODELS = ("partner_directory", "interest_areas", "mailings")
MAILING_GROUPS = 10


def mailing_partner(i: int, today: date) -> list[DomainEvent]:
    """Partner ``i`` (group G0–G9) with three contacts, as events: the first has an address of its
    own and every fourth one subscribes to NEWS; the second is inactive one time in twenty, opted
    out of every mailing one time in thirty, and shares the first one's address one time in fifty;
    the third has no e-mail one time in ten."""
    d = details(i).model_copy(update={"group": f"G{i % MAILING_GROUPS}"})
    partner = Partner.register(uuid4(), f"M{i:07d}", d, today)
    first = Contact(id=uuid4(), name=f"First {i}", email=f"first{i}@example.com")
    second = Contact(
        id=uuid4(),
        name=f"Second {i}",
        email=first.email if i % 50 == 0 else f"second{i}@example.com",
        active=i % 20 != 1,
        opted_out_on=today if i % 30 == 2 else None,
    )
    third = Contact(id=uuid4(), name=f"Third {i}", email=None if i % 10 == 3 else f"third{i}@example.com")
    for contact in (first, second, third):
        partner.add_contact(contact)
    events = partner.collect_events()
    if i % 4 == 0:
        events += Subscription.subscribe_first("NEWS", first.id, partner.id, today, "api").collect_events()
    return events


def bench_mailings(target: Target, sizes: Sizes, bar: Progress) -> list[Figure]:
    """A mailing to every group and the area NEWS (every contact reached, the subscribers also
    through their group): the plan alone, then ``send_mailing`` as POST /v1/mailings runs it."""
    name = target.name
    n = sizes.mailing_partners
    size = f"{n:,} partners / {3 * n:,} contacts"
    with open_container(target.settings("mailings")) as c:
        today = c.today()
        request = Request(actor="bench")
        c.execute(create_interest_area, CreateInterestArea(code="NEWS", name="Newsletter"), request)
        for g in range(MAILING_GROUPS):  # a mailing names existing groups only
            c.execute(create_partner_group, CreatePartnerGroup(code=f"G{g}", name=f"Group {g}"), request)
        body = "Dear {{ contact.name }},\nour news for {{ partner.name }}.\n{{ unsubscribe_url }}\n"
        template = CreateTemplate(code="BENCH-NEWS", channel="email", purpose="campaign", subject="News", body=body)  # type: ignore[arg-type]
        c.execute(create_template, template, request)
        started = time.perf_counter()
        advance = task(bar, f"{name}: building {size}", n)
        batch: list[DomainEvent] = []
        for i in range(n):
            batch += mailing_partner(i, today)
            if len(batch) >= LOG_BATCH or i == n - 1:
                c.store.save(stamped(batch, today))
                batch = []
            advance(1)
        built = time.perf_counter() - started
        caught = catch_up_read_models(c, MAILING_READ_MODELS, bar, name)
        queries = MailingQueries(c.catalog)
        spec = MailingSpec(
            template="BENCH-NEWS", groups=[f"G{g}" for g in range(MAILING_GROUPS)], interest_areas=["NEWS"]
        )
        t0 = time.perf_counter()
        plan = queries.candidates(queries.targets(spec))
        plan_s = time.perf_counter() - t0
        advance = task(bar, f"{name}: mailing to {sum(1 for p in plan if p.reason is None):,} recipients", len(plan))

        def run(handler: Callable[[Any, Any], Result], command: Any) -> Result:
            result = c.execute(handler, command, request)
            if isinstance(command, QueueRecipients):
                advance(len(command.candidates))
            return result

        head = c.store.head()
        t0 = time.perf_counter()
        mailing_id = send_mailing(run, queries, spec, c.settings.public_url)
        seconds = time.perf_counter() - t0
        events = c.store.head() - head
        mailing = c.store.get(mailing_id)
        assert isinstance(mailing, Mailing) and mailing.prepared
    whole = Figure(name, f"mailing preparation ({size})", seconds, "s", mailing.queued, seconds)
    whole.extra.update(
        recipients=mailing.recipients,
        queued=mailing.queued,
        skipped=mailing.skipped,
        messages_per_s=round(mailing.queued / seconds, 1),
        events=events,
        events_per_s=round(events / seconds, 1),
        build_s=round(built, 1),
        catch_up_s=round(caught, 1),
    )
    planned = Figure(name, f"mailing plan: recipients and skip list ({size})", plan_s, "s", len(plan), plan_s)
    planned.extra.update(contacts=len(plan), recipients=mailing.recipients, skipped=mailing.skipped)
    return [whole, planned]
