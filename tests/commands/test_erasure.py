"""Erasure of personal data as commands on the in-memory store: who may be erased, what the
partner reads afterwards, and the refusals of new personal data for an erased subject. (The
encryption in the log is tests/integration/test_erasure.py's.)"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID, uuid4

from aggregates.errors import Conflict
from aggregates.message import Channel, Message, MessageQueued, Purpose
from aggregates.partner import Partner
from aggregates.partner_details import PartnerDetailsChanged
from aggregates.partner_erasure import PersonalDataErased
from aggregates.personal import ERASED
from commands.documents import DraftDocument, IssueDocument, LineIn, draft_document, issue_document
from commands.erasure import EraseContact, ErasePartner, erase_contact, erase_partner
from commands.messages import MessageText, QueueMessage, queue_message
from commands.partners import (
    AddAddress,
    AddContact,
    AddNote,
    ChangeContact,
    ChangePartner,
    MergePartners,
    RegisterPartner,
    add_address,
    add_contact,
    add_note,
    change_contact,
    change_partner,
    merge_partners,
    register_partner,
)
from tests.gwt import like
from tests.gwt_commands import Flow

REASON = "request of the data subject, art. 17 GDPR"


def person(flow: Flow, code: str = "JD") -> tuple[UUID, UUID]:
    registered = flow.given_command(
        register_partner,
        RegisterPartner(name="Jane Doe", kind="person", code=code, email="jane@home.test", tax_id="AT-123"),
    )
    contact = flow.given_command(add_contact, AddContact(partner=code, name="John Doe", email="john@home.test"))
    flow.given_command(add_address, AddAddress(partner=code, street="1 Elm Street", city="Vienna", country="AT"))
    flow.given_command(add_note, AddNote(partner=code, text="prefers calls after 5"))
    assert registered.id is not None and contact.id is not None
    return registered.id, contact.id


def invoice(flow: Flow, partner: str) -> None:
    lines = [LineIn(product="X", quantity=Decimal("1"), unit_price=Decimal("100.00"))]
    draft = flow.given_command(draft_document, DraftDocument(type="invoice", partner=partner, lines=lines))
    flow.given_command(issue_document, IssueDocument(document=str(draft.id)))


def message(partner: UUID, contact: UUID | None) -> QueueMessage:
    return QueueMessage(
        id=uuid4(),
        channel=Channel.EMAIL,
        purpose=Purpose.GENERAL,
        partner=partner,
        contact=contact,
        text=MessageText(subject="Hello", body="Dear {{ partner.name }}"),
    )


def test_erasing_a_person_erases_its_personal_data_and_that_of_its_contacts() -> None:
    flow = Flow()
    pid, cid = person(flow)
    flow.when(erase_partner, ErasePartner(partner="JD", reason=REASON)).then(
        like(PersonalDataErased, originator_id=pid, subjects=(pid, cid), reason=REASON, on=date(2026, 1, 15))
    )
    partner = flow.load(Partner, pid)
    assert partner.code == "JD"
    assert (partner.details.name, partner.details.email, partner.details.tax_id) == (ERASED, ERASED, ERASED)
    assert partner.details.notes_private == ERASED
    assert partner.details.phone is None  # nothing was there: nothing to erase
    (address,) = partner.addresses.values()
    assert (address.street, address.city, address.country) == (ERASED, ERASED, "AT")
    assert (partner.contacts[cid].name, partner.contacts[cid].email) == (ERASED, ERASED)
    assert partner.erased == {pid, cid}


def test_erasing_a_contact_of_an_organization_leaves_the_rest() -> None:
    flow = Flow()
    flow.given_command(register_partner, RegisterPartner(name="Acme Ltd", code="ACME", email="office@acme.test"))
    kept = flow.given_command(add_contact, AddContact(partner="ACME", name="Ann Lee", email="ann@acme.test")).id
    gone = flow.given_command(add_contact, AddContact(partner="ACME", name="Bob Roe", email="bob@acme.test")).id
    assert kept is not None and gone is not None
    flow.when(erase_contact, EraseContact(partner="ACME", contact=gone, reason=REASON)).then(
        like(PersonalDataErased, subjects=(gone,), reason=REASON)
    )
    partner = flow.store.all(Partner)[0]
    assert (partner.details.name, partner.details.email) == ("Acme Ltd", "office@acme.test")
    assert partner.contacts[kept].name == "Ann Lee"
    assert (partner.contacts[gone].name, partner.contacts[gone].email) == (ERASED, ERASED)


def test_an_organization_is_not_a_person() -> None:
    flow = Flow()
    flow.given_command(register_partner, RegisterPartner(name="Acme Ltd", code="ACME"))
    flow.when(erase_partner, ErasePartner(partner="ACME", reason=REASON)).then_raises(Conflict, "not_a_person")


def test_an_unknown_contact_is_not_found() -> None:
    flow = Flow()
    person(flow)
    flow.when(erase_contact, EraseContact(partner="JD", contact=uuid4(), reason=REASON))
    assert flow.error is not None and flow.error.code == "not_found"


def test_an_invoice_younger_than_the_retention_keeps_the_person() -> None:
    flow = Flow()
    person(flow)
    invoice(flow, "JD")  # issued 2026-01-15
    flow.when(erase_partner, ErasePartner(partner="JD", reason=REASON)).then_raises(Conflict, "retention_required")
    # Ten years and a day later it may go.
    flow.on(date(2036, 1, 16)).when(erase_partner, ErasePartner(partner="JD", reason=REASON)).then(PersonalDataErased)


def test_the_retention_is_a_setting() -> None:
    flow = Flow()
    person(flow)
    invoice(flow, "JD")
    flow.on(date(2029, 1, 16)).when(erase_partner, ErasePartner(partner="JD", reason=REASON, retention_years=3))
    flow.then(PersonalDataErased)


def test_new_personal_data_of_an_erased_subject_is_refused() -> None:
    flow = Flow()
    pid, cid = person(flow)
    flow.given_command(erase_partner, ErasePartner(partner="JD", reason=REASON))
    refused = [
        (change_partner, ChangePartner(partner="JD", email="new@home.test")),
        (add_address, AddAddress(partner="JD", street="2 Oak Street")),
        (add_note, AddNote(partner="JD", text="moved away")),
        (change_contact, ChangeContact(partner="JD", contact=cid, phone="+43 1 234")),
        (queue_message, message(pid, None)),
        (queue_message, message(pid, cid)),
    ]
    for handler, command in refused:
        flow.when(handler, command).then_raises(Conflict, "subject_erased")
    # What is not personal data still changes.
    flow.when(change_partner, ChangePartner(partner="JD", credit_limit=Decimal("500.00"))).then(
        like(PartnerDetailsChanged, originator_id=pid, fields=("credit_limit",))
    )
    assert flow.load(Partner, pid).details.name == ERASED


def test_a_message_to_a_contact_that_is_not_erased_still_goes() -> None:
    flow = Flow()
    flow.given_command(register_partner, RegisterPartner(name="Acme Ltd", code="ACME"))
    kept = flow.given_command(add_contact, AddContact(partner="ACME", name="Ann Lee", email="ann@acme.test")).id
    gone = flow.given_command(add_contact, AddContact(partner="ACME", name="Bob Roe", email="bob@acme.test")).id
    assert kept is not None and gone is not None
    flow.given_command(erase_contact, EraseContact(partner="ACME", contact=gone, reason=REASON))
    pid = flow.store.all(Partner)[0].id
    flow.when(queue_message, message(pid, gone)).then_raises(Conflict, "subject_erased")
    flow.when(queue_message, message(pid, kept)).then(like(MessageQueued))
    (sent,) = flow.store.all(Message)
    assert sent.composition.to == "ann@acme.test"


def test_erasing_again_records_it_again() -> None:
    """So that a key a crash left behind (the store destroys keys after the write) goes then."""
    flow = Flow()
    pid, cid = person(flow)
    flow.given_command(erase_partner, ErasePartner(partner="JD", reason=REASON))
    flow.when(erase_partner, ErasePartner(partner="JD", reason="again")).then(
        like(PersonalDataErased, subjects=(pid, cid), reason="again")
    )


def test_erasing_a_person_erases_the_persons_merged_into_it() -> None:
    """Their messages and master data stay in their own streams under their own keys: the
    erasure names them too (not an organization merged into it: it has no personal data)."""
    flow = Flow()
    pid, cid = person(flow)
    b, b_contact = person(flow, "JB")
    c, c_contact = person(flow, "JC")
    org = flow.given_command(register_partner, RegisterPartner(name="Acme Ltd", code="ACME")).id
    flow.given_command(merge_partners, MergePartners(partner="JB", absorb=["JC"]))
    flow.given_command(merge_partners, MergePartners(partner="JD", absorb=["JB", "ACME"]))
    (erased,) = flow.when(erase_partner, ErasePartner(partner="JD", reason=REASON)).then(PersonalDataErased)
    assert isinstance(erased, PersonalDataErased)
    assert set(erased.subjects) == {pid, cid, b, b_contact, c, c_contact} and org not in erased.subjects
