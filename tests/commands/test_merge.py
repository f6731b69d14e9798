"""Merging partners as a command on the in-memory store: what the survivor, the absorbed partner,
their children and parents and their accounts record, how later references follow the merge, and
the refusals that record nothing. (The master-data rules are the Partner aggregate's tests; the
HTTP answers are tests/api/test_partner_merge.py's.)"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from aggregates.account import Account, AccountAbsorbed, AccountMergedAway, AccountOpened
from aggregates.errors import Conflict, Invalid, NotFound
from aggregates.partner_details import ChildDetached, ParentReassigned, PartnerDetailsChanged
from aggregates.partner_merge import PartnerAbsorbed, PartnerMergedInto
from commands.documents import DraftDocument, IssueDocument, LineIn, draft_document, issue_document
from commands.partners import ChangePartner, MergePartners, RegisterPartner, change_partner, merge_partners
from commands.partners import register_partner as register_command
from commands.payments import ReceivePayment, receive_payment
from tests.gwt import like
from tests.gwt_commands import Flow

D = Decimal


def register(flow: Flow, code: str, **fields: Any) -> UUID:
    result = flow.given_command(register_command, RegisterPartner(name=f"{code} Ltd", code=code, **fields))
    assert result.id is not None
    return result.id


def invoice(flow: Flow, partner: str, amount: str) -> UUID:
    lines = [LineIn(product="X", quantity=D("1"), unit_price=D(amount))]
    result = flow.given_command(draft_document, DraftDocument(type="invoice", partner=partner, lines=lines))
    assert result.id is not None
    flow.given_command(issue_document, IssueDocument(document=str(result.id)))
    return result.id


def merge(partner: str, *absorb: str) -> MergePartners:
    return MergePartners(partner=partner, absorb=list(absorb))


def test_the_survivor_absorbs_the_partner_and_its_open_items_and_credit() -> None:
    flow = Flow()
    keep = register(flow, "KEEP")
    gone = register(flow, "GONE")
    ours = invoice(flow, "KEEP", "100.00")
    theirs = invoice(flow, "GONE", "50.00")
    flow.given_command(receive_payment, ReceivePayment(partner="GONE", amount=D("70.00")))  # 20.00 left as credit
    other = invoice(flow, "GONE", "30.00")  # takes 20.00 of the credit: 10.00 open
    flow.when(merge_partners, merge("KEEP", "GONE")).then(
        like(PartnerAbsorbed, originator_id=keep, absorbed=gone, absorbed_code="GONE", children=()),
        like(PartnerMergedInto, originator_id=gone, survivor=keep),
        like(
            AccountAbsorbed, originator_id=Account.id_for(keep), partner=keep, absorbed_partner=gone, unapplied=D("0")
        ),
        like(AccountMergedAway, originator_id=Account.id_for(gone)),
    )
    (moved,) = [e for e in flow.new if isinstance(e, AccountAbsorbed)]
    assert [(m.item.item_id, m.open, m.paid) for m in moved.items] == [(other, D("10.00"), D("20.00"))]
    account = flow.load(Account, Account.id_for(keep))
    assert account.open == {ours: D("100.00"), other: D("10.00")}
    assert theirs not in account.open  # paid before the merge: nothing to move


def test_a_survivor_without_an_account_gets_one_for_the_moved_items() -> None:
    flow = Flow()
    keep = register(flow, "KEEP")
    register(flow, "GONE")
    invoice(flow, "GONE", "50.00")
    flow.when(merge_partners, merge("KEEP", "GONE")).then(
        PartnerAbsorbed,
        PartnerMergedInto,
        like(AccountOpened, originator_id=Account.id_for(keep), partner=keep),
        AccountAbsorbed,
        AccountMergedAway,
    )


def test_the_absorbed_partners_children_get_the_survivor_as_parent() -> None:
    flow = Flow()
    new = register(flow, "NEWH")
    old = register(flow, "OLDH")
    sub = register(flow, "SUB", parent="OLDH")
    flow.when(merge_partners, merge("NEWH", "OLDH")).then(
        like(PartnerAbsorbed, originator_id=new, children=(sub,)),
        like(PartnerMergedInto, originator_id=old),
        like(ParentReassigned, originator_id=sub, parent=new, parent_code="NEWH", absorbed=old, absorbed_code="OLDH"),
    )
    assert flow.store.get(sub).details.parent == new  # type: ignore[attr-defined]


def test_the_absorbed_partners_own_parent_lets_go_of_it() -> None:
    flow = Flow()
    register(flow, "KEEP")
    holding = register(flow, "HOLD")
    kid = register(flow, "KID", parent="HOLD")
    flow.when(merge_partners, merge("KEEP", "KID")).then(
        PartnerAbsorbed, PartnerMergedInto, like(ChildDetached, originator_id=holding, child=kid)
    )


def test_references_to_an_absorbed_partner_follow_every_merge_after_it() -> None:
    flow = Flow()
    register(flow, "MAIN")
    register(flow, "DUP1")
    top = register(flow, "TOP")
    flow.given_command(merge_partners, merge("MAIN", "DUP1"))
    flow.given_command(merge_partners, merge("TOP", "MAIN"))
    flow.when(change_partner, ChangePartner(partner="DUP1", website="https://top.example"))
    flow.then(like(PartnerDetailsChanged, originator_id=top, fields=("website",)))


def test_absorbing_oneself_even_by_an_absorbed_reference_is_refused() -> None:
    flow = Flow()
    keep = register(flow, "SELF")
    register(flow, "OTHER")
    flow.when(merge_partners, merge("SELF", str(keep))).then_raises(Conflict, "merge_self")
    flow.given_command(merge_partners, merge("SELF", "OTHER"))
    flow.when(merge_partners, merge("SELF", "OTHER")).then_raises(Conflict, "merge_self")


def test_absorbing_a_parent_or_a_child_is_refused() -> None:
    flow = Flow()
    register(flow, "PAR")
    register(flow, "KID", parent="PAR")
    flow.when(merge_partners, merge("PAR", "KID")).then_raises(Conflict, "merge_related")
    flow.when(merge_partners, merge("KID", "PAR")).then_raises(Conflict, "merge_related")


def test_an_unknown_partner_is_refused_at_its_place_and_nothing_is_merged() -> None:
    flow = Flow()
    register(flow, "MAIN")
    register(flow, "OTHER")
    refused = flow.when(merge_partners, merge("MAIN", "OTHER", "NOPE")).then_raises(Invalid)
    assert [e["loc"] for e in refused.errors] == [["body", "absorb", 1]]
    flow.when(merge_partners, merge("NOPE", "MAIN")).then_raises(NotFound)


def test_a_merged_away_code_stays_taken() -> None:
    flow = Flow()
    register(flow, "KEEP")
    register(flow, "OLD-1")
    flow.given_command(merge_partners, merge("KEEP", "OLD-1"))
    flow.when(register_command, RegisterPartner(name="Reuse", code=" old-1 ")).then_raises(Conflict, "code_taken")
