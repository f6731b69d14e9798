"""Campaign commands: plan, change, add a cost (the launch: commands/campaign_launch.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field, StringConstraints

from aggregates.campaign import Campaign, CampaignPlan, Target
from aggregates.errors import Invalid, conflict, not_found
from aggregates.interest_area import InterestArea
from aggregates.partner_group import PartnerGroup
from aggregates.template import Channel, Template
from commands.context import CommandContext, Result
from commands.types import Code, Money, Name, NonNegativeMoney, ShortText, Strict

# Group codes are upper-case (POST /v1/partner-groups upper-cases them), so is the reference.
GroupCode = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, min_length=1, max_length=80)]
Values = Annotated[list[ShortText], Field(max_length=200)]


class TargetIn(Strict):
    groups: Annotated[list[GroupCode], Field(max_length=200)] = Field(default_factory=list)
    tags: Values = Field(default_factory=list)
    interest_areas: Values = Field(default_factory=list)
    last_sale_before: date | None = None
    last_sale_after: date | None = None
    min_revenue: Money | None = None
    revenue_from: date | None = None
    revenue_to: date | None = None
    products: Values = Field(default_factory=list)

    def value(self) -> Target:
        lists = {k: tuple(dict.fromkeys(v for v in getattr(self, k) if v)) for k in LIST_CRITERIA}
        return Target(**{**self.model_dump(exclude=set(LIST_CRITERIA)), **lists})


LIST_CRITERIA = ("groups", "tags", "interest_areas", "products")


class PlanFields(Strict):
    name: Name | None = None
    start_date: date | None = None
    end_date: date | None = None
    channel: Channel | None = None
    template: ShortText | None = None
    target: TargetIn | None = None


class PlanCampaign(PlanFields):
    code: Code
    name: Name
    cost: NonNegativeMoney = Decimal("0.00")
    channel: Channel = Channel.EMAIL


class ChangeCampaign(PlanFields):
    code: str = Field(exclude=True)


def load_campaign(ctx: CommandContext, code: str) -> Campaign:
    campaign = ctx.find(Campaign, Campaign.id_for(code.strip()))
    if campaign is None:
        raise not_found("campaign", code)
    return campaign


def _check_references(ctx: CommandContext, plan: CampaignPlan) -> None:
    """The template, the groups and the interest areas must exist: a typo would silently send the
    default text, or target nobody."""
    if plan.template is not None:
        template = ctx.find(Template, Template.id_for(plan.template))
        if template is None:
            raise Invalid(["body", "template"], f"unknown template {plan.template}")
        if template.content.channel is not plan.channel:
            raise Invalid(
                ["body", "template"],
                f"template {plan.template} is for {template.content.channel.value}, not {plan.channel.value}",
            )
    for i, group in enumerate(plan.target.groups):
        if ctx.find(PartnerGroup, PartnerGroup.id_for(group)) is None:
            raise Invalid(["body", "target", "groups", i], f"unknown partner group {group}")
    for i, area in enumerate(plan.target.interest_areas):
        if ctx.find(InterestArea, InterestArea.id_for(area)) is None:
            raise Invalid(["body", "target", "interest_areas", i], f"unknown interest area {area}")


def plan_campaign(cmd: PlanCampaign, ctx: CommandContext) -> Result:
    code = cmd.code.strip()
    if ctx.find(Campaign, Campaign.id_for(code)) is not None:
        raise conflict("campaign_exists", f"a campaign {code} already exists")
    plan = CampaignPlan(
        name=cmd.name,
        start_date=cmd.start_date or ctx.today,
        end_date=cmd.end_date,
        channel=cmd.channel,
        template=cmd.template,
        target=(cmd.target or TargetIn()).value(),
    )
    _check_references(ctx, plan)
    campaign = Campaign.create(code, plan, cmd.cost, ctx.today)
    return Result(ctx.save(campaign), campaign.id)


def change_campaign(cmd: ChangeCampaign, ctx: CommandContext) -> Result:
    """Changes the fields sent; ``null`` clears ``end_date`` and ``template``; ``target`` replaces
    the whole target."""
    campaign = ctx.load_for_update(Campaign, load_campaign(ctx, cmd.code).id)
    changes: dict[str, Any] = {k: getattr(cmd, k) for k in cmd.model_fields_set if k != "code"}
    for required in ("name", "start_date", "channel"):
        if required in changes and changes[required] is None:
            raise Invalid(["body", required], "this field cannot be null")
    if "target" in changes:
        changes["target"] = (changes["target"] or TargetIn()).value()
    plan = campaign.plan.model_copy(update=changes)
    _check_references(ctx, plan)
    campaign.change(plan)
    return Result(ctx.save(campaign), campaign.id)


class CostFields(Strict):
    amount: Annotated[Money, Field(gt=0)]
    description: ShortText = ""


class AddCampaignCost(CostFields):
    code: str = Field(exclude=True)


def add_campaign_cost(cmd: AddCampaignCost, ctx: CommandContext) -> Result:
    """A cost incurred later (printing, an agency's invoice), dated today."""
    campaign = ctx.load_for_update(Campaign, load_campaign(ctx, cmd.code).id)
    campaign.add_cost(cmd.amount, cmd.description, ctx.today)
    return Result(ctx.save(campaign), campaign.id)
