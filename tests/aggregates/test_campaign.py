"""The Campaign aggregate: its plan is validated, costs add up, and it launches exactly once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from aggregates.campaign import (
    TARGET_BATCH,
    Campaign,
    CampaignChanged,
    CampaignCostAdded,
    CampaignDispatched,
    CampaignLaunched,
    CampaignPlan,
    CampaignPlanned,
    CampaignStatus,
    CampaignTargetsRecorded,
    Target,
)
from aggregates.errors import Conflict, Invalid
from aggregates.template import Channel
from tests.gwt import given, like

CODE = "SPRING26"
ID = Campaign.id_for(CODE)
A = UUID("00000000-0000-4000-8000-0000000000a1")
B = UUID("00000000-0000-4000-8000-0000000000b2")
TODAY = date(2026, 1, 15)
MAILING = Campaign.mailing_for(ID)


def plan(**fields: Any) -> CampaignPlan:
    values: dict[str, Any] = {"name": "Spring offer", "start_date": date(2026, 3, 1), "end_date": date(2026, 4, 30)}
    return CampaignPlan(**{**values, **fields})


def planned(cost: str = "1000.00", **fields: Any) -> CampaignPlanned:
    return CampaignPlanned(
        originator_id=ID,
        originator_version=1,
        originator_topic=Campaign.TOPIC,
        code=CODE,
        plan=plan(**fields),
        cost=Decimal(cost),
        on=TODAY,
    )


def launched(version: int = 2) -> CampaignLaunched:
    return CampaignLaunched(
        originator_id=ID,
        originator_version=version,
        code=CODE,
        name="Spring offer",
        on=TODAY,
        targets=(A,),
        mailing=MAILING,
    )


def test_planning_records_the_plan_and_the_initial_cost() -> None:
    campaign = (
        given()
        .when(lambda _: Campaign.create(CODE, plan(), Decimal("1000.00"), TODAY))
        .then(like(CampaignPlanned, code=CODE, plan=plan(), cost=Decimal("1000.00"), on=TODAY))
    )
    assert campaign.id == ID
    assert campaign.status is CampaignStatus.PLANNED
    assert campaign.cost == Decimal("1000.00")
    assert campaign.plan.channel is Channel.EMAIL


def test_an_end_before_the_start_is_refused() -> None:
    error = (
        given()
        .when(lambda _: Campaign.create(CODE, plan(end_date=date(2026, 2, 28)), Decimal(0), TODAY))
        .then_raises(Invalid)
    )
    assert error.errors == [{"loc": ["body", "end_date"], "msg": "the end date is before the start date"}]


def test_an_end_on_the_start_day_is_a_one_day_campaign() -> None:
    given().when(lambda _: Campaign.create(CODE, plan(end_date=date(2026, 3, 1)), Decimal(0), TODAY)).then(
        CampaignPlanned
    )


def test_a_negative_cost_is_refused() -> None:
    error = given().when(lambda _: Campaign.create(CODE, plan(), Decimal("-0.01"), TODAY)).then_raises(Invalid)
    assert error.errors[0]["loc"] == ["body", "cost"]


def test_target_periods_must_be_in_order() -> None:
    revenue = Target(revenue_from=date(2026, 1, 2), revenue_to=date(2026, 1, 1))
    error = given().when(lambda _: Campaign.create(CODE, plan(target=revenue), Decimal(0), TODAY)).then_raises(Invalid)
    assert error.errors[0]["loc"] == ["body", "target", "revenue_to"]
    same_day = Target(revenue_from=date(2026, 1, 1), revenue_to=date(2026, 1, 1))
    given().when(lambda _: Campaign.create(CODE, plan(target=same_day), Decimal(0), TODAY)).then(CampaignPlanned)
    # a sale strictly after and strictly before one day: no date is left
    window = Target(last_sale_after=date(2026, 1, 1), last_sale_before=date(2026, 1, 1))
    error = given().when(lambda _: Campaign.create(CODE, plan(target=window), Decimal(0), TODAY)).then_raises(Invalid)
    assert error.errors[0]["loc"] == ["body", "target", "last_sale_after"]


def test_costs_added_later_add_up() -> None:
    campaign = (
        given(planned())
        .when(lambda c: c.add_cost(Decimal("250.50"), "Printing", date(2026, 3, 2)))
        .then(like(CampaignCostAdded, amount=Decimal("250.50"), description="Printing", on=date(2026, 3, 2)))
    )
    assert campaign.cost == Decimal("1250.50")
    printing = CampaignCostAdded(
        originator_id=ID, originator_version=2, amount=Decimal("250.50"), description="Printing", on=TODAY
    )
    campaign = given(planned(), printing).when(lambda c: c.add_cost(Decimal("0.01"), "", TODAY)).then(CampaignCostAdded)
    assert campaign.cost == Decimal("1250.51")


def test_a_cost_is_positive() -> None:
    for amount in ("0", "-5.00"):
        error = given(planned()).when(lambda c, a=amount: c.add_cost(Decimal(a), "refund", TODAY)).then_raises(Invalid)
        assert error.errors[0]["loc"] == ["body", "amount"]


def test_a_cost_can_be_added_after_the_launch() -> None:
    campaign = (
        given(planned(), launched())
        .when(lambda c: c.add_cost(Decimal("99.00"), "Agency", TODAY))
        .then(CampaignCostAdded)
    )
    assert campaign.cost == Decimal("1099.00")


def test_launch_records_the_target_list_once() -> None:
    campaign = (
        given(planned())
        .when(lambda c: c.launch([A, B, A], TODAY))
        .then(
            like(CampaignDispatched, code=CODE, name="Spring offer", on=TODAY, mailing=MAILING, targeted=2, batches=1),
            like(CampaignTargetsRecorded, code=CODE, name="Spring offer", batch=1, targets=(A, B)),
        )
    )
    assert campaign.status is CampaignStatus.LAUNCHED
    assert campaign.launched_on == TODAY
    assert campaign.targeted == 2


def test_a_long_target_list_is_recorded_in_batches_of_bounded_size() -> None:
    many = [UUID(int=i) for i in range(1, 2 * TARGET_BATCH + 2)]
    given(planned()).when(lambda c: c.launch(many, TODAY)).then(
        like(CampaignDispatched, targeted=2 * TARGET_BATCH + 1, batches=3),
        like(CampaignTargetsRecorded, batch=1, targets=tuple(many[:TARGET_BATCH])),
        like(CampaignTargetsRecorded, batch=2, targets=tuple(many[TARGET_BATCH : 2 * TARGET_BATCH])),
        like(CampaignTargetsRecorded, batch=3, targets=(many[-1],)),
    )


def test_a_launch_recorded_with_its_whole_list_still_reads() -> None:
    campaign = given(planned(), launched()).when(lambda c: None).then()
    assert (campaign.status, campaign.launched_on, campaign.targeted) == (CampaignStatus.LAUNCHED, TODAY, 1)


def test_a_second_launch_is_refused() -> None:
    given(planned(), launched()).when(lambda c: c.launch([A], TODAY)).then_raises(Conflict, "campaign_launched")


def test_a_launch_to_nobody_is_refused() -> None:
    given(planned()).when(lambda c: c.launch([], TODAY)).then_raises(Conflict, "campaign_no_targets")


def test_only_an_email_campaign_is_sent() -> None:
    given(planned(channel=Channel.SMS)).when(lambda c: c.launch([A], TODAY)).then_raises(
        Conflict, "campaign_channel_unsupported"
    )


def test_a_change_records_the_fields_that_differ() -> None:
    new = plan(name="Spring sale", target=Target(tags=("vip",)))
    campaign = given(planned()).when(lambda c: c.change(new)).then(like(CampaignChanged, fields=("name", "target")))
    assert campaign.plan == new
    given(planned()).when(lambda c: c.change(plan())).then()


def test_after_the_launch_only_the_name_and_dates_change() -> None:
    given(planned(), launched()).when(lambda c: c.change(plan(target=Target(tags=("vip",))))).then_raises(
        Conflict, "campaign_launched"
    )
    given(planned(), launched()).when(lambda c: c.change(plan(channel=Channel.SMS))).then_raises(
        Conflict, "campaign_launched"
    )
    given(planned(), launched()).when(lambda c: c.change(plan(end_date=date(2026, 5, 31)))).then(
        like(CampaignChanged, fields=("end_date",))
    )


def test_a_change_is_validated_like_a_plan() -> None:
    given(planned()).when(lambda c: c.change(plan(end_date=date(2026, 2, 1)))).then_raises(Invalid)
