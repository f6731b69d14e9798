"""/v1/campaigns: plan, cost, preview the target list, launch, effectiveness."""

from __future__ import annotations

import logging
import threading
from datetime import date
from typing import Any
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field

from aggregates.campaign import Campaign, CampaignStatus
from aggregates.template import Channel
from commands.campaign_launch import launch_campaign
from commands.campaigns import (
    AddCampaignCost,
    ChangeCampaign,
    CostFields,
    PlanCampaign,
    PlanFields,
    add_campaign_cost,
    change_campaign,
    plan_campaign,
)
from commands.context import Result
from services.api.deps import AnyRole, Cmd, Cont, Paging, ReadModels
from services.workers.mailer import campaign_launch, prepare

log = logging.getLogger("counterparty.campaigns")
router = APIRouter(prefix="/v1/campaigns", tags=["campaigns"])


class CampaignCreate(PlanCampaign):
    pass


class CampaignUpdate(PlanFields):
    pass


class CostCreate(CostFields):
    pass


class TargetPublic(BaseModel):
    groups: list[str]
    tags: list[str]
    interest_areas: list[str]
    last_sale_before: date | None
    last_sale_after: date | None
    min_revenue: str | None
    revenue_from: date | None
    revenue_to: date | None
    products: list[str]


class CostPublic(BaseModel):
    date: date
    amount: str
    description: str


class CampaignPublic(BaseModel):
    id: UUID
    code: str
    name: str
    start_date: date
    end_date: date | None
    channel: Channel
    template: str | None
    target: TargetPublic
    cost: str = Field(description="the cost given when the campaign was planned")
    costs: list[CostPublic] = Field(description="costs added later, oldest first")
    total_cost: str
    status: CampaignStatus = Field(description="planned | launched")
    planned_on: date
    launched_on: date | None
    mailing: UUID | None = Field(description="the mailing the launch sent")
    targeted: int = Field(description="partners the launch targeted")
    version: int


class CampaignList(BaseModel):
    items: list[CampaignPublic]
    next_cursor: str | None


class TargetPartner(BaseModel):
    partner: UUID
    code: str
    name: str
    group: str | None
    matched: list[str] = Field(description="the criteria the campaign sets; the partner meets every one")
    tags: list[str] = Field(description="the target's tags the partner has")
    interest_areas: list[str] = Field(description="the target's interest areas a contact of the partner subscribes to")
    products: list[str] = Field(description="the target's products the partner bought in the revenue period")
    last_sale: date | None = Field(description="the date of the partner's latest issued invoice")
    revenue: str = Field(description="invoices minus credit notes dated in [revenue_from, revenue_to]")


class Preview(BaseModel):
    campaign: str
    total: int = Field(description="partners in the whole target list")
    items: list[TargetPartner]
    next_cursor: str | None


class Effectiveness(BaseModel):
    campaign: str
    documents: int = Field(description="issued invoices and credit notes naming the campaign")
    invoices: int
    credit_notes: int
    revenue: str
    cost_of_goods: str
    margin: str
    campaign_cost: str
    roi_percent: str | None = Field(description="(margin − campaign cost) / campaign cost; null when the cost is 0")
    targeted: int
    messages: int
    sent: int
    read: int
    ordering_partners: int = Field(description="partners with an issued order or invoice naming the campaign")
    converted_partners: int = Field(description="ordering partners that the launch targeted")
    conversion_percent: str | None = Field(description="converted / targeted; null before the launch")


@router.post("", status_code=201, response_model=CampaignPublic, summary="Plan a campaign")
def create(body: CampaignCreate, cmd: Cmd, reads: ReadModels) -> Response:
    """``start_date`` defaults to today, ``end_date`` to none (open-ended), ``cost`` to 0, ``channel`` to
    ``email``, ``template`` to the default campaign e-mail template at launch. Unknown references are 422
    and record nothing; a second campaign with the code is 409 ``campaign_exists``."""
    command = PlanCampaign.model_validate(body.model_dump(exclude_unset=True))
    return cmd.run(plan_campaign, command, lambda r: reads.campaigns.get(command.code), status=201)


