"""The partner's named business facts (promotion to customer, re-parenting on merge, portal access,
the default addresses an address event leaves), and the older generic events they replace, which
old streams keep and which still replay to the same state."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from aggregates.errors import Conflict
from aggregates.partner_addresses import Address, AddressAdded, AddressChanged
from aggregates.partner_contacts import ContactAdded, ContactChanged, PortalAccessGranted, PortalAccessRevoked
from aggregates.partner_details import (
    ParentReassigned,
    PartnerDetails,
    PartnerDetailsChanged,
    PartnerPromotedToCustomer,
    Role,
)
from aggregates.sales_document_values import DocType
from tests.aggregates.test_partner import ON, OTHER, PID, address, contact, partner, recorded, registered
from tests.gwt import given, like

DOC = UUID("00000000-0000-4000-8000-0000000000d1")
KEEP = UUID("00000000-0000-4000-8000-0000000000c1")


def stored_v1(cls: type[AddressAdded | AddressChanged], version: int, a: Address) -> AddressAdded | AddressChanged:
    """An address event as version 1 stored it (no ``defaults``), read back the store's way."""
    state: dict[str, Any] = {"timestamp": None, "meta": None, "address": a.model_dump(mode="json")}
    cls.upcast_v1_v2(state)
    return cls.model_validate({**state, "originator_id": PID, "originator_version": version})


# -- promotion to customer -------------------------------------------------------------------------


@pytest.mark.parametrize("doc_type", [DocType.QUOTE, DocType.ORDER, DocType.INVOICE])
def test_a_prospect_is_promoted_to_customer_by_its_document(doc_type: DocType) -> None:
    p = (
        given(registered(roles=(Role.PROSPECT, Role.VENDOR)))
        .when(lambda p: p.promote_to_customer(DOC, doc_type, "QT2601-0003"))
        .then(
            like(
                PartnerPromotedToCustomer,
                originator_version=2,
                document=DOC,
                document_type=doc_type,
                number="QT2601-0003",
                roles=(Role.PROSPECT, Role.VENDOR, Role.CUSTOMER),
            )
        )
    )
    assert p.details.roles == (Role.PROSPECT, Role.VENDOR, Role.CUSTOMER)


@pytest.mark.parametrize(
    "roles", [(Role.PROSPECT, Role.CUSTOMER), (Role.CUSTOMER,), (Role.VENDOR,)], ids=["customer", "plain", "vendor"]
)
def test_only_a_prospect_not_yet_a_customer_is_promoted(roles: tuple[Role, ...]) -> None:
    p = given(registered(roles=roles)).when(lambda p: p.promote_to_customer(DOC, DocType.ORDER, "OR2601-0001")).then()
    assert p.details.roles == roles


@pytest.mark.parametrize("doc_type", [DocType.PROFORMA, DocType.CREDIT_NOTE])
def test_other_documents_promote_nobody(doc_type: DocType) -> None:
    error = (
        given(registered(roles=(Role.PROSPECT,)))
        .when(lambda p: p.promote_to_customer(DOC, doc_type, "X-1"))
        .then_raises(Conflict, code="not_promoting")
    )
    assert error.detail == f"a {doc_type.value} does not make a prospect a customer"


def test_an_old_promotion_recorded_as_a_change_of_roles_still_replays() -> None:
    old = recorded(
        PartnerDetailsChanged,
        2,
        fields=("roles",),
        details=PartnerDetails(name="Acme Ltd", roles=(Role.PROSPECT, Role.CUSTOMER)),
    )
    p = given(registered(roles=(Role.PROSPECT,)), old).when(lambda p: p.promote_to_customer(DOC, DocType.QUOTE, None))
    assert p.then().details.roles == (Role.PROSPECT, Role.CUSTOMER)


# -- re-parenting on merge -------------------------------------------------------------------------


def test_a_merge_of_the_parent_reassigns_the_child_to_the_survivor() -> None:
    survivor = partner(registered(KEEP, code="KEEP", name="Keep"))
    absorbed = partner(registered(OTHER, code="GONE", name="Gone"))
    p = (
        given(registered(parent=OTHER))
        .when(lambda p: p.reassign_parent(survivor, absorbed, ON))
        .then(
            like(
                ParentReassigned,
                originator_version=2,
                parent=KEEP,
                parent_code="KEEP",
                absorbed=OTHER,
                absorbed_code="GONE",
                on=ON,
            )
        )
    )
    assert p.details.parent == KEEP


def test_only_the_absorbed_parent_is_reassigned() -> None:
    survivor = partner(registered(KEEP, code="KEEP", name="Keep"))
    stranger = partner(registered(OTHER, code="GONE", name="Gone"))
    error = (
        given(registered(parent=KEEP))
        .when(lambda p: p.reassign_parent(survivor, stranger, ON))
        .then_raises(Conflict, code="parent_not_absorbed")
    )
    assert error.detail == "partner GONE is not the parent of ACME"


