"""The mailing plan, given what was recorded, on both stores: who the targets reach (once, however
many ways) and each skip reason — inactive, no_email, opted_out (of everything, or of the only
area that reached the contact), duplicate — in the order they are checked."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from aggregates.mailing import MailingTargets, SkipReason
from commands.interest_areas import (
    CreateInterestArea,
    OptOut,
    OptOutContact,
    Subscribe,
    create_interest_area,
    opt_out,
    opt_out_contact,
    subscribe,
)
from commands.mailings import MailingSpec
from commands.partner_groups import CreatePartnerGroup, create_partner_group
from commands.partners import AddContact, MergePartners, RegisterPartner, add_contact, merge_partners, register_partner
from queries.mailings import MailingQueries
from services.bootstrap.container import Container


class Given:
    def __init__(self, c: Container) -> None:
        self.c = c

    def run(self, handler: Any, command: Any) -> Any:
        return self.c.execute(handler, command)

    def partner(self, code: str, **fields: Any) -> UUID:
        return self.run(register_partner, RegisterPartner(name=code, code=code, **fields)).id  # type: ignore[no-any-return]

    def contact(self, partner: str, name: str, **fields: Any) -> UUID:
        return self.run(add_contact, AddContact(partner=partner, name=name, **fields)).id  # type: ignore[no-any-return]

    def subscribed(self, area: str, contact: UUID, partner: UUID) -> None:
        self.run(subscribe, Subscribe(area=area, contact=contact, partner=partner))

    def plan(self, **targets: Any) -> dict[UUID, tuple[SkipReason | None, tuple[str, ...]]]:
        self.c.runner.drain()
        queries = MailingQueries(self.c.catalog)
        resolved = queries.targets(MailingSpec(template="T", **targets))
        candidates = queries.candidates(resolved)
        assert [c.key for c in candidates] == sorted(c.key for c in candidates)
        assert len({c.contact for c in candidates}) == len(candidates), "a contact is planned twice"
        return {c.contact: (c.reason, c.areas) for c in candidates}


def test_a_contact_reached_many_ways_is_planned_once(container: Container) -> None:
    g = Given(container)
    g.run(create_partner_group, CreatePartnerGroup(code="RETAIL", name="Retail"))
    g.run(create_interest_area, CreateInterestArea(code="NEWS", name="News"))
    g.run(create_interest_area, CreateInterestArea(code="OFFERS", name="Offers"))
    a = g.partner("A", group="RETAIL", tags=["vip"])
    ann = g.contact("A", "Ann", email="ann@a.test")
    g.subscribed("NEWS", ann, a)
    g.subscribed("OFFERS", ann, a)
    assert g.plan(groups=["RETAIL"], tags=["vip"], partners=["A"], interest_areas=["NEWS", "OFFERS"]) == {
        ann: (None, ("NEWS", "OFFERS"))
    }
    assert g.plan(groups=["RETAIL"]) == {ann: (None, ())}


def test_every_skip_reason_in_its_order(container: Container) -> None:
    g = Given(container)
    g.run(create_interest_area, CreateInterestArea(code="NEWS", name="News"))
    a = g.partner("A")
    inactive = g.contact("A", "Idle", active=False)  # inactive and without e-mail: inactive first
    no_email = g.contact("A", "Nomail")
    everything = g.contact("A", "Gone", email="gone@a.test")
    g.run(opt_out_contact, OptOutContact(partner="A", contact=everything))
    first = g.contact("A", "First", email="same@a.test")
    second = g.contact("A", "Second", email=" SAME@a.test")
    b = g.partner("B")
    left = g.contact("B", "Left", email="left@b.test")
    g.subscribed("NEWS", left, b)
    g.run(opt_out, OptOut(area="NEWS", contact=left))
    stayed = g.contact("B", "Stayed", email="stayed@b.test")
    g.subscribed("NEWS", stayed, b)

    plan = g.plan(partners=["A"], interest_areas=["NEWS"])
    leading, trailing = sorted((first, second), key=lambda c: f"{a}/{c}")
    assert plan == {
        inactive: (SkipReason.INACTIVE, ()),
        no_email: (SkipReason.NO_EMAIL, ()),
        everything: (SkipReason.OPTED_OUT, ()),
        leading: (None, ()),
        trailing: (SkipReason.DUPLICATE, ()),
        left: (SkipReason.OPTED_OUT, ()),
        stayed: (None, ("NEWS",)),
    }
    # Left opted out of NEWS only: reached as a partner's contact, it is a recipient.
    assert g.plan(partners=["B"], interest_areas=["NEWS"])[left] == (None, ())


def test_a_merged_partners_contacts_and_subscribers_follow_the_survivor(container: Container) -> None:
    g = Given(container)
    g.run(create_interest_area, CreateInterestArea(code="NEWS", name="News"))
    a = g.partner("A")
    b = g.partner("B")
    bob = g.contact("B", "Bob", email="bob@b.test")
    g.subscribed("NEWS", bob, b)
    g.run(merge_partners, MergePartners(partner="A", absorb=["B"]))
    assert g.plan(partners=["B"]) == {bob: (None, ())}  # B's code names the survivor now
    container.runner.drain()
    (candidate,) = MailingQueries(container.catalog).candidates(MailingTargets(interest_areas=("NEWS",)))
    assert (candidate.contact, candidate.partner) == (bob, a)
