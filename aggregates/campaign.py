"""Campaigns: a planned marketing action with its period, channel, template, target criteria and
costs, launched once to the partners its criteria selected.

Which partners the criteria select is a question for the read side (sales facts, the directory,
subscriptions); the launch records the answer it was given, so the log keeps who was targeted
even after the criteria or the sales behind them change."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import Enum
from uuid import UUID

from aggregates.base import Aggregate, CreatedEvent, DomainEvent, Value, event, natural_id
from aggregates.errors import Invalid, conflict
from aggregates.template import Channel


class CampaignStatus(Enum):
    PLANNED = "planned"
    LAUNCHED = "launched"


class Target(Value):
    """Who a campaign is for. Criteria are ANDed; within a list any value matches."""

    groups: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    interest_areas: tuple[str, ...] = ()
    last_sale_before: date | None = None
    last_sale_after: date | None = None
    min_revenue: Decimal | None = None
    revenue_from: date | None = None
    revenue_to: date | None = None
    products: tuple[str, ...] = ()


class CampaignPlan(Value):
    name: str
    start_date: date
    end_date: date | None = None
    channel: Channel = Channel.EMAIL
    template: str | None = None
    target: Target = Target()


class CampaignPlanned(CreatedEvent):
    TOPIC = "counterparty.campaign.CampaignPlanned.v1"
    code: str
    plan: CampaignPlan
    cost: Decimal
    on: date


class CampaignChanged(DomainEvent):
    TOPIC = "counterparty.campaign.CampaignChanged.v1"
    fields: tuple[str, ...]
    plan: CampaignPlan


class CampaignCostAdded(DomainEvent):
    TOPIC = "counterparty.campaign.CampaignCostAdded.v1"
    amount: Decimal
    description: str
    on: date


class CampaignLaunched(DomainEvent):
    """The campaign went out to ``targets`` (the partners its criteria selected at that moment)
    through ``mailing``. Code and name travel along so each partner's timeline can say which.
    Launches are no longer recorded so (``CampaignDispatched``); the ones in the log still read."""

    TOPIC = "counterparty.campaign.CampaignLaunched.v1"
    code: str
    name: str
    on: date
    targets: tuple[UUID, ...]
    mailing: UUID


class CampaignDispatched(DomainEvent):
    """The campaign went out through ``mailing`` to ``targeted`` partners (those its criteria
    selected at that moment), listed in the ``batches`` ``CampaignTargetsRecorded`` events that
    follow in the same transaction: one event naming 100,000 partners would weigh megabytes."""

    TOPIC = "counterparty.campaign.CampaignDispatched.v1"
    code: str
    name: str
    on: date
    mailing: UUID
    targeted: int
    batches: int


class CampaignTargetsRecorded(DomainEvent):
    """One batch of a launch's target list. Code and name travel along so each partner's
    timeline can say which campaign."""

    TOPIC = "counterparty.campaign.CampaignTargetsRecorded.v1"
    code: str
    name: str
    batch: int
    targets: tuple[UUID, ...]


# Partners per ``CampaignTargetsRecorded``: about 40 kB of ids.
TARGET_BATCH = 1000
# The plan fields that decide what a launch sends: fixed once it has been sent.
SENDING_FIELDS = ("channel", "template", "target")


def check_plan(plan: CampaignPlan) -> None:
    if plan.end_date is not None and plan.end_date < plan.start_date:
        raise Invalid(["body", "end_date"], "the end date is before the start date")
    t = plan.target
    if t.revenue_from is not None and t.revenue_to is not None and t.revenue_to < t.revenue_from:
        raise Invalid(["body", "target", "revenue_to"], "revenue_to is before revenue_from")
    if t.last_sale_after is not None and t.last_sale_before is not None and t.last_sale_after >= t.last_sale_before:
        raise Invalid(["body", "target", "last_sale_after"], "last_sale_after must be before last_sale_before")


class Campaign(Aggregate):
    TOPIC = "counterparty.campaign.Campaign"

    code: str
    plan: CampaignPlan
    cost: Decimal
    status: CampaignStatus
    launched_on: date | None
    targeted: int

    @staticmethod
    def id_for(code: str) -> UUID:
        return natural_id("campaign", code)

    @classmethod
    def create(cls, code: str, plan: CampaignPlan, cost: Decimal, on: date) -> Campaign:
        check_plan(plan)
        if cost < 0:
            raise Invalid(["body", "cost"], "a cost may not be negative")
        return cls._create(CampaignPlanned, id=cls.id_for(code), code=code, plan=plan, cost=cost, on=on)

    @event(CampaignPlanned)
    def _planned(self, code: str, plan: CampaignPlan, cost: Decimal) -> None:
        self.code = code
        self.plan = plan
        self.cost = cost
        self.status = CampaignStatus.PLANNED
        self.launched_on = None
        self.targeted = 0

    def change(self, plan: CampaignPlan) -> None:
        """A new plan; what decides the sending cannot change once the campaign went out."""
        fields = tuple(f for f in CampaignPlan.model_fields if getattr(plan, f) != getattr(self.plan, f))
        if not fields:
            return
        if self.status is CampaignStatus.LAUNCHED and set(fields) & set(SENDING_FIELDS):
            raise conflict(
                "campaign_launched", f"campaign {self.code} was launched: its channel, template and target are fixed"
            )
        check_plan(plan)
        self._changed(fields=fields, plan=plan)

    @event(CampaignChanged)
    def _changed(self, plan: CampaignPlan) -> None:
        self.plan = plan

    def add_cost(self, amount: Decimal, description: str, on: date) -> None:
        if amount <= 0:
            raise Invalid(["body", "amount"], "a cost is a positive amount")
        self._cost_added(amount=amount, description=description, on=on)

    @event(CampaignCostAdded)
    def _cost_added(self, amount: Decimal) -> None:
        self.cost += amount

    @staticmethod
    def mailing_for(campaign_id: UUID) -> UUID:
        """The mailing the launch sends: derived from the campaign, so there is only ever one."""
        return natural_id("campaign-mailing", campaign_id)

    def launch(self, targets: list[UUID], on: date) -> None:
        """Once: a second launch would send the campaign again."""
        if self.status is CampaignStatus.LAUNCHED:
            raise conflict("campaign_launched", f"campaign {self.code} was launched on {self.launched_on}")
        if self.plan.channel is not Channel.EMAIL:
            raise conflict(
                "campaign_channel_unsupported",
                f"campaign {self.code} is for {self.plan.channel.value}: only e-mail campaigns are sent (as a mailing)",
            )
        if not targets:
            raise conflict("campaign_no_targets", f"the criteria of campaign {self.code} select no partner")
        unique = list(dict.fromkeys(targets))
        batches = [tuple(unique[i : i + TARGET_BATCH]) for i in range(0, len(unique), TARGET_BATCH)]
        name = self.plan.name
        self._dispatched(
            code=self.code,
            name=name,
            on=on,
            mailing=self.mailing_for(self.id),
            targeted=len(unique),
            batches=len(batches),
        )
        for number, batch in enumerate(batches, start=1):
            self._targets_recorded(code=self.code, name=name, batch=number, targets=batch)

    @event(CampaignLaunched)
    def _launched(self, on: date, targets: tuple[UUID, ...]) -> None:
        self.status = CampaignStatus.LAUNCHED
        self.launched_on = on
        self.targeted = len(targets)

    @event(CampaignDispatched)
    def _dispatched(self, on: date, targeted: int) -> None:
        self.status = CampaignStatus.LAUNCHED
        self.launched_on = on
        self.targeted = targeted

    @event(CampaignTargetsRecorded)
    def _targets_recorded(self) -> None:
        """The list is the read side's (the projection keeps it); the campaign needs its count only."""
