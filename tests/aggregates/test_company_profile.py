"""The company's profile: bank details are checked (IBAN check digits, BIC form), the logo must
have been uploaded, and setting the same details again records nothing."""

from __future__ import annotations

from uuid import UUID

import pytest

from aggregates.company_profile import (
    PROFILE_ID,
    CompanyDetails,
    CompanyLogoUploaded,
    CompanyProfile,
    CompanyProfileOpened,
    CompanyProfileSet,
    format_iban,
)
from aggregates.errors import Invalid
from aggregates.partner_details import Attachment
from tests.gwt import given, like

OPENED = CompanyProfileOpened(originator_id=PROFILE_ID, originator_version=1, originator_topic=CompanyProfile.TOPIC)
LOGO = Attachment(id=UUID(int=7), filename="logo.png", size=68, sha256="a" * 64, content_type="image/png")


def details(**fields: str | UUID | None) -> CompanyDetails:
    return CompanyDetails(name="Nordlicht Handels GmbH", **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("iban", "stored"),
    [
        ("DE89 3704 0044 0532 0130 00", "DE89370400440532013000"),
        ("gb82 west 1234 5698 7654 32", "GB82WEST12345698765432"),
        ("BG80BNBG96611020345678", "BG80BNBG96611020345678"),
        ("FR1420041010050500013M02606", "FR1420041010050500013M02606"),
    ],
)
def test_a_valid_iban_is_stored_compact_and_printed_in_groups(iban: str, stored: str) -> None:
    profile = given(OPENED).when(lambda p: p.set(details(iban=iban, bic="cobadeffxxx"))).then(CompanyProfileSet)
    assert (profile.details.iban, profile.details.bic) == (stored, "COBADEFFXXX")
    assert format_iban(stored).replace(" ", "") == stored and format_iban(stored)[4] == " "


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("iban", "DE89370400440532013001"),  # one digit off: the checksum fails
        ("iban", "DE8937040044"),  # too short
        ("iban", "1234567890123456"),  # no country
        ("bic", "COBADEF"),
        ("bic", "COBA-DE-FF"),
    ],
)
def test_wrong_bank_details_are_refused_at_their_field(field: str, value: str) -> None:
    error = given(OPENED).when(lambda p: p.set(details(**{field: value}))).then_raises(Invalid)
    assert error.errors[0]["loc"] == ["body", field]


def test_the_logo_must_have_been_uploaded_and_the_same_details_record_nothing() -> None:
    error = given(OPENED).when(lambda p: p.set(details(logo=LOGO.id))).then_raises(Invalid)
    assert error.errors[0]["loc"] == ["body", "logo"]
    uploaded = CompanyLogoUploaded(originator_id=PROFILE_ID, originator_version=2, logo=LOGO)
    profile = (
        given(OPENED, uploaded)
        .when(lambda p: p.set(details(logo=LOGO.id)))
        .then(like(CompanyProfileSet, details=details(logo=LOGO.id)))
    )
    assert profile.logo == LOGO
    set_event = CompanyProfileSet(originator_id=PROFILE_ID, originator_version=3, details=details(logo=LOGO.id))
    given(OPENED, uploaded, set_event).when(lambda p: p.set(details(logo=LOGO.id))).then()