@router.get("", response_model=CampaignList, summary="Campaigns, latest start first")
def list_campaigns(
    _who: AnyRole, reads: ReadModels, paging: Paging, status: CampaignStatus | None = None
) -> dict[str, Any]:
    """Latest start first; ``status`` filters."""
    return reads.campaigns.search(paging, status.value if status else None)


@router.get("/{code}", response_model=CampaignPublic, summary="One campaign")
def get_campaign(code: str, _who: AnyRole, reads: ReadModels) -> dict[str, Any]:
    """By code (case-sensitive), with its costs and ``total_cost``; after the launch ``targeted`` and
    ``mailing``."""
    return reads.campaigns.get(code)


@router.patch("/{code}", response_model=CampaignPublic, summary="Change a campaign")
def patch_campaign(code: str, body: CampaignUpdate, cmd: Cmd, reads: ReadModels) -> Response:
    """Changes the fields sent: ``null`` clears ``end_date`` and ``template``, ``target`` replaces the whole
    target. Once launched, ``channel``, ``template`` and ``target`` are fixed (409 ``campaign_launched``)."""
    command = ChangeCampaign.model_validate({**body.model_dump(exclude_unset=True), "code": code})
    return cmd.run(change_campaign, command, lambda r: reads.campaigns.get(code))


@router.post("/{code}/costs", status_code=201, response_model=CampaignPublic, summary="Add a cost (dated today)")
def add_cost(code: str, body: CostCreate, cmd: Cmd, reads: ReadModels) -> Response:
    """A positive amount (else 422), dated today, also after the launch; ``total_cost`` = ``cost`` + the added
    costs."""
    command = AddCampaignCost(code=code, **body.model_dump())
    return cmd.run(add_campaign_cost, command, lambda r: reads.campaigns.get(code), status=201)


@router.post("/{code}/preview", response_model=Preview, summary="The target list, and why each partner is on it")
def preview(code: str, _who: AnyRole, reads: ReadModels, paging: Paging) -> dict[str, Any]:
    """Records nothing: the partners the criteria select now, in name order, with the criteria each meets,
    and ``total`` for the whole list. Whom the launch targeted is the campaign's ``targeted``."""
    return reads.campaigns.preview(code, paging)


@router.post("/{code}/launch", response_model=CampaignPublic, summary="Send the campaign to its target list (once)")
def launch(code: str, cmd: Cmd, reads: ReadModels, c: Cont) -> Response:
    """Renders the template for a first recipient (409 ``template_render_failed`` records
    nothing), records the launch with its target list and starts the campaign's mailing, then
    queues the mailing's messages before answering (the sender delivers them in the
    background). With ``Prefer: respond-async`` it answers 202 at once and queues meanwhile.
    Consent: when the target names interest areas, only their subscribers are mailed."""
    command, plan = campaign_launch(c.ports, code)

    def respond(result: Result) -> dict[str, Any]:
        prepare(c.ports, result.detail, cmd.who.name, plan)
        c.runner.wait(c.store.head(), c.settings.consistency_timeout)
        return reads.campaigns.get(code)

    response = cmd.run(launch_campaign, command, respond)
    if response.status_code == 202:
        mailing = Campaign.mailing_for(Campaign.id_for(code.strip()))

        def queue_all() -> None:
            try:
                prepare(c.ports, mailing, cmd.who.name, plan)
            except Exception:  # the mailing preparer resumes it after its lease
                log.exception("campaign mailing preparation failed", extra={"campaign": code})

        threading.Thread(target=queue_all, name="campaign-mailing", daemon=True).start()
    return response


@router.get("/{code}/effectiveness", response_model=Effectiveness, summary="What the campaign brought")
def effectiveness(code: str, _who: AnyRole, reads: ReadModels) -> dict[str, Any]:
    """From the issued invoices and credit notes naming the campaign (credit notes subtract): revenue,
    margin, ``roi_percent`` (null at zero cost), messages sent and read, and the targeted partners that
    ordered (``conversion_percent`` null before the launch)."""
    return reads.campaigns.effectiveness(code)
