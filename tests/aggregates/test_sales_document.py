"""Sales document rules: given events, when a command method, then the events (and replay agrees)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from aggregates.base import DomainEvent, natural_id
from aggregates.errors import Conflict, Invalid
from aggregates.sales_document import SalesDocument
from aggregates.sales_document_events import (
    ConversionReverted,
    DisputeResolved,
    DocumentBilled,
    DocumentCancelled,
    DocumentDrafted,
    DocumentIssued,
    GraceGranted,
    InvoiceDisputed,
    LinesConverted,
    PaymentPromised,
    QuoteAccepted,
    QuoteExpired,
    QuoteRefused,
)
from aggregates.sales_document_values import ConvertedLine, DocStatus, DocType, DocumentTerms, Line, Link, Promise
from tests.gwt import given, like, replay

DOC = UUID("00000000-0000-4000-8000-00000000d0c1")
TARGET = UUID("00000000-0000-4000-8000-00000000d0c2")
TARGET_2 = UUID("00000000-0000-4000-8000-00000000d0c3")
SOURCE = UUID("00000000-0000-4000-8000-00000000d0c0")
PARTNER = UUID("00000000-0000-4000-8000-0000000000b1")
L1 = UUID("00000000-0000-4000-8000-0000000000e1")
L2 = UUID("00000000-0000-4000-8000-0000000000e2")
ISSUED_ON = date(2026, 3, 2)
TODAY = date(2026, 3, 10)


# Delivery notes issue and cancel with events of their own (tests/commands/test_deliveries.py).
SALES_TYPES = [t for t in DocType if t is not DocType.DELIVERY]

def line(line_id: UUID = L1, quantity: str = "10", unit_price: str = "100.00", **extra: Any) -> Line:
    return Line.priced(
        line_id=line_id, product="A", quantity=Decimal(quantity), unit_price=Decimal(unit_price), **extra
    )


TWO_LINES = (line(L1, "10", "100.00"), line(L2, "4", "25.00"))


def drafted(
    doc_type: DocType,
    lines: tuple[Line, ...] = TWO_LINES,
    doc_id: UUID = DOC,
    source: UUID | None = None,
    source_type: DocType | None = None,
    **terms: Any,
) -> DocumentDrafted:
    return DocumentDrafted(
        originator_id=doc_id,
        originator_version=1,
        originator_topic=SalesDocument.TOPIC,
        doc_type=doc_type,
        terms=DocumentTerms(partner=PARTNER, **terms),
        lines=lines,
        source=source,
        source_type=source_type,
    )


def recorded(cls: type[DomainEvent], version: int, doc_id: UUID = DOC, **fields: Any) -> DomainEvent:
    return cls(originator_id=doc_id, originator_version=version, **fields)


STATUS_WHEN_ISSUED = {
    DocType.QUOTE: DocStatus.SENT,
    DocType.ORDER: DocStatus.CONFIRMED,
    DocType.PROFORMA: DocStatus.ISSUED,
    DocType.INVOICE: DocStatus.ISSUED,
    DocType.CREDIT_NOTE: DocStatus.ISSUED,
}


def issued(doc_type: DocType, version: int = 2, due_date: date | None = None, doc_id: UUID = DOC) -> DomainEvent:
    return recorded(
        DocumentIssued,
        version,
        doc_id,
        doc_type=doc_type,
        partner=PARTNER,
        number="N-0001",
        issue_date=ISSUED_ON,
        due_date=due_date,
        status=STATUS_WHEN_ISSUED[doc_type],
    )


def converted(
    version: int,
    quantities: dict[UUID, str],
    status: DocStatus,
    target: UUID = TARGET,
    target_type: DocType = DocType.ORDER,
    consumes: bool = True,
) -> DomainEvent:
    return recorded(
        LinesConverted,
        version,
        target=target,
        target_type=target_type,
        lines=tuple(ConvertedLine(line_id=k, quantity=Decimal(v)) for k, v in quantities.items()),
        consumes=consumes,
        status=status,
    )


def wanted(**quantities: str) -> list[ConvertedLine]:
    ids = {"l1": L1, "l2": L2}
    return [ConvertedLine(line_id=ids[k], quantity=Decimal(v)) for k, v in quantities.items()]


def sent_quote(**terms: Any) -> list[DomainEvent]:
    return [drafted(DocType.QUOTE, **terms), issued(DocType.QUOTE)]


def confirmed_order() -> list[DomainEvent]:
    return [drafted(DocType.ORDER), issued(DocType.ORDER)]


def issued_invoice() -> list[DomainEvent]:
    return [drafted(DocType.INVOICE, payment_terms_days=30), issued(DocType.INVOICE, due_date=date(2026, 4, 1))]


def document(*events: DomainEvent) -> SalesDocument:
    built = replay(events)
    assert isinstance(built, SalesDocument)
    return built


# -- lines and totals ------------------------------------------------------------------------------


def test_line_net_is_rounded_half_up_per_line_after_the_discount() -> None:
    # 3 × 33.333 = 99.999; less 5 % = 94.99905 → 95.00; tax 23 % of 95.00 = 21.85
    priced = Line.priced(
        line_id=L1,
        product="A",
        quantity=Decimal("3"),
        unit_price=Decimal("33.333"),
        discount_percent=Decimal("5"),
        tax_rate=Decimal("23"),
        unit_cost=Decimal("20.005"),
    )
    assert (priced.net, priced.tax, priced.cost) == (Decimal("95.00"), Decimal("21.85"), Decimal("60.02"))


@pytest.mark.parametrize(
    ("quantity", "price", "discount", "rate", "net", "tax"),
    [
        ("1", "0.125", "0", "0", "0.13", "0.00"),  # half-up, not half-even (0.12)
        ("1", "0.50", "0", "25", "0.50", "0.13"),  # tax 0.125 → 0.13
        ("10", "33.333", "5", "23", "316.66", "72.83"),
        ("7", "12.50", "10", "23", "78.75", "18.11"),
        ("2.5", "3.99", "0", "0", "9.98", "0.00"),  # 9.975 → 9.98
        ("1", "100.00", "100", "23", "0.00", "0.00"),
    ],
)
def test_line_amounts(quantity: str, price: str, discount: str, rate: str, net: str, tax: str) -> None:
    priced = line(quantity=quantity, unit_price=price, discount_percent=Decimal(discount), tax_rate=Decimal(rate))
    assert (priced.net, priced.tax) == (Decimal(net), Decimal(tax))


def test_totals_add_the_rounded_lines_and_tax_is_per_line() -> None:
    # Each line: net 10.05, tax 5 % = 0.5025 → 0.50. Taxing the 20.10 total would give 1.01.
    lines = (
        line(L1, "1", "10.05", tax_rate=Decimal("5")),
        line(L2, "1", "10.05", tax_rate=Decimal("5"), unit_cost=Decimal("4.333")),
    )
    doc = given().when(lambda _: SalesDocument.draft(DOC, DocType.INVOICE, DocumentTerms(partner=PARTNER), list(lines)))
    d = doc.then(like(DocumentDrafted, doc_type=DocType.INVOICE, lines=lines, source=None))
    assert (d.net, d.tax, d.total, d.cost) == (Decimal("20.10"), Decimal("1.00"), Decimal("21.10"), Decimal("4.33"))
    assert d.status is DocStatus.DRAFT
    assert d.number is None
    assert d.remaining == {L1: Decimal("1"), L2: Decimal("1")}
    assert d.links == []


def test_three_lines_of_33_333_with_5_percent_discount_round_each_line() -> None:
    lines = tuple(
        line(UUID(int=0xE0 + n), "1", "33.333", discount_percent=Decimal("5"), tax_rate=Decimal(rate))
        for n, rate in enumerate(("23", "23", "0"))
    )
    d = document(drafted(DocType.QUOTE, lines=lines))
    # 33.333 × 0.95 = 31.66635 → 31.67 per line (95.01, not the 95.00 of one line of 3);
    # tax 23 % of 31.67 = 7.2841 → 7.28 on two lines.
    assert [x.net for x in d.lines.values()] == [Decimal("31.67")] * 3
    assert d.net == Decimal("95.01")
    assert d.tax == Decimal("14.56")
    assert d.total == Decimal("109.57")


def test_a_document_needs_lines() -> None:
    given().when(lambda _: SalesDocument.draft(DOC, DocType.QUOTE, DocumentTerms(partner=PARTNER), [])).then_raises(
        Conflict, code="lines_required"
    )


# -- issuing ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("doc_type", "status"),
    [
        (DocType.QUOTE, DocStatus.SENT),
        (DocType.ORDER, DocStatus.CONFIRMED),
        (DocType.PROFORMA, DocStatus.ISSUED),
        (DocType.CREDIT_NOTE, DocStatus.ISSUED),
    ],
)
def test_issue_numbers_the_document_and_sets_its_status(doc_type: DocType, status: DocStatus) -> None:
    d = (
        given(drafted(doc_type, payment_terms_days=30))
        .when(lambda d: d.issue("N-7", ISSUED_ON, "G-RETAIL"))
        .then(
            like(
                DocumentIssued,
                originator_version=2,
                doc_type=doc_type,
                partner=PARTNER,
                number="N-7",
                issue_date=ISSUED_ON,
                due_date=None,
                status=status,
                partner_group="G-RETAIL",
            )
        )
    )
    assert (d.status, d.number, d.issue_date, d.due_date) == (status, "N-7", ISSUED_ON, None)


def test_an_invoice_is_due_payment_terms_after_its_issue_date() -> None:
    d = (
        given(drafted(DocType.INVOICE, payment_terms_days=30))
        .when(lambda d: d.issue("IN2603-0001", ISSUED_ON, None))
        .then(like(DocumentIssued, status=DocStatus.ISSUED, due_date=date(2026, 4, 1)))
    )
    assert d.due_date == date(2026, 4, 1)
    assert d.status is DocStatus.ISSUED


def test_an_invoice_without_payment_terms_is_due_on_its_issue_date() -> None:
    given(drafted(DocType.INVOICE)).when(lambda d: d.issue("IN-1", ISSUED_ON, None)).then(
        like(DocumentIssued, due_date=ISSUED_ON)
    )


def test_an_invoice_due_date_wins_over_payment_terms() -> None:
    given(drafted(DocType.INVOICE, payment_terms_days=30, due_date=date(2026, 3, 20))).when(
        lambda d: d.issue("IN-1", ISSUED_ON, None)
    ).then(like(DocumentIssued, due_date=date(2026, 3, 20)))


def test_an_invoice_due_before_its_issue_date_is_refused() -> None:
    given(drafted(DocType.INVOICE, due_date=date(2026, 3, 1))).when(
        lambda d: d.issue("IN-1", ISSUED_ON, None)
    ).then_raises(Conflict, code="due_before_issue")


@pytest.mark.parametrize("doc_type", SALES_TYPES)
def test_a_second_issue_is_refused(doc_type: DocType) -> None:
    due = ISSUED_ON if doc_type is DocType.INVOICE else None
    error = (
        given(drafted(doc_type), issued(doc_type, due_date=due))
        .when(lambda d: d.issue("N-2", TODAY, None))
        .then_raises(Conflict, code="not_a_draft")
    )
    assert STATUS_WHEN_ISSUED[doc_type].value in error.detail


def test_a_cancelled_draft_is_not_issued() -> None:
    given(drafted(DocType.INVOICE), recorded(DocumentCancelled, 2, reason="", on=TODAY)).when(
        lambda d: d.issue("N-2", TODAY, None)
    ).then_raises(Conflict, code="not_a_draft")


def test_a_quote_valid_until_before_its_issue_date_is_refused() -> None:
    given(drafted(DocType.QUOTE, valid_until=date(2026, 3, 1))).when(
        lambda d: d.issue("QT-1", ISSUED_ON, None)
    ).then_raises(Conflict, code="quote_expired")


def test_a_quote_valid_until_its_issue_date_is_sent() -> None:
    given(drafted(DocType.QUOTE, valid_until=ISSUED_ON)).when(lambda d: d.issue("QT-1", ISSUED_ON, None)).then(
        like(DocumentIssued, status=DocStatus.SENT)
    )


# -- quotes ----------------------------------------------------------------------------------------


def test_accept_a_sent_quote() -> None:
    d = (
        given(*sent_quote())
        .when(lambda d: d.accept(TODAY, "anna"))
        .then(like(QuoteAccepted, originator_version=3, on=TODAY, by="anna"))
    )
    assert d.status is DocStatus.ACCEPTED


@pytest.mark.parametrize(
    ("history", "code"),
    [
        ([drafted(DocType.QUOTE)], "quote_not_open"),
        ([*sent_quote(), recorded(QuoteAccepted, 3, on=TODAY, by=None)], "quote_not_open"),
        ([*sent_quote(), recorded(QuoteRefused, 3, reason="too dear", on=TODAY)], "quote_not_open"),
        ([*sent_quote(), recorded(QuoteExpired, 3, on=TODAY)], "quote_expired"),
        ([drafted(DocType.ORDER), issued(DocType.ORDER)], "wrong_document_type"),
        ([drafted(DocType.INVOICE), issued(DocType.INVOICE, due_date=ISSUED_ON)], "wrong_document_type"),
    ],
)
def test_accept_refusals(history: list[DomainEvent], code: str) -> None:
    given(*history).when(lambda d: d.accept(TODAY, None)).then_raises(Conflict, code=code)


@pytest.mark.parametrize(
    "extra",
    [[], [recorded(QuoteAccepted, 3, on=TODAY, by=None)], [recorded(QuoteExpired, 3, on=TODAY)]],
)
def test_refuse_a_sent_accepted_or_expired_quote(extra: list[DomainEvent]) -> None:
    d = (
        given(*sent_quote(), *extra)
        .when(lambda d: d.refuse("too dear", TODAY))
        .then(like(QuoteRefused, reason="too dear", on=TODAY))
    )
    assert d.status is DocStatus.REFUSED


@pytest.mark.parametrize(
    ("history", "code"),
    [
        ([drafted(DocType.QUOTE)], "quote_not_open"),
        ([*sent_quote(), recorded(QuoteRefused, 3, reason="", on=TODAY)], "quote_not_open"),
        (confirmed_order(), "wrong_document_type"),
        ([*sent_quote(), converted(3, {L1: "2"}, DocStatus.PARTIALLY_ORDERED)], "quote_ordered"),
        (
            [*sent_quote(), recorded(QuoteAccepted, 3, on=TODAY, by=None), converted(4, {L1: "10"}, DocStatus.ORDERED)],
            "quote_ordered",
        ),
    ],
)
def test_refuse_refusals(history: list[DomainEvent], code: str) -> None:
    given(*history).when(lambda d: d.refuse("no", TODAY)).then_raises(Conflict, code=code)


def test_a_quote_with_only_a_proforma_may_be_refused() -> None:
    proforma = converted(3, {L1: "10", L2: "4"}, DocStatus.SENT, target_type=DocType.PROFORMA, consumes=False)
    given(*sent_quote(), proforma).when(lambda d: d.refuse("no", TODAY)).then(QuoteRefused)


def test_a_quote_whose_order_was_reverted_may_be_refused() -> None:
    history = [
        *sent_quote(),
        converted(3, {L1: "2"}, DocStatus.PARTIALLY_ORDERED),
        recorded(
            ConversionReverted,
            4,
            target=TARGET,
            lines=(ConvertedLine(line_id=L1, quantity=Decimal("2")),),
            status=DocStatus.SENT,
        ),
    ]
    given(*history).when(lambda d: d.refuse("no", TODAY)).then(QuoteRefused)


def test_a_sent_quote_past_valid_until_expires() -> None:
    d = (
        given(*sent_quote(valid_until=date(2026, 3, 9)))
        .when(lambda d: d.expire_if_due(TODAY))
        .then(like(QuoteExpired, on=TODAY))
    )
    assert d.status is DocStatus.EXPIRED


@pytest.mark.parametrize(
    "history",
    [
        sent_quote(valid_until=TODAY),  # valid through today
        sent_quote(),  # no valid_until
        [drafted(DocType.QUOTE, valid_until=date(2026, 3, 1))],  # a draft does not expire
        [*sent_quote(valid_until=date(2026, 3, 5)), recorded(QuoteAccepted, 3, on=ISSUED_ON, by=None)],
        [*sent_quote(valid_until=date(2026, 3, 5)), recorded(QuoteExpired, 3, on=date(2026, 3, 6))],
        [drafted(DocType.ORDER, valid_until=date(2026, 3, 1)), issued(DocType.ORDER)],
    ],
)
def test_what_does_not_expire(history: list[DomainEvent]) -> None:
    given(*history).when(lambda d: d.expire_if_due(TODAY)).then()


def test_an_expired_quote_is_neither_accepted_nor_converted() -> None:
    history = [*sent_quote(valid_until=date(2026, 3, 5)), recorded(QuoteExpired, 3, on=date(2026, 3, 6))]
    given(*history).when(lambda d: d.accept(TODAY, None)).then_raises(Conflict, code="quote_expired")
    for to in (DocType.ORDER, DocType.PROFORMA, DocType.INVOICE):
        given(*history).when(lambda d, to=to: d.convert_lines(TARGET, to, None)).then_raises(
            Conflict, code="quote_expired"
        )


# -- conversion ------------------------------------------------------------------------------------


def test_partial_conversion_of_a_quote_into_an_order() -> None:
    scenario = given(*sent_quote()).when(lambda d: d.convert_lines(TARGET, DocType.ORDER, wanted(l1="6")))
    d = scenario.then(
        like(
            LinesConverted,
            originator_version=3,
            target=TARGET,
            target_type=DocType.ORDER,
            lines=(ConvertedLine(line_id=L1, quantity=Decimal("6")),),
            consumes=True,
            status=DocStatus.PARTIALLY_ORDERED,
        )
    )
    assert d.status is DocStatus.PARTIALLY_ORDERED
    assert d.remaining == {L1: Decimal("4"), L2: Decimal("4")}
    assert d.links == [Link(rel="derived", document=TARGET, type=DocType.ORDER)]
    [new] = scenario.result
    assert new.line_id == natural_id("document-line", TARGET, L1)
    assert new.source_line == L1
    assert (new.product, new.quantity, new.unit_price, new.net) == (
        "A",
        Decimal("6"),
        Decimal("100.00"),
        Decimal("600.00"),
    )


def test_the_rest_of_a_partially_ordered_quote_makes_it_ordered() -> None:
    history = [*sent_quote(), converted(3, {L1: "6"}, DocStatus.PARTIALLY_ORDERED)]
    scenario = given(*history).when(lambda d: d.convert_lines(TARGET_2, DocType.ORDER, None))
    d = scenario.then(
        like(
            LinesConverted,
            target=TARGET_2,
            lines=(
                ConvertedLine(line_id=L1, quantity=Decimal("4")),
                ConvertedLine(line_id=L2, quantity=Decimal("4")),
            ),
            status=DocStatus.ORDERED,
        )
    )
    assert d.status is DocStatus.ORDERED
    assert d.remaining == {L1: Decimal("0"), L2: Decimal("0")}
    assert [(x.source_line, x.quantity, x.net) for x in scenario.result] == [
        (L1, Decimal("4"), Decimal("400.00")),
        (L2, Decimal("4"), Decimal("100.00")),
    ]
    # Nothing remains: a further conversion has nothing to take.
    given(*history, converted(4, {L1: "4", L2: "4"}, DocStatus.ORDERED, target=TARGET_2)).when(
        lambda d: d.convert_lines(UUID(int=99), DocType.ORDER, None)
    ).then_raises(Conflict, code="quantity_exceeds_remaining")


def test_an_accepted_quote_converted_in_part_is_partially_ordered() -> None:
    history = [*sent_quote(), recorded(QuoteAccepted, 3, on=TODAY, by=None)]
    d = (
        given(*history)
        .when(lambda d: d.convert_lines(TARGET, DocType.ORDER, wanted(l2="1")))
        .then(like(LinesConverted, status=DocStatus.PARTIALLY_ORDERED))
    )
    assert d.remaining == {L1: Decimal("10"), L2: Decimal("3")}


def test_converting_more_than_remains_is_refused() -> None:
    history = [*sent_quote(), converted(3, {L1: "6"}, DocStatus.PARTIALLY_ORDERED)]
    error = (
        given(*history)
        .when(lambda d: d.convert_lines(TARGET_2, DocType.ORDER, wanted(l1="4.5")))
        .then_raises(Conflict, code="quantity_exceeds_remaining")
    )
    assert "4.5 asked, 4 remaining" in error.detail
    given(*sent_quote()).when(lambda d: d.convert_lines(TARGET, DocType.INVOICE, wanted(l2="5"))).then_raises(
        Conflict, code="quantity_exceeds_remaining"
    )


@pytest.mark.parametrize(
    ("lines", "code"),
    [
        (
            [ConvertedLine(line_id=L1, quantity=Decimal("1")), ConvertedLine(line_id=L1, quantity=Decimal("1"))],
            "duplicate_line",
        ),
        (
            [ConvertedLine(line_id=L1, quantity=Decimal("1")), ConvertedLine(line_id=L2, quantity=Decimal("0"))],
            "quantity_not_positive",
        ),
        ([], "quantity_exceeds_remaining"),
    ],
)
def test_conversion_line_refusals(lines: list[ConvertedLine], code: str) -> None:
    given(*sent_quote()).when(lambda d: d.convert_lines(TARGET, DocType.ORDER, lines)).then_raises(Conflict, code=code)


def test_a_line_not_on_the_document_is_a_field_error() -> None:
    lines = [
        ConvertedLine(line_id=L1, quantity=Decimal("1")),
        ConvertedLine(line_id=UUID(int=5), quantity=Decimal("1")),
    ]
    error = given(*sent_quote()).when(lambda d: d.convert_lines(TARGET, DocType.ORDER, lines)).then_raises(Invalid)
    assert error.errors == [
        {"loc": ["body", "lines", 1, "line_id"], "msg": f"line {UUID(int=5)} is not on this document"}
    ]


@pytest.mark.parametrize(
    ("source", "to"),
    [
        (DocType.INVOICE, DocType.ORDER),
        (DocType.INVOICE, DocType.INVOICE),
        (DocType.INVOICE, DocType.PROFORMA),
        (DocType.ORDER, DocType.ORDER),
        (DocType.ORDER, DocType.QUOTE),
        (DocType.PROFORMA, DocType.ORDER),
        (DocType.CREDIT_NOTE, DocType.INVOICE),
        (DocType.QUOTE, DocType.CREDIT_NOTE),
    ],
)
def test_conversions_not_allowed(source: DocType, to: DocType) -> None:
    due = ISSUED_ON if source is DocType.INVOICE else None
    given(drafted(source), issued(source, due_date=due)).when(lambda d: d.convert_lines(TARGET, to, None)).then_raises(
        Conflict, code="conversion_not_allowed"
    )


@pytest.mark.parametrize(
    "history",
    [
        [drafted(DocType.QUOTE)],
        [*sent_quote(), recorded(QuoteRefused, 3, reason="", on=TODAY)],
        [drafted(DocType.ORDER), recorded(DocumentCancelled, 2, reason="", on=TODAY)],
    ],
)
def test_drafts_refused_and_cancelled_documents_are_not_converted(history: list[DomainEvent]) -> None:
    given(*history).when(lambda d: d.convert_lines(TARGET, DocType.INVOICE, None)).then_raises(
        Conflict, code="document_not_open"
    )


def test_order_to_invoice_partially_invoiced_then_invoiced() -> None:
    d = (
        given(*confirmed_order())
        .when(lambda d: d.convert_lines(TARGET, DocType.INVOICE, wanted(l1="10", l2="1")))
        .then(like(LinesConverted, target_type=DocType.INVOICE, consumes=True, status=DocStatus.PARTIALLY_INVOICED))
    )
    assert d.remaining == {L1: Decimal("0"), L2: Decimal("3")}
    history = [
        *confirmed_order(),
        converted(3, {L1: "10", L2: "1"}, DocStatus.PARTIALLY_INVOICED, target_type=DocType.INVOICE),
    ]
    scenario = given(*history).when(lambda d: d.convert_lines(TARGET_2, DocType.INVOICE, None))
    d = scenario.then(
        like(LinesConverted, lines=(ConvertedLine(line_id=L2, quantity=Decimal("3")),), status=DocStatus.INVOICED)
    )
    assert d.status is DocStatus.INVOICED
    assert [(x.source_line, x.quantity, x.net) for x in scenario.result] == [(L2, Decimal("3"), Decimal("75.00"))]


@pytest.mark.parametrize(
    ("history", "to"),
    [
        (confirmed_order(), DocType.PROFORMA),
        (sent_quote(), DocType.PROFORMA),
        ([drafted(DocType.PROFORMA), issued(DocType.PROFORMA)], DocType.INVOICE),
    ],
)
def test_a_proforma_does_not_consume(history: list[DomainEvent], to: DocType) -> None:
    before = document(*history)
    scenario = given(*history).when(lambda d: d.convert_lines(TARGET, to, wanted(l1="3")))
    d = scenario.then(like(LinesConverted, consumes=False, status=before.status))
    assert d.status is before.status
    assert d.remaining == {L1: Decimal("10"), L2: Decimal("4")}
    assert d.conversions == {TARGET: ()}
    assert [x.quantity for x in scenario.result] == [Decimal("3")]
    # Converting the whole again is still possible: nothing was consumed.
    given(*history, *scenario.new).when(lambda d: d.convert_lines(TARGET_2, to, None)).then(
        like(LinesConverted, consumes=False)
    )


def test_a_proforma_without_chosen_lines_copies_every_line_in_full() -> None:
    history = [*confirmed_order(), converted(3, {L1: "10"}, DocStatus.PARTIALLY_INVOICED, target_type=DocType.INVOICE)]
    scenario = given(*history).when(lambda d: d.convert_lines(TARGET_2, DocType.PROFORMA, None))
    scenario.then(like(LinesConverted, consumes=False, status=DocStatus.PARTIALLY_INVOICED))
    assert [(x.source_line, x.quantity) for x in scenario.result] == [(L1, Decimal("10")), (L2, Decimal("4"))]


# -- reverting a conversion ------------------------------------------------------------------------


def test_reverting_restores_quantities_and_the_sent_status() -> None:
    history = [*sent_quote(), converted(3, {L1: "6"}, DocStatus.PARTIALLY_ORDERED)]
    d = (
        given(*history)
        .when(lambda d: d.revert_conversion(TARGET))
        .then(
            like(
                ConversionReverted,
                target=TARGET,
                lines=(ConvertedLine(line_id=L1, quantity=Decimal("6")),),
                status=DocStatus.SENT,
            )
        )
    )
    assert d.status is DocStatus.SENT
    assert d.remaining == {L1: Decimal("10"), L2: Decimal("4")}
    assert d.links == []
    assert d.conversions == {}


def test_reverting_a_fully_converted_sent_quote_makes_it_sent_again() -> None:
    history = [*sent_quote(), converted(3, {L1: "10", L2: "4"}, DocStatus.ORDERED)]
    d = (
        given(*history)
        .when(lambda d: d.revert_conversion(TARGET))
        .then(like(ConversionReverted, status=DocStatus.SENT))
    )
    assert d.status is DocStatus.SENT
    assert d.remaining == {L1: Decimal("10"), L2: Decimal("4")}
    # Sent again, it can still be accepted (a never-accepted quote is not made accepted by a revert).
    reverted = recorded(
        ConversionReverted,
        4,
        target=TARGET,
        lines=(ConvertedLine(line_id=L1, quantity=Decimal("10")), ConvertedLine(line_id=L2, quantity=Decimal("4"))),
        status=DocStatus.SENT,
    )
    given(*history, reverted).when(lambda d: d.accept(TODAY, None)).then(QuoteAccepted)


def test_reverting_on_an_accepted_quote_makes_it_accepted_again() -> None:
    history = [
        *sent_quote(),
        recorded(QuoteAccepted, 3, on=TODAY, by=None),
        converted(4, {L1: "6"}, DocStatus.PARTIALLY_ORDERED),
    ]
    d = (
        given(*history)
        .when(lambda d: d.revert_conversion(TARGET))
        .then(like(ConversionReverted, status=DocStatus.ACCEPTED))
    )
    assert d.status is DocStatus.ACCEPTED


def test_reverting_one_of_two_orders_leaves_the_quote_partially_ordered() -> None:
    history = [
        *sent_quote(),
        converted(3, {L1: "6"}, DocStatus.PARTIALLY_ORDERED),
        converted(4, {L1: "4", L2: "4"}, DocStatus.ORDERED, target=TARGET_2),
    ]
    d = (
        given(*history)
        .when(lambda d: d.revert_conversion(TARGET_2))
        .then(like(ConversionReverted, target=TARGET_2, status=DocStatus.PARTIALLY_ORDERED))
    )
    assert d.remaining == {L1: Decimal("4"), L2: Decimal("4")}
    assert d.links == [Link(rel="derived", document=TARGET, type=DocType.ORDER)]


def test_reverting_an_invoice_reopens_the_order() -> None:
    history = [*confirmed_order(), converted(3, {L1: "10", L2: "4"}, DocStatus.INVOICED, target_type=DocType.INVOICE)]
    d = (
        given(*history)
        .when(lambda d: d.revert_conversion(TARGET))
        .then(like(ConversionReverted, status=DocStatus.CONFIRMED))
    )
    assert d.remaining == {L1: Decimal("10"), L2: Decimal("4")}
    history = [
        *confirmed_order(),
        converted(3, {L1: "10"}, DocStatus.PARTIALLY_INVOICED, target_type=DocType.INVOICE),
        converted(4, {L2: "4"}, DocStatus.INVOICED, target=TARGET_2, target_type=DocType.INVOICE),
    ]
    given(*history).when(lambda d: d.revert_conversion(TARGET)).then(
        like(ConversionReverted, status=DocStatus.PARTIALLY_INVOICED)
    )


def test_reverting_a_proforma_only_drops_the_link() -> None:
    history = [
        *confirmed_order(),
        converted(3, {L1: "10"}, DocStatus.CONFIRMED, target_type=DocType.PROFORMA, consumes=False),
    ]
    d = (
        given(*history)
        .when(lambda d: d.revert_conversion(TARGET))
        .then(like(ConversionReverted, lines=(), status=DocStatus.CONFIRMED))
    )
    assert d.links == []
    assert d.remaining == {L1: Decimal("10"), L2: Decimal("4")}


def test_reverting_an_unknown_conversion_records_nothing() -> None:
    given(*sent_quote()).when(lambda d: d.revert_conversion(TARGET)).then()


# -- billed ----------------------------------------------------------------------------------------


def test_billed_once_the_invoices_net_covers_the_net() -> None:
    # The order's net is 10 × 100.00 + 4 × 25.00 = 1100.00.
    d = (
        given(*confirmed_order())
        .when(lambda d: d.add_billed(TARGET, Decimal("1000.00")))
        .then(like(DocumentBilled, invoice=TARGET, net=Decimal("1000.00"), billed=False))
    )
    assert (d.billed_net, d.billed) == (Decimal("1000.00"), False)
    history = [*confirmed_order(), recorded(DocumentBilled, 3, invoice=TARGET, net=Decimal("1000.00"), billed=False)]
    d = (
        given(*history)
        .when(lambda d: d.add_billed(TARGET_2, Decimal("100.00")))
        .then(like(DocumentBilled, invoice=TARGET_2, net=Decimal("100.00"), billed=True))
    )
    assert (d.billed_net, d.billed) == (Decimal("1100.00"), True)


def test_a_document_without_net_is_never_billed() -> None:
    free = (line(L1, "1", "0.00"),)
    d = (
        given(drafted(DocType.ORDER, lines=free), issued(DocType.ORDER))
        .when(lambda d: d.add_billed(TARGET, Decimal("0.00")))
        .then(like(DocumentBilled, billed=False))
    )
    assert d.billed is False


# -- cancelling ------------------------------------------------------------------------------------


@pytest.mark.parametrize("doc_type", SALES_TYPES)
def test_any_draft_is_cancelled(doc_type: DocType) -> None:
    d = (
        given(drafted(doc_type))
        .when(lambda d: d.cancel("typo", TODAY, paid=False))
        .then(like(DocumentCancelled, reason="typo", on=TODAY))
    )
    assert d.status is DocStatus.CANCELLED


def test_cancelling_twice_records_nothing() -> None:
    given(drafted(DocType.QUOTE), recorded(DocumentCancelled, 2, reason="", on=TODAY)).when(
        lambda d: d.cancel("again", TODAY, paid=False)
    ).then()


def test_an_unpaid_issued_invoice_is_cancelled() -> None:
    d = given(*issued_invoice()).when(lambda d: d.cancel("wrong", TODAY, paid=False)).then(DocumentCancelled)
    assert d.status is DocStatus.CANCELLED


def test_an_issued_invoice_with_payments_is_not_cancelled() -> None:
    given(*issued_invoice()).when(lambda d: d.cancel("wrong", TODAY, paid=True)).then_raises(
        Conflict, code="invoice_paid"
    )


def test_a_dunned_invoice_is_not_cancelled() -> None:
    # No event marks an invoice dunned yet: the flag is set on the folded aggregate.
    scenario = given(*issued_invoice())
    scenario.aggregate.dunned = True
    scenario.when(lambda d: d.cancel("wrong", TODAY, paid=False))
    assert isinstance(scenario.error, Conflict)
    assert scenario.error.code == "invoice_dunned"
    assert scenario.aggregate.pending_events == []
    assert scenario.aggregate.status is DocStatus.ISSUED


@pytest.mark.parametrize(
    "history",
    [
        sent_quote(),
        [*sent_quote(), recorded(QuoteAccepted, 3, on=TODAY, by=None)],
        confirmed_order(),
        [drafted(DocType.PROFORMA), issued(DocType.PROFORMA)],
        [drafted(DocType.CREDIT_NOTE), issued(DocType.CREDIT_NOTE)],
    ],
)
def test_issued_documents_other_than_invoices_are_not_cancellable(history: list[DomainEvent]) -> None:
    given(*history).when(lambda d: d.cancel("no", TODAY, paid=False)).then_raises(Conflict, code="not_cancellable")


# -- invoice collection facts ----------------------------------------------------------------------

NOT_OPEN_INVOICES = [
    ([drafted(DocType.INVOICE)], "invoice_not_issued"),
    ([*issued_invoice(), recorded(DocumentCancelled, 3, reason="", on=TODAY)], "invoice_not_issued"),
    (confirmed_order(), "wrong_document_type"),
    (sent_quote(), "wrong_document_type"),
    ([drafted(DocType.CREDIT_NOTE), issued(DocType.CREDIT_NOTE)], "wrong_document_type"),
]


def test_dispute_and_resolve() -> None:
    d = (
        given(*issued_invoice())
        .when(lambda d: d.dispute("not delivered", TODAY))
        .then(like(InvoiceDisputed, reason="not delivered", on=TODAY))
    )
    assert d.in_dispute is True
    disputed = [*issued_invoice(), recorded(InvoiceDisputed, 3, reason="not delivered", on=TODAY)]
    given(*disputed).when(lambda d: d.dispute("again", TODAY)).then()
    d = given(*disputed).when(lambda d: d.resolve_dispute(TODAY)).then(like(DisputeResolved, on=TODAY))
    assert d.in_dispute is False
    given(*issued_invoice()).when(lambda d: d.resolve_dispute(TODAY)).then_raises(Conflict, code="not_in_dispute")
    resolved = [*disputed, recorded(DisputeResolved, 4, on=TODAY)]
    given(*resolved).when(lambda d: d.resolve_dispute(TODAY)).then_raises(Conflict, code="not_in_dispute")


def test_promise_a_payment() -> None:
    promise = Promise(amount=Decimal("500.00"), date=date(2026, 3, 20))
    d = (
        given(*issued_invoice())
        .when(lambda d: d.promise_payment(Decimal("500.00"), date(2026, 3, 20), TODAY))
        .then(like(PaymentPromised, promise=promise, on=TODAY))
    )
    assert d.promise == promise
    # A promise for today is fine; a later promise replaces the earlier one.
    d = (
        given(*issued_invoice(), recorded(PaymentPromised, 3, promise=promise, on=TODAY))
        .when(lambda d: d.promise_payment(Decimal("100.00"), TODAY, TODAY))
        .then(PaymentPromised)
    )
    assert d.promise == Promise(amount=Decimal("100.00"), date=TODAY)


@pytest.mark.parametrize(
    ("amount", "when", "code"),
    [
        ("0.00", date(2026, 3, 20), "amount_not_positive"),
        ("-1.00", date(2026, 3, 20), "amount_not_positive"),
        ("10.00", date(2026, 3, 9), "promise_in_past"),
    ],
)
def test_promise_refusals(amount: str, when: date, code: str) -> None:
    given(*issued_invoice()).when(lambda d: d.promise_payment(Decimal(amount), when, TODAY)).then_raises(
        Conflict, code=code
    )


def test_grant_grace() -> None:
    d = (
        given(*issued_invoice())
        .when(lambda d: d.grant_grace(date(2026, 4, 15), TODAY))
        .then(like(GraceGranted, until=date(2026, 4, 15), on=TODAY))
    )
    assert d.grace_until == date(2026, 4, 15)


@pytest.mark.parametrize(("history", "code"), NOT_OPEN_INVOICES)
def test_collection_facts_act_on_issued_invoices_only(history: list[DomainEvent], code: str) -> None:
    for command in (
        lambda d: d.dispute("x", TODAY),
        lambda d: d.resolve_dispute(TODAY),
        lambda d: d.promise_payment(Decimal("1.00"), TODAY, TODAY),
        lambda d: d.grant_grace(date(2026, 4, 1), TODAY),
    ):
        given(*history).when(command).then_raises(Conflict, code=code)
