"""Interest areas and a mailing: three interest areas with subscribers among the active contacts
that have an e-mail (some of whom leave again, one of them every mailing), then the newsletter to
its subscribers and the key accounts (G-VIP) in one mailing, which the sender delivers once the
demo serves (data/marketing.toml)."""

from __future__ import annotations

import random

from sqlalchemy import select

from commands.interest_areas import (
    CreateInterestArea,
    OptOut,
    OptOutContact,
    Subscribe,
    create_interest_area,
    opt_out,
    opt_out_contact,
    subscribe,
)
from commands.mailings import MailingSpec, send_mailing
from commands.messages import CreateTemplate, create_template
from queries.mailings import MailingQueries
from services.cli.demo.context import SEED, Demo
from services.cli.demo.reference import load

MAILING_SEED = SEED + 7
MARKETING = load("marketing")
# (area, share of the active contacts with an e-mail who subscribe, share of those who leave again)
SUBSCRIBERS = (("NEWSLETTER", 0.35, 0.08), ("PRODUCT-NEWS", 0.15, 0.05), ("EVENTS", 0.1, 0.0))


def interest_areas_and_mailing(demo: Demo) -> str:
    container = demo.container
    rng = random.Random(MAILING_SEED)
    areas = MARKETING["interest_area"]
    for definition in areas:
        demo.run(create_interest_area, CreateInterestArea.model_validate(definition))
    container.runner.drain()
    contacts = container.catalog.table("mailings", "contacts")
    partners = container.catalog.table("partner_directory", "partners")
    with container.engine.connect() as conn:
        # In an order that does not depend on the (random) ids, so one size gives one data set.
        rows = conn.execute(
            select(contacts.c.contact_id, contacts.c.partner_id)
            .join(partners, partners.c.id == contacts.c.partner_id)
            .where(contacts.c.active.is_(True), contacts.c.email.is_not(None))
            .order_by(partners.c.code, contacts.c.name, contacts.c.email)
        ).all()
    subscribed = left = 0
    for contact_id, partner_id in rows:
        for area, share, leaving in SUBSCRIBERS:
            if rng.random() < share:
                demo.run(subscribe, Subscribe(area=area, contact=contact_id, partner=partner_id))
                subscribed += 1
                if rng.random() < leaving:
                    demo.run(opt_out, OptOut(area=area, contact=contact_id, partner=partner_id))
                    left += 1
    if rows:
        contact_id, partner_id = rows[len(rows) // 2]
        demo.run(opt_out_contact, OptOutContact(partner=partner_id, contact=contact_id))
    demo.run(create_template, CreateTemplate.model_validate(MARKETING["newsletter"]))
    container.runner.drain()
    spec = MailingSpec(template="NEWSLETTER", interest_areas=["NEWSLETTER"], groups=["G-VIP"])
    queries = MailingQueries(container.catalog)
    mailing = send_mailing(demo.run, queries, spec, container.settings.public_url)
    container.runner.drain()
    found = queries.get(str(mailing))
    return (
        f"{len(areas)} interest areas with {subscribed} subscriptions ({left} left again), "
        f"a newsletter mailing to {found['recipients']} recipients ({len(found['skipped'])} skipped)"
    )
