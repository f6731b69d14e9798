"""(f) Campaign target selection over many partners, the read-model rows written in bulk."""

from __future__ import annotations

import random
import time
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

from rich.progress import Progress

from aggregates.money import cents
from aggregates.partner_contacts import Contact
from commands.campaigns import PlanCampaign, TargetIn, plan_campaign
from commands.partner_groups import CreatePartnerGroup, create_partner_group
from projections.partner_directory import _details_columns, dump
from queries.campaigns import CampaignQueries
from queries.pages import PageRequest
from services.bootstrap.container import Container
from services.cli.bench.common import Advance, Figure, Sizes, catch_up_read_models, open_container, task, timed_query
from services.cli.bench.data import details
from services.cli.bench.targets import Target
from services.workers.ports import Request

# -- (f) campaign target selection ---------------------------------------------------------------

CAMPAIGN_CONTACTS = 3  # contacts per partner in the target-selection data set
CAMPAIGN_SEED = 20260115
CAMPAIGN_GROUPS = 10
CAMPAIGN_RUNS = 5  # each selection is timed this many times; the figure is the median
ROW_BATCH = 5_000  # read-model rows per executemany while building the data set
# What a campaign can ask, from the broadest to everything at once (groups G0–G9 exist).
CAMPAIGN_TARGETS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("no criteria", {}),
    ("2 groups + 1 tag", {"groups": ["G1", "G2"], "tags": ["t3"]}),
    ("last sale window + min revenue", {"last_sale_after": -300, "last_sale_before": -60, "min_revenue": "500"}),
    ("3 products in a year", {"products": ["P001", "P017", "P042"], "revenue_from": -365}),
    (
        "all criteria",
        {
            "groups": ["G1", "G2", "G3"],
            "tags": ["t1", "t2", "t3", "t4"],
            "last_sale_after": -300,
            "min_revenue": "200",
            "revenue_from": -365,
            "products": ["P001", "P017", "P042"],
        },
    ),
)