def test_an_old_reparenting_recorded_as_a_change_of_parent_still_replays() -> None:
    old = recorded(PartnerDetailsChanged, 2, fields=("parent",), details=PartnerDetails(name="Acme Ltd", parent=KEEP))
    p = partner(registered(parent=OTHER), old)
    assert (p.details.parent, p.version) == (KEEP, 2)


# -- portal access ---------------------------------------------------------------------------------


def test_a_contact_added_with_portal_access_is_granted_it_as_a_fact_of_its_own() -> None:
    c = contact(1).model_copy(update={"portal_access": True})
    p = (
        given(registered())
        .when(lambda p: p.add_contact(c))
        .then(
            like(ContactAdded, originator_version=2, contact=contact(1)),
            like(PortalAccessGranted, originator_version=3, contact_id=c.id),
        )
    )
    assert p.contacts == {c.id: c}


def test_granting_and_revoking_portal_access() -> None:
    c = contact(1)
    history = [registered(), recorded(ContactAdded, 2, contact=c)]
    granted = c.model_copy(update={"portal_access": True})
    p = given(*history).when(lambda p: p.change_contact(granted)).then(like(PortalAccessGranted, contact_id=c.id))
    assert p.contacts[c.id].portal_access is True

    history.append(recorded(PortalAccessGranted, 3, contact_id=c.id))
    given(*history).when(lambda p: p.change_contact(granted)).then()
    p = given(*history).when(lambda p: p.change_contact(c)).then(like(PortalAccessRevoked, contact_id=c.id))
    assert p.contacts[c.id] == c


def test_an_edit_with_a_revocation_records_the_edit_then_the_revocation() -> None:
    c = contact(1)
    history = [registered(), recorded(ContactAdded, 2, contact=c), recorded(PortalAccessGranted, 3, contact_id=c.id)]
    edited = c.model_copy(update={"title": "CFO"})
    p = (
        given(*history)
        .when(lambda p: p.change_contact(edited))
        .then(
            like(ContactChanged, originator_version=4, contact=edited.model_copy(update={"portal_access": True})),
            like(PortalAccessRevoked, originator_version=5, contact_id=c.id),
        )
    )
    assert p.contacts[c.id] == edited


def test_portal_access_granted_by_an_old_contact_change_still_replays_and_can_be_revoked() -> None:
    c = contact(1)
    old = recorded(ContactChanged, 3, contact=c.model_copy(update={"portal_access": True}))
    history = [registered(), recorded(ContactAdded, 2, contact=c), old]
    assert partner(*history).contacts[c.id].portal_access is True
    p = given(*history).when(lambda p: p.change_contact(c)).then(like(PortalAccessRevoked, contact_id=c.id))
    assert p.contacts[c.id].portal_access is False


# -- the defaults an address event leaves -----------------------------------------------------------


def test_an_address_event_says_the_defaults_it_leaves() -> None:
    billing = address(1, ("billing",), default=True)
    shipping = address(2, ("shipping",), default=True)
    history = [
        registered(),
        recorded(AddressAdded, 2, address=billing, defaults=(billing.id,)),
        recorded(AddressAdded, 3, address=shipping, defaults=(billing.id, shipping.id)),
    ]
    undefaulted = billing.model_copy(update={"is_default": False})
    p = (
        given(*history)
        .when(lambda p: p.change_address(undefaulted))
        .then(like(AddressChanged, address=undefaulted, defaults=(shipping.id,)))
    )
    assert {a.label: a.is_default for a in p.addresses.values()} == {"A1": False, "A2": True}


def test_the_aggregate_takes_the_defaults_from_the_event() -> None:
    """A replay follows what the event says (the rule was applied when it was recorded)."""
    first = address(1, ("billing",), default=True)
    second = address(2, ("shipping",), default=True)
    p = partner(
        registered(),
        recorded(AddressAdded, 2, address=first, defaults=(first.id,)),
        recorded(AddressAdded, 3, address=second, defaults=(second.id,)),
    )
    assert [a.is_default for a in p.addresses.values()] == [False, True]


def test_an_old_stream_without_defaults_replays_by_the_rule() -> None:
    billing = address(1, ("billing",), default=True)
    shipping = address(2, ("shipping",), default=True)
    new_billing = address(3, ("billing",), default=True)
    v1 = [
        stored_v1(AddressAdded, 2, billing),
        stored_v1(AddressAdded, 3, shipping),
        stored_v1(AddressAdded, 4, new_billing),
        stored_v1(AddressChanged, 5, shipping.model_copy(update={"city": "Linz"})),
    ]
    assert [e.defaults for e in v1] == [None, None, None, None]
    old = [registered(), *v1]
    p = partner(*old)
    assert {a.label: (a.is_default, a.city) for a in p.addresses.values()} == {
        "A1": (False, "Graz"),
        "A2": (True, "Linz"),
        "A3": (True, "Graz"),
    }
    usage_less = address(4, (), default=True)
    (
        given(*old)
        .when(lambda p: p.add_address(usage_less))
        .then(like(AddressAdded, originator_version=6, defaults=(shipping.id, new_billing.id, usage_less.id)))
    )
