"""Portal tokens: issued under the id of their hash, revoked once (a second revocation records
nothing)."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

from aggregates.portal_token import PortalToken, PortalTokenIssued, PortalTokenRevoked
from tests.gwt import given, like

PARTNER, CONTACT = uuid4(), uuid4()
HASH = "ab" * 32


def issued() -> PortalTokenIssued:
    return PortalTokenIssued(
        originator_id=PortalToken.id_for(HASH),
        originator_version=1,
        originator_topic=PortalToken.TOPIC,
        partner=PARTNER,
        contact=CONTACT,
        token_hash=HASH,
        on=date(2026, 1, 15),
    )


def test_a_token_is_issued_under_the_id_of_its_hash() -> None:
    token = (
        given()
        .when(lambda _: PortalToken.issue(PARTNER, CONTACT, HASH, date(2026, 1, 15)))
        .then(like(PortalTokenIssued, partner=PARTNER, contact=CONTACT, token_hash=HASH, on=date(2026, 1, 15)))
    )
    assert token.id == PortalToken.id_for(HASH) != PortalToken.id_for("cd" * 32)
    assert token.revoked_on is None


def test_a_token_is_revoked_once() -> None:
    token = (
        given(issued()).when(lambda t: t.revoke(date(2026, 2, 1))).then(like(PortalTokenRevoked, on=date(2026, 2, 1)))
    )
    assert token.revoked_on == date(2026, 2, 1)
    revoked = PortalTokenRevoked(originator_id=PortalToken.id_for(HASH), originator_version=2, on=date(2026, 2, 1))
    again = given(issued(), revoked).when(lambda t: t.revoke(date(2026, 3, 1))).then()
    assert again.revoked_on == date(2026, 2, 1)