def campaign_rows(i: int, today: date, rng: random.Random) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A directory row of partner ``i`` (group, tags, three contacts) and its tag rows, shaped as
    the partner directory projection writes them."""
    people = [
        Contact(id=uuid4(), name=f"Contact {i}-{k}", email=f"c{i}-{k}@example.com") for k in range(CAMPAIGN_CONTACTS)
    ]
    contacts = {str(p.id): p.model_dump(mode="json") for p in people}
    code = f"K{i:07d}"
    d = details(i).model_copy(update={"group": f"G{rng.randrange(CAMPAIGN_GROUPS)}"})
    row = {
        "id": str(uuid4()),
        "code": code,
        "status": "active",
        "merged_into": None,
        "manual_hold": None,
        "blocks": 0,
        "created_on": today,
        "created_position": i,
        "version": 1 + CAMPAIGN_CONTACTS,
        "addresses": "{}",
        "contacts": dump(contacts),
        "attachments": "{}",
        **_details_columns(d, code, contacts),
    }
    return row, [{"partner_id": row["id"], "tag": tag} for tag in d.tags]


def sales_facts(partner: dict[str, Any], today: date, rng: random.Random, position: int) -> list[dict[str, Any]]:
    """Seven partners in ten buy: one to five invoices of one to three lines over the last two
    years; a tenth of the invoices are partly credited."""
    if rng.random() >= 0.7:
        return []
    facts = []
    for n in range(rng.randint(1, 5)):
        document = str(uuid4())
        day = today - timedelta(days=rng.randrange(730))
        for seq in range(rng.randint(1, 3)):
            quantity = Decimal(rng.randint(1, 10))
            revenue = quantity * Decimal(rng.randint(20, 200))
            facts.append(
                fact(
                    partner, document, "invoice", day, position + n, seq, f"P{rng.randrange(50):03d}", quantity, revenue
                )
            )
        if rng.random() < 0.1:
            last = facts[-1]
            facts.append(
                fact(
                    partner,
                    str(uuid4()),
                    "credit_note",
                    min(today, day + timedelta(days=14)),
                    position + n,
                    100,
                    last["product"],
                    -last["quantity"],
                    -last["revenue"],
                )
            )
    return facts


def fact(
    partner: dict[str, Any],
    document: str,
    kind: str,
    day: date,
    position: int,
    seq: int,
    product: str,
    quantity: Decimal,
    revenue: Decimal,
) -> dict[str, Any]:
    """A profitability fact row (one invoice or credit-note line)."""
    return {
        "position": position,
        "seq": seq,
        "document": document,
        "kind": kind,
        "date": day,
        "partner_id": partner["id"],
        "group_code": partner["group_code"],
        "sales_rep": None,
        "product": product,
        "campaign": None,
        "quantity": quantity,
        "revenue": revenue,
        "cost": cents(revenue * Decimal("0.6")),
        "other_income": Decimal(0),
    }


def build_campaign_rows(c: Container, partners: int, advance: Advance) -> dict[str, int]:
    """The read-model rows target selection reads, written straight into the live tables in
    batches of ``ROW_BATCH`` (going through the log would spend the whole bench on catch-up):
    the directory (one partner in a hundred merged into the next one), tags and sales facts."""
    today = c.today()
    rng = random.Random(CAMPAIGN_SEED)
    tables = {
        "partners": c.catalog.table("partner_directory", "partners"),
        "tags": c.catalog.table("partner_directory", "tags"),
        "facts": c.catalog.table("profitability", "facts"),
    }
    pending: dict[str, list[dict[str, Any]]] = {name: [] for name in tables}
    counts = dict.fromkeys(tables, 0)

    def flush(conn: Any, force: bool = False) -> None:
        for name, rows in pending.items():
            if rows and (force or len(rows) >= ROW_BATCH):
                conn.execute(tables[name].insert(), rows)
                counts[name] += len(rows)
                pending[name] = []

    position = 1
    with c.engine.begin() as conn:
        previous: dict[str, Any] | None = None
        for i in range(partners):
            row, tags = campaign_rows(i, today, rng)
            if previous is not None and i % 100 == 0:
                previous.update(status="merged", merged_into=row["id"])
            facts = sales_facts(row, today, rng, position)
            position += 10
            if previous is not None:
                pending["partners"].append(previous)
            pending["tags"] += tags
            pending["facts"] += facts
            previous = row
            flush(conn)
            advance(1)
        if previous is not None:
            pending["partners"].append(previous)
        flush(conn, force=True)
    if c.engine.dialect.name == "postgresql":
        # A live database has its statistics (autovacuum analyses after large writes); without
        # them the planner takes the aggregated sales for 200 rows and nests loops over them.
        with c.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    return {
        "partners": counts["partners"],
        "contacts": counts["partners"] * CAMPAIGN_CONTACTS,
        "facts": counts["facts"],
    }


def campaign_target(spec: dict[str, Any], today: date) -> TargetIn:
    """A target with its day offsets (negative: days before today) turned into dates."""
    dated = {k: (today + timedelta(days=v)).isoformat() if isinstance(v, int) else v for k, v in spec.items()}
    return TargetIn.model_validate(dated)


def bench_campaigns(target: Target, sizes: Sizes, bar: Progress) -> list[Figure]:
    """Target selection (``CampaignQueries.preview``: the first page of 50 with the total, and
    why each partner is listed) for targets of growing selectivity, and the whole target list a
    launch sends to, over ``sizes.campaign_partners`` partners."""
    name = target.name
    n = sizes.campaign_partners
    with open_container(target.settings("campaigns")) as c:
        today = c.today()
        started = time.perf_counter()
        built = build_campaign_rows(c, n, task(bar, f"{name}: building {n:,} partners for campaigns", n))
        build_s = time.perf_counter() - started
        request = Request(actor="bench")
        for g in range(CAMPAIGN_GROUPS):
            c.execute(create_partner_group, CreatePartnerGroup(code=f"G{g}", name=f"Group {g}"), request)
        for k, (_, spec) in enumerate(CAMPAIGN_TARGETS):
            command = PlanCampaign(code=f"BENCH{k}", name="Bench", target=campaign_target(spec, today))
            c.execute(plan_campaign, command, request)
        catch_up_read_models(c, ("campaigns",), bar, name)
        queries = CampaignQueries(c.catalog)
        size = f"{built['partners']:,} partners"
        figures = [
            timed_query(
                name,
                f"campaign preview, {label} ({size})",
                lambda k=k: queries.preview(f"BENCH{k}", PageRequest()),  # type: ignore[misc]
                lambda a: int(a["total"]),
                runs=CAMPAIGN_RUNS,
            )
            for k, (label, _) in enumerate(CAMPAIGN_TARGETS)
        ]
        figures.append(
            timed_query(
                name,
                f"campaign target list, no criteria ({size})",
                lambda: queries.target_ids("BENCH0"),
                len,
                runs=CAMPAIGN_RUNS,
            )
        )
    for f in figures:
        f.extra.update(built, build_s=round(build_s, 1))
    return figures
