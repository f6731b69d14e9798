"""Payment terms set by a collection level (action ``set_payment_terms``): a fact of its own on the
partner, naming the cases and the run that caused it, not a clerk's detail change."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from aggregates.partner import Partner
from aggregates.partner_credit import PaymentTermsChangedByCollection
from aggregates.partner_details import PartnerDetails, PartnerDetailsChanged, PartnerRegistered
from aggregates.partner_merge import PartnerMerged, PartnerMergedInto
from tests.gwt import given, like

PID = UUID("00000000-0000-4000-8000-000000000001")
OTHER = UUID("00000000-0000-4000-8000-000000000002")
CASE_A = UUID("00000000-0000-4000-8000-0000000000c1")
CASE_B = UUID("00000000-0000-4000-8000-0000000000c2")
RUN = date(2026, 3, 1)


def registered(terms: int = 30) -> PartnerRegistered:
    return PartnerRegistered(
        originator_id=PID,
        originator_version=1,
        originator_topic=Partner.TOPIC,
        code="ACME",
        created_on=date(2026, 1, 15),
        details=PartnerDetails(name="Acme Ltd", payment_terms_days=terms),
    )


def test_collection_shortens_the_terms_naming_its_cases_and_run() -> None:
    partner = (
        given(registered())
        .when(lambda p: p.change_payment_terms_by_collection(7, (CASE_A, CASE_B), 3, RUN))
        .then(like(PaymentTermsChangedByCollection, days=7, previous_days=30, cases=(CASE_A, CASE_B), level=3, run=RUN))
    )
    assert partner.details.payment_terms_days == 7
    assert partner.details.model_dump(exclude={"payment_terms_days"}) == registered().details.model_dump(
        exclude={"payment_terms_days"}
    )


def test_terms_already_set_record_nothing() -> None:
    given(registered(terms=7)).when(lambda p: p.change_payment_terms_by_collection(7, (CASE_A,), 3, RUN)).then()


def test_a_clerk_can_give_back_the_terms_collection_changed() -> None:
    changed = PaymentTermsChangedByCollection(
        originator_id=PID, originator_version=2, days=7, previous_days=30, cases=(CASE_A,), level=3, run=RUN
    )
    partner = (
        given(registered(), changed)
        .when(lambda p: p.change_details({"payment_terms_days": 30}))
        .then(like(PartnerDetailsChanged, fields=("payment_terms_days",)))
    )
    assert partner.details.payment_terms_days == 30


def test_a_merged_partner_gets_no_new_terms() -> None:
    merged = PartnerMergedInto(originator_id=PID, originator_version=2, survivor=OTHER, on=RUN)
    given(registered(), merged).when(lambda p: p.change_payment_terms_by_collection(7, (CASE_A,), 3, RUN)).then_raises(
        PartnerMerged, "partner_merged"
    )
