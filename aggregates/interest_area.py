"""Interest areas and their subscriptions.

An interest area is a topic contacts can follow (a newsletter, a product line). Each contact's
subscription to an area is a stream of its own, keyed by (area, contact), so that subscribing
thousands of contacts never contends on one stream, and so that the subscription's history
(subscribed, opted out, subscribed again, each dated) is the contact's consent record.

``self_service`` areas are the ones a contact manages themselves: the unsubscribe page offers to
subscribe again. Every area can be left through the unsubscribe link of its mailings."""

from __future__ import annotations

from datetime import date
from enum import Enum
from uuid import UUID

from aggregates.base import Aggregate, CreatedEvent, DomainEvent, event, natural_id
from aggregates.errors import conflict


class InterestAreaCreated(CreatedEvent):
    TOPIC = "counterparty.interest_area.InterestAreaCreated.v1"
    code: str
    name: str
    self_service: bool
    on: date


class InterestArea(Aggregate):
    TOPIC = "counterparty.interest_area.InterestArea"

    code: str
    name: str
    self_service: bool
    created_on: date

    @staticmethod
    def id_for(code: str) -> UUID:
        return natural_id("interest-area", code)

    @classmethod
    def create(cls, code: str, name: str, self_service: bool, on: date) -> InterestArea:
        if not name.strip():
            raise conflict("name_required", "an interest area needs a name")
        return cls._create(
            InterestAreaCreated, id=cls.id_for(code), code=code, name=name, self_service=self_service, on=on
        )

    @event(InterestAreaCreated)
    def _created(self, code: str, name: str, self_service: bool, on: date) -> None:
        self.code = code
        self.name = name
        self.self_service = self_service
        self.created_on = on


class SubscriptionStatus(Enum):
    SUBSCRIBED = "subscribed"
    OPTED_OUT = "opted_out"


class ContactSubscribed(CreatedEvent):
    """The first subscription of a contact to an area. ``partner`` is the contact's partner then;
    ``via`` says who recorded it: ``api`` (staff) or ``link`` (the contact, on the unsubscribe page)."""

    TOPIC = "counterparty.interest_area.ContactSubscribed.v1"
    area: str
    contact: UUID
    partner: UUID
    on: date
    via: str


class ContactResubscribed(DomainEvent):
    TOPIC = "counterparty.interest_area.ContactResubscribed.v1"
    partner: UUID
    on: date
    via: str


class ContactUnsubscribed(DomainEvent):
    """The contact opted out of the area; ``mailing`` is the mailing whose link they used."""

    TOPIC = "counterparty.interest_area.ContactUnsubscribed.v1"
    partner: UUID
    on: date
    via: str
    mailing: UUID | None = None


class Subscription(Aggregate):
    TOPIC = "counterparty.interest_area.Subscription"

    area: str
    contact: UUID
    partner: UUID
    status: SubscriptionStatus
    subscribed_on: date
    opted_out_on: date | None

    @staticmethod
    def id_for(area: str, contact: UUID) -> UUID:
        return natural_id("subscription", area, contact)

    @classmethod
    def subscribe_first(cls, area: str, contact: UUID, partner: UUID, on: date, via: str) -> Subscription:
        return cls._create(
            ContactSubscribed, id=cls.id_for(area, contact), area=area, contact=contact, partner=partner, on=on, via=via
        )

    @event(ContactSubscribed)
    def _subscribed(self, area: str, contact: UUID, partner: UUID, on: date) -> None:
        self.area = area
        self.contact = contact
        self.partner = partner
        self.status = SubscriptionStatus.SUBSCRIBED
        self.subscribed_on = on
        self.opted_out_on = None

    def resubscribe(self, partner: UUID, on: date, via: str) -> None:
        """Subscribes again after an opt-out; a subscribed contact stays as it is."""
        if self.status is SubscriptionStatus.OPTED_OUT:
            self._resubscribed(partner=partner, on=on, via=via)

    @event(ContactResubscribed)
    def _resubscribed(self, partner: UUID, on: date) -> None:
        self.partner = partner
        self.status = SubscriptionStatus.SUBSCRIBED
        self.subscribed_on = on
        self.opted_out_on = None

    def opt_out(self, partner: UUID, on: date, via: str, mailing: UUID | None = None) -> None:
        """Ends the subscription on ``on``; an opted-out contact keeps its first opt-out date."""
        if self.status is SubscriptionStatus.SUBSCRIBED:
            self._unsubscribed(partner=partner, on=on, via=via, mailing=mailing)

    @event(ContactUnsubscribed)
    def _unsubscribed(self, partner: UUID, on: date) -> None:
        self.partner = partner
        self.status = SubscriptionStatus.OPTED_OUT
        self.opted_out_on = on
