"""/v1/interest-areas: areas and their subscriptions; and a contact's opt-out of every mailing
(/v1/partners/{partner}/contacts/{contact}/opt-out)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from aggregates.errors import Invalid, not_found
from aggregates.interest_area import SubscriptionStatus
from commands.interest_areas import (
    CreateInterestArea,
    OptInContact,
    OptOut,
    OptOutContact,
    Subscribe,
    create_interest_area,
    opt_in_contact,
    opt_out,
    opt_out_contact,
    subscribe,
)
from services.api.deps import AnyRole, Cmd, Paging, ReadModels, Reads
from services.api.partners import ContactPublic
from services.api.word_lists import word_list

router = APIRouter(tags=["interest areas"])
AREAS = "/v1/interest-areas"


class InterestAreaCreate(CreateInterestArea):
    pass


class InterestAreaPublic(BaseModel):
    code: str
    name: str
    self_service: bool
    subscribers: int = Field(description="contacts subscribed now")
    created_on: date
    version: int


class InterestAreaList(BaseModel):
    items: list[InterestAreaPublic]
    next_cursor: str | None


class SubscriptionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contact: UUID


class SubscriptionPublic(BaseModel):
    area: str
    contact: UUID
    partner: UUID
    status: SubscriptionStatus = Field(description="subscribed | opted_out")
    subscribed_on: date
    opted_out_on: date | None
    version: int


class SubscriptionList(BaseModel):
    items: list[SubscriptionPublic]
    next_cursor: str | None


@router.post(AREAS, status_code=201, response_model=InterestAreaPublic, summary="Create an interest area")
def create_area(body: InterestAreaCreate, cmd: Cmd, reads: ReadModels) -> Response:
    """The code is kept as typed (trimmed); a second area with the code is 409 ``interest_area_exists``.
    The unsubscribe page offers to subscribe again to ``self_service`` areas only."""
    command = CreateInterestArea.model_validate(body.model_dump())
    return cmd.run(create_interest_area, command, lambda r: reads.interest_areas.get(command.code), status=201)


@router.get(AREAS, response_model=InterestAreaList, summary="Interest areas")
def list_areas(_who: AnyRole, reads: ReadModels, paging: Paging) -> dict[str, Any]:
    """By code, each with the number of contacts subscribed now."""
    return reads.interest_areas.areas(paging)


@router.get(AREAS + "/{code}", response_model=InterestAreaPublic, summary="One interest area")
def get_area(code: str, _who: AnyRole, reads: ReadModels) -> dict[str, Any]:
    """By code, with the number of contacts subscribed now."""
    return reads.interest_areas.get(code)


@router.post(
    AREAS + "/{code}/subscriptions",
    status_code=201,
    response_model=SubscriptionPublic,
    summary="Subscribe a contact (again, after an opt-out)",
)
def create_subscription(code: str, body: SubscriptionCreate, cmd: Cmd, reads: ReadModels) -> Response:
    """Recorded on the contact's subscription stream, the consent record (an unknown contact is 422). A
    subscribed contact records nothing; one who opted out is subscribed again today. An opt-out of every
    mailing stays."""
    area = reads.interest_areas.get(code)["code"]
    partner = reads.mailings.contact_partner(body.contact)
    if partner is None:
        raise Invalid(["body", "contact"], f"unknown contact {body.contact}")
    command = Subscribe(area=area, contact=body.contact, partner=UUID(partner))
    return cmd.run(subscribe, command, lambda r: reads.interest_areas.subscription(area, body.contact), status=201)


@router.get(AREAS + "/{code}/subscriptions", response_model=SubscriptionList, summary="An area's subscribers")
def list_subscriptions(
    code: str,
    _who: AnyRole,
    reads: ReadModels,
    paging: Paging,
    status: Annotated[str, word_list(SubscriptionStatus, "all")] = "subscribed",
) -> dict[str, Any]:
    """In the order contacts first subscribed; ``partner`` is the contact's partner now (after merges)."""
    wanted = None if status == "all" else status
    if wanted and set(wanted.split(",")) - {"subscribed", "opted_out"}:
        raise Invalid(["query", "status"], "status is subscribed, opted_out or all")
    return reads.interest_areas.subscriptions(code, paging, wanted)


@router.delete(
    AREAS + "/{code}/subscriptions/{contact}", response_model=SubscriptionPublic, summary="Opt a contact out, today"
)
def delete_subscription(code: str, contact: UUID, cmd: Cmd, reads: ReadModels) -> Response:
    """Opts the contact out today and answers the subscription; opting out again keeps the first date. A
    contact who never subscribed is 404."""
    area = reads.interest_areas.get(code)["code"]
    partner = reads.mailings.contact_partner(contact)
    command = OptOut(area=area, contact=contact, partner=UUID(partner) if partner else None)
    return cmd.run(opt_out, command, lambda r: reads.interest_areas.subscription(area, contact))


# -- a contact's opt-out of every mailing ------------------------------------------------------------

CONTACT_OPT_OUT = "/v1/partners/{partner}/contacts/{contact}/opt-out"


def _contact(reads: Reads, partner: str, contact: UUID) -> dict[str, Any]:
    found = next((c for c in reads.partners.get(partner)["contacts"] if c["id"] == str(contact)), None)
    if found is None:
        raise not_found("contact", contact)
    return found


@router.post(CONTACT_OPT_OUT, response_model=ContactPublic, tags=["partners"], summary="Opt out of every mailing")
def contact_opt_out(partner: str, contact: UUID, cmd: Cmd, reads: ReadModels) -> Response:
    """Sets ``opted_out_on`` today (again: the first date stays): every mailing skips the contact, whatever
    its subscriptions, until ``DELETE`` lifts it."""
    command = OptOutContact(partner=partner, contact=contact)
    return cmd.run(opt_out_contact, command, lambda r: _contact(reads, partner, contact))


@router.delete(CONTACT_OPT_OUT, response_model=ContactPublic, tags=["partners"], summary="Accept mailings again")
def contact_opt_in(partner: str, contact: UUID, cmd: Cmd, reads: ReadModels) -> Response:
    """Lifts the opt-out of every mailing (after the contact asked for it); subscribing to an area does not
    lift it."""
    command = OptInContact(partner=partner, contact=contact)
    return cmd.run(opt_in_contact, command, lambda r: _contact(reads, partner, contact))
