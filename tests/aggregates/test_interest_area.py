"""Interest areas, subscriptions (subscribe, opt out dated, subscribe again), a contact's opt-out of
every mailing, and the Mailing aggregate (batches in order, once; unsubscribing through a link)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID

from aggregates.errors import Conflict, NotFound
from aggregates.interest_area import (
    ContactResubscribed,
    ContactSubscribed,
    ContactUnsubscribed,
    InterestArea,
    InterestAreaCreated,
    Subscription,
    SubscriptionStatus,
)
from aggregates.mailing import (
    Mailing,
    MailingPrepared,
    MailingRecipient,
    MailingStarted,
    MailingTargets,
    RecipientResubscribed,
    RecipientsQueued,
    RecipientUnsubscribed,
    SkippedContact,
    SkipReason,
)
from aggregates.partner import Partner
from aggregates.partner_contacts import Contact, ContactAdded, ContactOptedIn, ContactOptedOut
from aggregates.partner_details import PartnerDetails, PartnerRegistered
from tests.gwt import given, like

PARTNER = UUID("00000000-0000-4000-8000-00000000000a")
CONTACT = UUID("00000000-0000-4000-8000-0000000000c1")
OTHER = UUID("00000000-0000-4000-8000-0000000000c2")
MAILING = UUID("00000000-0000-4000-8000-0000000000e1")
SUB = Subscription.id_for("NEWS", CONTACT)
JAN15, FEB1, MAR1 = date(2026, 1, 15), date(2026, 2, 1), date(2026, 3, 1)
AT = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


def subscribed() -> ContactSubscribed:
    return ContactSubscribed(
        originator_id=SUB,
        originator_version=1,
        originator_topic=Subscription.TOPIC,
        area="NEWS",
        contact=CONTACT,
        partner=PARTNER,
        on=JAN15,
        via="api",
    )


def opted_out(version: int = 2) -> ContactUnsubscribed:
    return ContactUnsubscribed(originator_id=SUB, originator_version=version, partner=PARTNER, on=FEB1, via="api")


# -- areas and subscriptions -------------------------------------------------------------------------


def test_an_area_is_created_under_its_code() -> None:
    area = (
        given()
        .when(lambda _: InterestArea.create("NEWS", "Newsletter", True, JAN15))
        .then(like(InterestAreaCreated, code="NEWS", name="Newsletter", self_service=True, on=JAN15))
    )
    assert area.id == InterestArea.id_for("NEWS")


def test_an_area_needs_a_name() -> None:
    given().when(lambda _: InterestArea.create("NEWS", " ", True, JAN15)).then_raises(Conflict, "name_required")


def test_subscribing_records_the_contact_its_partner_and_the_day() -> None:
    subscription = (
        given()
        .when(lambda _: Subscription.subscribe_first("NEWS", CONTACT, PARTNER, JAN15, "api"))
        .then(like(ContactSubscribed, area="NEWS", contact=CONTACT, partner=PARTNER, on=JAN15))
    )
    assert subscription.id == SUB and subscription.status is SubscriptionStatus.SUBSCRIBED


def test_opting_out_is_dated_and_happens_once() -> None:
    subscription = (
        given(subscribed()).when(lambda s: s.opt_out(PARTNER, FEB1, "api")).then(like(ContactUnsubscribed, on=FEB1))
    )
    assert subscription.status is SubscriptionStatus.OPTED_OUT and subscription.opted_out_on == FEB1
    # A second opt-out keeps the first date.
    given(subscribed(), opted_out()).when(lambda s: s.opt_out(PARTNER, MAR1, "link", MAILING)).then()


def test_subscribing_again_after_an_opt_out() -> None:
    subscription = (
        given(subscribed(), opted_out())
        .when(lambda s: s.resubscribe(PARTNER, MAR1, "api"))
        .then(like(ContactResubscribed, on=MAR1))
    )
    assert subscription.status is SubscriptionStatus.SUBSCRIBED
    assert (subscription.subscribed_on, subscription.opted_out_on) == (MAR1, None)
    # Subscribing a subscribed contact records nothing.
    given(subscribed()).when(lambda s: s.resubscribe(PARTNER, MAR1, "api")).then()


# -- a contact's opt-out of every mailing ----------------------------------------------------------------


def partner_with_contact() -> list[object]:
    return [
        PartnerRegistered(
            originator_id=PARTNER,
            originator_version=1,
            originator_topic=Partner.TOPIC,
            code="A",
            created_on=JAN15,
            details=PartnerDetails(name="Alpha"),
        ),
        ContactAdded(originator_id=PARTNER, originator_version=2, contact=Contact(id=CONTACT, name="Ann")),
    ]


def test_a_contact_opts_out_of_every_mailing_once_and_back_in() -> None:
    history = partner_with_contact()
    partner = (
        given(*history)  # type: ignore[arg-type]
        .when(lambda p: p.opt_out_contact(CONTACT, FEB1, "link"))
        .then(like(ContactOptedOut, contact_id=CONTACT, on=FEB1, via="link"))
    )
    assert partner.contacts[CONTACT].opted_out_on == FEB1
    out = ContactOptedOut(originator_id=PARTNER, originator_version=3, contact_id=CONTACT, on=FEB1, via="link")
    given(*history, out).when(lambda p: p.opt_out_contact(CONTACT, MAR1, "api")).then()  # type: ignore[arg-type]
    partner = (
        given(*history, out)  # type: ignore[arg-type]
        .when(lambda p: p.opt_in_contact(CONTACT, MAR1, "api"))
        .then(like(ContactOptedIn, contact_id=CONTACT, on=MAR1))
    )
    assert partner.contacts[CONTACT].opted_out_on is None
    given(*history).when(lambda p: p.opt_out_contact(OTHER, FEB1, "api")).then_raises(NotFound)  # type: ignore[arg-type]


# -- the mailing -------------------------------------------------------------------------------------------

TARGETS = MailingTargets(interest_areas=("NEWS",), groups=("RETAIL",))
RECIPIENT = MailingRecipient(
    contact=CONTACT, partner=PARTNER, email="ann@alpha.test", areas=("NEWS",), message=UUID(int=1)
)
SKIPPED = SkippedContact(contact=OTHER, partner=PARTNER, reason=SkipReason.DUPLICATE)


def started() -> MailingStarted:
    return MailingStarted(
        originator_id=MAILING,
        originator_version=1,
        originator_topic=Mailing.TOPIC,
        template="NEWS-MAIL",
        targets=TARGETS,
        campaign=None,
        links="http://x.test",
        at=AT,
    )


def batch_one() -> RecipientsQueued:
    return RecipientsQueued(
        originator_id=MAILING,
        originator_version=2,
        batch=1,
        recipients=(RECIPIENT,),
        skipped=(SKIPPED,),
        cursor=f"{PARTNER}/{OTHER}",
    )


def test_a_mailing_needs_targets() -> None:
    given().when(
        lambda _: Mailing.start(MAILING, "NEWS-MAIL", MailingTargets(), None, "http://x.test", AT)
    ).then_raises(Conflict, "mailing_without_targets")


def test_batches_are_recorded_in_order_and_counted() -> None:
    mailing = (
        given(started())
        .when(lambda m: m.record_batch(1, [RECIPIENT], [SKIPPED], f"{PARTNER}/{OTHER}"))
        .then(like(RecipientsQueued, batch=1, recipients=(RECIPIENT,), skipped=(SKIPPED,)))
    )
    assert (mailing.batches, mailing.recipients, mailing.queued, mailing.skipped) == (1, 1, 1, 1)
    mailing = (
        given(started(), batch_one())
        .when(lambda m: m.complete(AT))
        .then(like(MailingPrepared, recipients=1, queued=1, skipped=1))
    )
    assert mailing.prepared


def test_a_batch_recorded_by_another_preparer_is_refused() -> None:
    given(started(), batch_one()).when(lambda m: m.record_batch(1, [], [SKIPPED], f"{PARTNER}/{OTHER}z")).then_raises(
        Conflict, "mailing_batch_taken"
    )
    given(started(), batch_one()).when(lambda m: m.record_batch(2, [], [SKIPPED], f"{PARTNER}/{CONTACT}")).then_raises(
        Conflict, "mailing_cursor_behind"
    )


def test_a_recipient_unsubscribes_once_then_from_everything_then_undoes_it() -> None:
    history = [started(), batch_one()]
    mailing = (
        given(*history)
        .when(lambda m: m.unsubscribe(CONTACT, PARTNER, ("NEWS",), False, FEB1))
        .then(like(RecipientUnsubscribed, areas=("NEWS",), everything=False, on=FEB1))
    )
    first = RecipientUnsubscribed(
        originator_id=MAILING,
        originator_version=3,
        contact=CONTACT,
        partner=PARTNER,
        areas=("NEWS",),
        everything=False,
        on=FEB1,
    )
    given(*history, first).when(lambda m: m.unsubscribe(CONTACT, PARTNER, ("NEWS",), False, FEB1)).then()
    mailing = (
        given(*history, first)
        .when(lambda m: m.unsubscribe(CONTACT, PARTNER, ("NEWS",), True, FEB1))
        .then(like(RecipientUnsubscribed, everything=True))
    )
    assert mailing.unsubscribed == {CONTACT: True}
    scenario = given(*history, first)
    scenario.when(lambda m: m.resubscribe(CONTACT, PARTNER, ("NEWS",), MAR1)).then(
        like(RecipientResubscribed, everything=False)
    )
    assert scenario.result is False
