"""The professional racking campaign for the partners whose contacts read the product news and
who bought in the last year: an agency's cost when planned, the printed catalogues added later,
launched as a mailing; a few of them order with its code, one sends a shelf back. The season
promotions are planned by the sales year when a document first names them (seasons.py)."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from aggregates.partner import Partner
from aggregates.sales_document import SalesDocument
from commands.campaign_launch import launch_campaign
from commands.campaigns import (
    AddCampaignCost,
    PlanCampaign,
    TargetIn,
    add_campaign_cost,
    plan_campaign,
)
from commands.documents import DraftDocument, IssueDocument, draft_document, issue_document
from commands.messages import CreateTemplate, create_template
from queries.campaigns import CampaignQueries
from services.cli.demo.context import ACTOR, EUR, SEED, Demo
from services.cli.demo.reference import CATALOGUE, TAX_RATES, Product, load
from services.workers.mailer import campaign_launch, prepare

CAMPAIGN_SEED = SEED + 9
MARKETING = load("marketing")
CAMPAIGN = MARKETING["campaign"]
CAMPAIGN_CODE = CAMPAIGN["template"]["code"]
CAMPAIGN_BUYERS = 6  # targeted partners who order with the campaign's code


def campaigns(demo: Demo) -> str:
    container = demo.container
    rng = random.Random(CAMPAIGN_SEED)
    today = demo.today()
    queries = CampaignQueries(container.catalog)
    seasons = season_campaigns(demo)
    demo.run(create_template, CreateTemplate.model_validate(CAMPAIGN["template"]))
    target = TargetIn(
        interest_areas=["PRODUCT-NEWS"],
        revenue_from=today - timedelta(days=365),
        min_revenue=Decimal("0.01"),
    )
    plan = PlanCampaign(
        code=CAMPAIGN_CODE,
        name="Professional racking range",
        start_date=today,
        end_date=today + timedelta(days=45),
        cost=Decimal("2400.00"),
        template=CAMPAIGN_CODE,
        target=target,
    )
    demo.run(plan_campaign, plan)
    cost = AddCampaignCost(code=CAMPAIGN_CODE, amount=Decimal("860.00"), description="Printed catalogues")
    demo.run(add_campaign_cost, cost)
    container.runner.drain()
    targets = queries.target_ids(CAMPAIGN_CODE)
    if not targets:
        return f"{seasons}; campaign {CAMPAIGN_CODE} planned (no partner meets its criteria yet, not launched)"
    launch, recipients = campaign_launch(container.ports, CAMPAIGN_CODE)
    prepare(container.ports, demo.run(launch_campaign, launch).detail, ACTOR, recipients)
    container.runner.drain()
    catalogue = {p.code: p for p in CATALOGUE}
    invoices = [
        campaign_invoice(demo, str(partner), [catalogue[code] for code in CAMPAIGN["products"]], rng)
        for partner in rng.sample(targets, min(CAMPAIGN_BUYERS, len(targets)))
    ]
    returned = demo.get(invoices[0])
    assert isinstance(returned, SalesDocument)
    shelf = next(line for line in returned.lines.values() if line.product == "SHELF-HD")
    note = {
        "product": shelf.product,
        "description": f"Returned: {shelf.description}",
        "quantity": "1",
        "unit_price": str(shelf.unit_price),
        "discount_percent": str(shelf.discount_percent),
        "tax_rate": str(shelf.tax_rate),
        "unit_cost": str(shelf.unit_cost),
    }
    issue_campaign_document(demo, str(returned.terms.partner), "credit_note", [note], applies_to=invoices[0])
    container.runner.drain()
    f = queries.effectiveness(CAMPAIGN_CODE)
    return (
        f"{seasons}; campaign {CAMPAIGN_CODE} mailed to {f['messages']} contacts of {f['targeted']} partners: "
        f"{f['documents']} documents, revenue {f['revenue']}, margin {f['margin']} EUR against "
        f"{f['campaign_cost']} EUR of costs (ROI {f['roi_percent']} %)"
    )


def campaign_invoice(demo: Demo, partner: str, products: list[Product], rng: random.Random) -> str:
    """An invoice of the campaign's products at its 8 % discount, with the partner's VAT."""
    lines = [
        {
            "product": item.code,
            "description": item.description,
            "quantity": str(rng.randint(item.quantities[0], max(item.quantities[0], item.quantities[1] // 3))),
            "unit_price": str(item.price),
            "discount_percent": "8",
            "unit_cost": str(item.cost),
        }
        for item in products[: rng.randint(2, len(products))]
    ]
    return issue_campaign_document(demo, partner, "invoice", lines)


def issue_campaign_document(demo: Demo, partner: str, doc_type: str, lines: list[dict[str, Any]], **terms: Any) -> str:
    """A document naming the campaign, issued today; lines without a tax rate take the VAT of the
    partner's country (that of its first address)."""
    found = demo.get(partner)
    assert isinstance(found, Partner)
    addresses = list(found.addresses.values())
    rate = str(TAX_RATES.get(addresses[0].country if addresses else "", Decimal("0")))
    command = DraftDocument.model_validate(
        {
            "type": doc_type,
            "partner": partner,
            "currency": EUR,
            "campaign": CAMPAIGN_CODE,
            "lines": [{"tax_rate": rate, **line} for line in lines],
            **terms,
        }
    )
    document = str(demo.run(draft_document, command).id)
    demo.run(issue_document, IssueDocument(document=document))
    return document


def season_campaigns(demo: Demo) -> str:
    """How many season promotions the year's documents named (each planned when first named)."""
    docs = demo.container.catalog.table("documents", "documents")
    with demo.container.engine.connect() as conn:
        named = conn.execute(select(func.count(func.distinct(docs.c.campaign)))).scalar_one()
    return f"{named} season promotions"
