"""Campaigns as rows: the plan, its costs, and the partners a launch targeted (what the
effectiveness figures count conversions against)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import BigInteger, Column, Date, Index, Integer, MetaData, Numeric, String, Table, Text

from aggregates.campaign import (
    CampaignChanged,
    CampaignCostAdded,
    CampaignDispatched,
    CampaignLaunched,
    CampaignPlan,
    CampaignPlanned,
    CampaignTargetsRecorded,
)
from aggregates.money import ZERO
from projections.catalog import Projection, Rows


def define(meta: MetaData, prefix: str) -> dict[str, Table]:
    campaigns = Table(
        f"{prefix}campaigns",
        meta,
        Column("code", String(40), primary_key=True),
        Column("id", String(36), nullable=False),
        Column("name", Text, nullable=False),
        Column("start_date", Date, nullable=False),
        Column("end_date", Date),
        Column("channel", String(10), nullable=False),
        Column("template", String(200)),
        Column("target", Text, nullable=False),
        Column("cost", Numeric(18, 2), nullable=False),
        Column("total_cost", Numeric(18, 2), nullable=False),
        Column("status", String(10), nullable=False),
        Column("planned_on", Date, nullable=False),
        Column("launched_on", Date),
        Column("mailing_id", String(36)),
        Column("targeted", Integer, nullable=False),
        Column("version", Integer, nullable=False),
    )
    Index(f"{prefix}ix_id", campaigns.c.id, unique=True)
    costs = Table(
        f"{prefix}costs",
        meta,
        Column("position", BigInteger, primary_key=True, autoincrement=False),
        Column("campaign", String(40), nullable=False),
        Column("date", Date, nullable=False),
        Column("amount", Numeric(18, 2), nullable=False),
        Column("description", Text, nullable=False),
    )
    Index(f"{prefix}ix_costs", costs.c.campaign, costs.c.position)
    targets = Table(
        f"{prefix}targets",
        meta,
        Column("campaign", String(40), primary_key=True),
        Column("partner_id", String(36), primary_key=True),
    )
    return {"campaigns": campaigns, "costs": costs, "targets": targets}


campaigns = Projection("campaigns", define)


def _plan_columns(plan: CampaignPlan) -> dict[str, Any]:
    return {
        "name": plan.name,
        "start_date": plan.start_date,
        "end_date": plan.end_date,
        "channel": plan.channel.value,
        "template": plan.template,
        "target": json.dumps(plan.target.model_dump(mode="json")),
    }


def _row(rows: Rows, e: CampaignChanged | CampaignCostAdded) -> dict[str, Any]:
    row = rows.get("campaigns", id=str(e.originator_id))
    assert row is not None, f"campaign {e.originator_id} missing"
    return row


@campaigns.on(CampaignPlanned)
def planned(e: CampaignPlanned, rows: Rows) -> None:
    rows.insert(
        "campaigns",
        code=e.code,
        id=str(e.originator_id),
        cost=e.cost,
        total_cost=e.cost,
        status="planned",
        planned_on=e.on,
        launched_on=None,
        mailing_id=None,
        targeted=0,
        version=e.originator_version,
        **_plan_columns(e.plan),
    )


@campaigns.on(CampaignChanged)
def changed(e: CampaignChanged, rows: Rows) -> None:
    row = _row(rows, e)
    rows.update("campaigns", {"code": row["code"]}, version=e.originator_version, **_plan_columns(e.plan))


@campaigns.on(CampaignCostAdded)
def cost_added(e: CampaignCostAdded, rows: Rows) -> None:
    row = _row(rows, e)
    total = row["total_cost"] or ZERO
    rows.update("campaigns", {"code": row["code"]}, version=e.originator_version, total_cost=total + e.amount)
    rows.insert(
        "costs", position=rows.position, campaign=row["code"], date=e.on, amount=e.amount, description=e.description
    )


@campaigns.on(CampaignLaunched)
def launched(e: CampaignLaunched, rows: Rows) -> None:
    rows.update(
        "campaigns",
        {"code": e.code},
        version=e.originator_version,
        status="launched",
        launched_on=e.on,
        mailing_id=str(e.mailing) if e.mailing else None,
        targeted=len(e.targets),
    )
    for partner in e.targets:
        rows.insert("targets", campaign=e.code, partner_id=str(partner))


@campaigns.on(CampaignDispatched)
def dispatched(e: CampaignDispatched, rows: Rows) -> None:
    rows.update(
        "campaigns",
        {"code": e.code},
        version=e.originator_version,
        status="launched",
        launched_on=e.on,
        mailing_id=str(e.mailing),
        targeted=e.targeted,
    )


@campaigns.on(CampaignTargetsRecorded)
def targets_recorded(e: CampaignTargetsRecorded, rows: Rows) -> None:
    rows.update("campaigns", {"code": e.code}, version=e.originator_version)
    for partner in e.targets:
        rows.insert("targets", campaign=e.code, partner_id=str(partner))
