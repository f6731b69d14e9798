"""Partner rules, given events, when a command method, then the events (and replay agrees)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from aggregates.base import DomainEvent
from aggregates.errors import Conflict, NotFound
from aggregates.partner import Partner
from aggregates.partner_addresses import Address, AddressAdded, AddressChanged, AddressRemoved
from aggregates.partner_contacts import Availability, Contact, ContactAdded, ContactChanged, ContactRemoved
from aggregates.partner_credit import CreditHoldLifted, CreditHoldPlaced
from aggregates.partner_details import (
    Attachment,
    AttachmentAdded,
    ChildAttached,
    ChildDetached,
    NoteAdded,
    PartnerDetails,
    PartnerDetailsChanged,
    PartnerKind,
    PartnerRegistered,
    PartnerStatus,
    Role,
)
from aggregates.partner_merge import PartnerAbsorbed, PartnerMerged, PartnerMergedInto
from aggregates.sales_document_values import DocType
from tests.gwt import given, like, replay

PID = UUID("00000000-0000-4000-8000-000000000001")
OTHER = UUID("00000000-0000-4000-8000-000000000002")
CHILD_A = UUID("00000000-0000-4000-8000-0000000000a1")
CHILD_B = UUID("00000000-0000-4000-8000-0000000000a2")
ON = date(2026, 3, 2)
CREATED = date(2026, 1, 15)


def registered(pid: UUID = PID, code: str = "ACME", name: str = "Acme Ltd", **details: Any) -> PartnerRegistered:
    return PartnerRegistered(
        originator_id=pid,
        originator_version=1,
        originator_topic=Partner.TOPIC,
        code=code,
        created_on=CREATED,
        details=PartnerDetails(name=name, **details),
    )


def recorded(cls: type[DomainEvent], version: int, pid: UUID = PID, **fields: Any) -> DomainEvent:
    return cls(originator_id=pid, originator_version=version, **fields)


def address(n: int, usage: tuple[str, ...] = (), default: bool = False, city: str = "Graz") -> Address:
    return Address(id=UUID(int=0x100 + n), usage=usage, label=f"A{n}", city=city, is_default=default)


def contact(n: int, responsibilities: tuple[str, ...] = (), active: bool = True) -> Contact:
    return Contact(id=UUID(int=0x200 + n), name=f"Contact {n}", responsibilities=responsibilities, active=active)


def partner(*events: DomainEvent) -> Partner:
    built = replay(events)
    assert isinstance(built, Partner)
    return built


# -- register ------------------------------------------------------------------------------------


def test_register_records_the_partner() -> None:
    details = PartnerDetails(name="Acme Ltd", kind=PartnerKind.PERSON, credit_limit=Decimal("2500.00"))
    p = (
        given()
        .when(lambda _: Partner.register(PID, "ACME", details, CREATED))
        .then(
            like(
                PartnerRegistered,
                originator_id=PID,
                originator_version=1,
                originator_topic="counterparty.partner.Partner",
                code="ACME",
                created_on=date(2026, 1, 15),
                details=details,
            )
        )
    )
    assert p.status is PartnerStatus.ACTIVE
    assert p.details.credit_limit == Decimal("2500.00")
    assert p.details.roles == (Role.CUSTOMER,)
    assert (p.contacts, p.addresses, p.children, p.manual_hold, p.merged_into) == ({}, {}, set(), None, None)


@pytest.mark.parametrize("name", ["", "   ", "\t\n"])
def test_register_needs_a_name(name: str) -> None:
    error = (
        given()
        .when(lambda _: Partner.register(PID, "ACME", PartnerDetails(name=name), CREATED))
        .then_raises(Conflict, code="name_required")
    )
    assert error.detail == "a partner needs a name"


# -- change_details ------------------------------------------------------------------------------


def test_change_records_only_the_fields_that_changed() -> None:
    p = (
        given(registered(email="old@acme.test", phone="+43 1 234"))
        .when(
            lambda p: p.change_details(
                {"name": "Acme Ltd", "email": "new@acme.test", "phone": "+43 1 234", "credit_limit": Decimal("750.50")}
            )
        )
        .then(
            like(
                PartnerDetailsChanged,
                originator_version=2,
                fields=("email", "credit_limit"),
                details=PartnerDetails(
                    name="Acme Ltd", email="new@acme.test", phone="+43 1 234", credit_limit=Decimal("750.50")
                ),
            )
        )
    )
    assert p.details.email == "new@acme.test"
    assert p.details.credit_limit == Decimal("750.50")
    assert p.version == 2


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"name": "Acme Ltd"},
        {"credit_limit": Decimal("0")},  # equal to the default 0.00
        {"roles": (Role.CUSTOMER,)},
        {"no_such_field": "x"},
    ],
)
def test_change_without_a_difference_records_nothing(changes: dict[str, Any]) -> None:
    p = given(registered()).when(lambda p: p.change_details(changes)).then()
    assert p.version == 1


@pytest.mark.parametrize("name", ["", "  ", None])
def test_change_refuses_a_blank_name(name: str | None) -> None:
    given(registered()).when(lambda p: p.change_details({"name": name})).then_raises(Conflict, code="name_required")


def test_a_partner_cannot_be_its_own_parent() -> None:
    given(registered()).when(lambda p: p.change_details({"parent": PID})).then_raises(Conflict, code="parent_self")


def test_parent_is_recorded() -> None:
    p = (
        given(registered())
        .when(lambda p: p.change_details({"parent": OTHER}))
        .then(like(PartnerDetailsChanged, fields=("parent",)))
    )
    assert p.details.parent == OTHER


def test_children_attach_and_detach_once() -> None:
    history = [registered(), recorded(ChildAttached, 2, child=CHILD_A)]
    given(*history).when(lambda p: p.attach_child(CHILD_A)).then()
    p = given(*history).when(lambda p: p.attach_child(CHILD_B)).then(like(ChildAttached, child=CHILD_B))
    assert p.children == {CHILD_A, CHILD_B}
    p = given(*history).when(lambda p: p.detach_child(CHILD_A)).then(like(ChildDetached, child=CHILD_A))
    assert p.children == set()
    given(*history).when(lambda p: p.detach_child(CHILD_B)).then()


# -- addresses -----------------------------------------------------------------------------------


def test_add_address() -> None:
    a = address(1, ("billing",), default=True)
    p = given(registered()).when(lambda p: p.add_address(a)).then(like(AddressAdded, address=a, defaults=(a.id,)))
    assert p.addresses == {a.id: a}


def test_a_new_default_takes_the_default_of_its_usage_only() -> None:
    billing = address(1, ("billing",), default=True)
    shipping = address(2, ("shipping",), default=True)
    plain = address(3, ("billing",))
    new = address(4, ("billing", "tax"), default=True)
    p = (
        given(
            registered(),
            recorded(AddressAdded, 2, address=billing, defaults=(billing.id,)),
            recorded(AddressAdded, 3, address=shipping, defaults=(billing.id, shipping.id)),
            recorded(AddressAdded, 4, address=plain, defaults=(billing.id, shipping.id)),
        )
        .when(lambda p: p.add_address(new))
        .then(like(AddressAdded, address=new, defaults=(shipping.id, new.id)))
    )
    assert {a.label: a.is_default for a in p.addresses.values()} == {"A1": False, "A2": True, "A3": False, "A4": True}


def test_a_default_with_overlapping_usages_loses_its_default() -> None:
    both = address(1, ("billing", "shipping"), default=True)
    p = (
        given(registered(), recorded(AddressAdded, 2, address=both, defaults=(both.id,)))
        .when(lambda p: p.add_address(address(2, ("shipping",), default=True)))
        .then(like(AddressAdded, defaults=(address(2).id,)))
    )
    assert [a.is_default for a in p.addresses.values()] == [False, True]


def test_defaults_without_usage_move_among_themselves_only() -> None:
    no_usage = address(1, (), default=True)
    billing = address(2, ("billing",), default=True)
    p = (
        given(
            registered(),
            recorded(AddressAdded, 2, address=no_usage, defaults=(no_usage.id,)),
            recorded(AddressAdded, 3, address=billing, defaults=(no_usage.id, billing.id)),
        )
        .when(lambda p: p.add_address(address(3, (), default=True)))
        .then(like(AddressAdded, defaults=(billing.id, address(3).id)))
    )
    assert [a.is_default for a in p.addresses.values()] == [False, True, True]


def test_a_non_default_address_moves_no_default() -> None:
    billing = address(1, ("billing",), default=True)
    p = (
        given(registered(), recorded(AddressAdded, 2, address=billing, defaults=(billing.id,)))
        .when(lambda p: p.add_address(address(2, ("billing",))))
        .then(like(AddressAdded, defaults=(billing.id,)))
    )
    assert [a.is_default for a in p.addresses.values()] == [True, False]


def test_change_address_to_default_moves_the_default() -> None:
    first = address(1, ("billing",), default=True)
    second = address(2, ("billing",))
    changed = second.model_copy(update={"is_default": True, "city": "Linz"})
    p = (
        given(
            registered(),
            recorded(AddressAdded, 2, address=first, defaults=(first.id,)),
            recorded(AddressAdded, 3, address=second, defaults=(first.id,)),
        )
        .when(lambda p: p.change_address(changed))
        .then(like(AddressChanged, originator_version=4, address=changed, defaults=(second.id,)))
    )
    assert p.addresses[first.id].is_default is False
    assert p.addresses[second.id] == changed
    assert p.addresses[second.id].city == "Linz"


def test_unchanged_address_records_nothing() -> None:
    a = address(1, ("billing",))
    given(registered(), recorded(AddressAdded, 2, address=a, defaults=())).when(lambda p: p.change_address(a)).then()


def test_unknown_address_is_not_found() -> None:
    given(registered()).when(lambda p: p.change_address(address(9))).then_raises(NotFound, code="not_found")
    given(registered()).when(lambda p: p.remove_address(UUID(int=9))).then_raises(NotFound, code="not_found")


def test_remove_address() -> None:
    a, b = address(1), address(2)
    p = (
        given(
            registered(),
            recorded(AddressAdded, 2, address=a, defaults=()),
            recorded(AddressAdded, 3, address=b, defaults=()),
        )
        .when(lambda p: p.remove_address(a.id))
        .then(like(AddressRemoved, address_id=a.id))
    )
    assert list(p.addresses) == [b.id]


# -- contacts ------------------------------------------------------------------------------------


def test_add_change_and_remove_a_contact() -> None:
    c = Contact(
        id=UUID(int=0x201),
        name="Eva Maier",
        email="eva@acme.test",
        responsibilities=("billing",),
        availability=(Availability(weekday=1, start="09:00", end="12:00"),),
    )
    p = given(registered()).when(lambda p: p.add_contact(c)).then(like(ContactAdded, contact=c))
    assert p.contacts == {c.id: c}

    added = [registered(), recorded(ContactAdded, 2, contact=c)]
    changed = c.model_copy(update={"title": "CFO", "active": False})
    p = given(*added).when(lambda p: p.change_contact(changed)).then(like(ContactChanged, contact=changed))
    assert p.contacts[c.id].title == "CFO"
    assert p.contacts[c.id].active is False

    given(*added).when(lambda p: p.change_contact(c)).then()
    p = given(*added).when(lambda p: p.remove_contact(c.id)).then(like(ContactRemoved, contact_id=c.id))
    assert p.contacts == {}


def test_unknown_contact_is_not_found() -> None:
    given(registered()).when(lambda p: p.change_contact(contact(1))).then_raises(NotFound)
    given(registered()).when(lambda p: p.remove_contact(UUID(int=1))).then_raises(NotFound)


@pytest.mark.parametrize(
    ("contacts", "expected"),
    [
        ([], None),
        ([contact(1, active=False)], None),
        ([contact(1), contact(2, ("billing",))], 2),
        (
            [
                contact(1, ("billing",), active=False),
                contact(2),
                contact(3, ("shipping", "billing")),
                contact(4, ("billing",)),
            ],
            3,
        ),
        ([contact(1, ("technical",), active=False), contact(2, ("technical",)), contact(3)], 2),
    ],
)
def test_billing_contact(contacts: list[Contact], expected: int | None) -> None:
    history = [registered(), *(recorded(ContactAdded, i + 2, contact=c) for i, c in enumerate(contacts))]
    scenario = given(*history).when(lambda p: p.billing_contact())
    scenario.then()
    found = scenario.result
    assert (found.id if found else None) == (UUID(int=0x200 + expected) if expected else None)


# -- notes and attachments -----------------------------------------------------------------------


def test_notes_append_with_a_newline_by_visibility() -> None:
    history = [registered(notes_private="Pays late")]
    p = (
        given(*history)
        .when(lambda p: p.add_note("Prefers e-mail", "public", ON))
        .then(like(NoteAdded, text="Prefers e-mail", visibility="public", on=date(2026, 3, 2)))
    )
    assert (p.details.notes_public, p.details.notes_private) == ("Prefers e-mail", "Pays late")

    history.append(recorded(NoteAdded, 2, text="Prefers e-mail", visibility="public", on=ON))
    p = given(*history).when(lambda p: p.add_note("Call on Mondays", "public", ON)).then(NoteAdded)
    assert p.details.notes_public == "Prefers e-mail\nCall on Mondays"
    p = given(*history).when(lambda p: p.add_note("Disputed 2025", "private", ON)).then(NoteAdded)
    assert p.details.notes_private == "Pays late\nDisputed 2025"
    assert p.details.notes_public == "Prefers e-mail"


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_an_empty_note_is_refused(text: str) -> None:
    given(registered()).when(lambda p: p.add_note(text, "public", ON)).then_raises(Conflict, code="note_empty")


def test_add_attachment() -> None:
    a = Attachment(
        id=UUID(int=0x301), filename="contract.pdf", size=2048, sha256="ab" * 32, content_type="application/pdf"
    )
    p = given(registered()).when(lambda p: p.add_attachment(a)).then(like(AttachmentAdded, attachment=a))
    assert p.attachments == {a.id: a}


# -- credit hold ---------------------------------------------------------------------------------


def test_credit_hold_placed_and_lifted_once() -> None:
    p = (
        given(registered())
        .when(lambda p: p.place_credit_hold("fraud suspicion", ON))
        .then(like(CreditHoldPlaced, reason="fraud suspicion", on=ON))
    )
    assert p.manual_hold == "fraud suspicion"

    held = [registered(), recorded(CreditHoldPlaced, 2, reason="fraud suspicion", on=ON)]
    p = given(*held).when(lambda p: p.place_credit_hold("another reason", ON)).then()
    assert p.manual_hold == "fraud suspicion"
    p = (
        given(*held)
        .when(lambda p: p.lift_credit_hold(date(2026, 3, 9)))
        .then(like(CreditHoldLifted, on=date(2026, 3, 9)))
    )
    assert p.manual_hold is None


def test_lifting_no_hold_records_nothing() -> None:
    p = given(registered()).when(lambda p: p.lift_credit_hold(ON)).then()
    assert p.manual_hold is None


# -- merge ---------------------------------------------------------------------------------------


def test_absorb_fills_blanks_unites_lists_and_moves_contacts_and_addresses() -> None:
    survivor_default = address(1, ("billing",), default=True)
    absorbed_default = address(2, ("billing",), default=True, city="Linz")
    moved_contact = contact(5, ("billing",))
    other = partner(
        registered(
            OTHER,
            code="BETA",
            name="Beta GmbH",
            roles=(Role.VENDOR, Role.PROSPECT),
            email="office@beta.test",
            phone="+43 2 222",
            tax_id="ATU99999999",
            group="SILVER",
            tags=("b", "c"),
            sales_reps=("mia", "tom"),
            notes_public="Beta public",
            notes_private="Beta private",
            custom_fields={"segment": "retail", "region": "west"},
        ),
        recorded(AddressAdded, 2, OTHER, address=absorbed_default, defaults=(absorbed_default.id,)),
        recorded(ContactAdded, 3, OTHER, contact=moved_contact),
        recorded(ChildAttached, 4, OTHER, child=CHILD_B),
        recorded(ChildAttached, 5, OTHER, child=CHILD_A),
    )
    moved_address = absorbed_default.model_copy(update={"is_default": False})
    expected = PartnerDetails(
        name="Acme Ltd",
        roles=(Role.PROSPECT, Role.CUSTOMER, Role.VENDOR),
        email="office@beta.test",
        phone="+43 1 111",
        tax_id="ATU99999999",
        group="GOLD",
        tags=("a", "b", "c"),
        sales_reps=("tom", "ann", "mia"),
        notes_public="Acme public\nBeta public",
        notes_private="Beta private",
        custom_fields={"segment": "wholesale", "region": "west"},
    )
    p = (
        given(
            registered(
                phone="+43 1 111",
                group="GOLD",
                tags=("a", "b"),
                sales_reps=("tom", "ann"),
                notes_public="Acme public",
                custom_fields={"segment": "wholesale", "region": ""},
            ),
            recorded(AddressAdded, 2, address=survivor_default, defaults=(survivor_default.id,)),
        )
        .when(lambda p: p.absorb(other, ON))
        .then(
            like(
                PartnerAbsorbed,
                originator_version=3,
                absorbed=OTHER,
                absorbed_code="BETA",
                details=expected,
                contacts=(moved_contact,),
                addresses=(moved_address,),
                children=(CHILD_A, CHILD_B),
                on=ON,
            )
        )
    )
    assert p.details == expected
    assert p.addresses == {survivor_default.id: survivor_default, moved_address.id: moved_address}
    assert p.addresses[survivor_default.id].is_default is True
    assert p.contacts == {moved_contact.id: moved_contact}
    assert p.children == {CHILD_A, CHILD_B}
    assert p.absorbed == [OTHER]


def test_absorb_takes_the_group_when_the_survivor_has_none() -> None:
    other = partner(registered(OTHER, code="BETA", name="Beta", group="SILVER", notes_private="x"))
    p = given(registered(notes_private="")).when(lambda p: p.absorb(other, ON)).then(PartnerAbsorbed)
    assert p.details.group == "SILVER"
    assert p.details.notes_private == "x"
    assert p.details.name == "Acme Ltd"
    assert p.details.roles == (Role.CUSTOMER,)


def test_merged_into_marks_the_tombstone() -> None:
    p = (
        given(registered())
        .when(lambda p: p.mark_merged_into(OTHER, ON))
        .then(like(PartnerMergedInto, survivor=OTHER, on=ON))
    )
    assert p.status is PartnerStatus.MERGED
    assert p.merged_into == OTHER


def test_merge_into_itself_is_refused() -> None:
    given(registered()).when(lambda p: p.absorb(p, ON)).then_raises(Conflict, code="merge_self")


def test_merge_with_own_parent_is_refused() -> None:
    parent = partner(registered(OTHER, code="PARENT", name="Parent"))
    given(registered(parent=OTHER)).when(lambda p: p.absorb(parent, ON)).then_raises(Conflict, code="merge_related")


def test_merge_with_own_child_is_refused() -> None:
    child = partner(registered(OTHER, code="CHILD", name="Child", parent=PID))
    given(registered()).when(lambda p: p.absorb(child, ON)).then_raises(Conflict, code="merge_related")


def test_absorbing_a_merged_partner_is_refused() -> None:
    gone = partner(
        registered(OTHER, code="GONE", name="Gone"),
        recorded(PartnerMergedInto, 2, OTHER, survivor=CHILD_A, on=ON),
    )
    given(registered()).when(lambda p: p.absorb(gone, ON)).then_raises(PartnerMerged, code="partner_merged")


MERGED = [registered(), recorded(PartnerMergedInto, 2, survivor=OTHER, on=ON)]

REFUSED_WHEN_MERGED: dict[str, Callable[[Partner], object]] = {
    "change_details": lambda p: p.change_details({"name": "New name"}),
    "promote_to_customer": lambda p: p.promote_to_customer(UUID(int=1), DocType.QUOTE, "QT2601-0001"),
    "reassign_parent": lambda p: p.reassign_parent(partner(registered(CHILD_A, code="X", name="X")), p, ON),
    "add_address": lambda p: p.add_address(address(1)),
    "change_address": lambda p: p.change_address(address(1)),
    "remove_address": lambda p: p.remove_address(UUID(int=1)),
    "add_contact": lambda p: p.add_contact(contact(1)),
    "change_contact": lambda p: p.change_contact(contact(1)),
    "remove_contact": lambda p: p.remove_contact(UUID(int=1)),
    "add_note": lambda p: p.add_note("hello", "public", ON),
    "add_attachment": lambda p: p.add_attachment(
        Attachment(id=UUID(int=1), filename="a.txt", size=1, sha256="0" * 64, content_type="text/plain")
    ),
    "place_credit_hold": lambda p: p.place_credit_hold("fraud", ON),
    "lift_credit_hold": lambda p: p.lift_credit_hold(ON),
    "absorb": lambda p: p.absorb(partner(registered(CHILD_A, code="X", name="X")), ON),
    "mark_merged_into": lambda p: p.mark_merged_into(CHILD_A, ON),
}


@pytest.mark.parametrize("command", REFUSED_WHEN_MERGED.values(), ids=REFUSED_WHEN_MERGED.keys())
def test_a_merged_partner_refuses_changes(command: Callable[[Partner], object]) -> None:
    error = given(*MERGED).when(command).then_raises(PartnerMerged, code="partner_merged")
    assert error.detail == f"partner ACME was merged into {OTHER}"
