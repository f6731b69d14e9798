"""The sales process and the sales commands on the in-memory store: a prospect becomes a customer
by the document that made it one, a sent quote expires at the day start after its date, and an
order past the credit limit or for a stopped partner is refused with nothing recorded."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from aggregates.errors import Conflict
from aggregates.partner_details import PartnerPromotedToCustomer, Role
from aggregates.sales_document_events import DocumentIssued, QuoteAccepted, QuoteExpired
from aggregates.sales_document_values import DocType
from commands.documents import (
    AcceptQuote,
    DraftDocument,
    IssueDocument,
    LineIn,
    accept_quote,
    draft_document,
    issue_document,
)
from commands.partners import (
    MergePartners,
    PlaceCreditHold,
    RegisterPartner,
    merge_partners,
    place_credit_hold,
    register_partner,
)
from processes.sales import sales
from tests.gwt import like
from tests.gwt_commands import Flow

D = Decimal


def register(flow: Flow, code: str, *roles: Role, **fields: Any) -> UUID:
    result = flow.given_command(
        register_partner, RegisterPartner(name=f"{code} Ltd", code=code, roles=list(roles), **fields)
    )
    assert result.id is not None
    return result.id


def draft(flow: Flow, doc_type: str, partner: str, price: str = "10.00", **fields: Any) -> UUID:
    lines = [LineIn(product="X", quantity=D("1"), unit_price=D(price))]
    result = flow.given_command(draft_document, DraftDocument(type=doc_type, partner=partner, lines=lines, **fields))
    assert result.id is not None
    return result.id


def roles(flow: Flow, partner: UUID) -> tuple[Role, ...]:
    return flow.store.get(partner).details.roles  # type: ignore[attr-defined, no-any-return]


# -- promotion ---------------------------------------------------------------------------------------


def test_accepting_a_quote_makes_the_prospect_a_customer_named_by_the_quote() -> None:
    flow = Flow(processes=[sales])
    pid = register(flow, "PROS", Role.PROSPECT)
    quote = draft(flow, "quote", "PROS")
    flow.when(issue_document, IssueDocument(document=str(quote)))
    assert roles(flow, pid) == (Role.PROSPECT,)  # a quote sent is no promotion
    flow.when(accept_quote, AcceptQuote(document=str(quote))).then(
        like(QuoteAccepted, originator_id=quote),
        like(
            PartnerPromotedToCustomer,
            originator_id=pid,
            document=quote,
            document_type=DocType.QUOTE,
            number="QT2601-0001",
            roles=(Role.PROSPECT, Role.CUSTOMER),
        ),
    )
    (promoted,) = flow.events(PartnerPromotedToCustomer)
    assert promoted.meta is not None and promoted.meta.actor == "process:sales"


def test_a_confirmed_order_and_an_issued_invoice_promote_a_prospect() -> None:
    flow = Flow(processes=[sales])
    for doc_type, number in (("order", "SO2601-0001"), ("invoice", "IN2601-0001")):
        pid = register(flow, f"P-{doc_type}", Role.PROSPECT)
        document = draft(flow, doc_type, f"P-{doc_type}")
        flow.when(issue_document, IssueDocument(document=str(document)))
        promoted = [e for e in flow.new if isinstance(e, PartnerPromotedToCustomer)]
        assert [(e.originator_id, e.document, e.document_type.value, e.number) for e in promoted] == [
            (pid, document, doc_type, number)
        ]
        assert roles(flow, pid) == (Role.PROSPECT, Role.CUSTOMER)


def test_a_customer_or_a_vendor_is_not_promoted() -> None:
    flow = Flow(processes=[sales])
    register(flow, "CUST", Role.PROSPECT, Role.CUSTOMER)
    register(flow, "VEND", Role.VENDOR)
    for code in ("CUST", "VEND"):
        invoice = draft(flow, "invoice", code)
        flow.when(issue_document, IssueDocument(document=str(invoice)))
        assert flow.events(PartnerPromotedToCustomer) == []
        assert [type(e) for e in flow.new if isinstance(e, DocumentIssued)] == [DocumentIssued]


def test_a_document_of_a_merged_prospect_promotes_its_survivor() -> None:
    flow = Flow(processes=[sales])
    survivor = register(flow, "KEEP", Role.PROSPECT)
    register(flow, "GONE", Role.PROSPECT)
    quote = draft(flow, "quote", "GONE")
    flow.given_command(issue_document, IssueDocument(document=str(quote)))
    flow.given_command(merge_partners, MergePartners(partner="KEEP", absorb=["GONE"]))
    flow.when(accept_quote, AcceptQuote(document=str(quote)))
    flow.then(like(QuoteAccepted), like(PartnerPromotedToCustomer, originator_id=survivor, document=quote))


# -- quote expiry --------------------------------------------------------------------------------------


def test_a_sent_quote_expires_at_the_day_start_after_its_valid_until() -> None:
    flow = Flow(processes=[sales])
    register(flow, "EXP", Role.PROSPECT)
    sent = draft(flow, "quote", "EXP", valid_until=date(2026, 1, 20))
    draft(flow, "quote", "EXP", valid_until=date(2026, 1, 20))  # a draft is not sent: it does not expire
    flow.given_command(issue_document, IssueDocument(document=str(sent)))
    flow.day(date(2026, 1, 20))
    assert flow.events(QuoteExpired) == []
    flow.day(date(2026, 1, 21))
    assert [e.originator_id for e in flow.new if isinstance(e, QuoteExpired)] == [sent]


# -- credit checks ---------------------------------------------------------------------------------------


def test_an_order_past_the_credit_limit_is_refused_and_records_nothing() -> None:
    flow = Flow()
    register(flow, "TIGHT", credit_limit=D("1000.00"))
    invoice = draft(flow, "invoice", "TIGHT", "800.00")
    flow.given_command(issue_document, IssueDocument(document=str(invoice)))
    over = draft(flow, "order", "TIGHT", "200.01")
    flow.when(issue_document, IssueDocument(document=str(over))).then_raises(Conflict, "credit_limit")
    # Exactly up to the limit is allowed.
    at_limit = draft(flow, "order", "TIGHT", "200.00")
    flow.when(issue_document, IssueDocument(document=str(at_limit)))
    assert [(e.originator_id, e.number) for e in flow.new if isinstance(e, DocumentIssued)] == [
        (at_limit, "SO2601-0001")
    ]


def test_an_order_for_a_stopped_partner_is_refused_and_records_nothing() -> None:
    flow = Flow()
    register(flow, "HELD", credit_limit=D("0.00"))
    order = draft(flow, "order", "HELD")
    flow.given_command(place_credit_hold, PlaceCreditHold(partner="HELD", reason="bounced cheque"))
    flow.when(issue_document, IssueDocument(document=str(order))).then_raises(Conflict, "credit_stop")
