"""Sales documents: quotes, orders, pro-formas, invoices, credit notes and delivery notes, and
their chain.

Their values are in ``sales_document_values``, their events in ``sales_document_events``; the
delivery steps (and an order's allotments to deliveries) in ``delivery``."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

from aggregates.base import event, natural_id
from aggregates.delivery import DeliverySteps
from aggregates.errors import Invalid, conflict
from aggregates.money import ZERO
from aggregates.sales_document_events import (
    ConversionReverted,
    DisputeResolved,
    DocumentBilled,
    DocumentCancelled,
    DocumentDrafted,
    DocumentIssued,
    GraceGranted,
    InvoiceDisputed,
    InvoiceDunned,
    LinesConverted,
    PaymentPromised,
    QuoteAccepted,
    QuoteExpired,
    QuoteRefused,
    ReminderSent,
)
from aggregates.sales_document_values import (
    CONSUMING,
    CONVERSIONS,
    ConvertedLine,
    DocStatus,
    DocType,
    DocumentTerms,
    Line,
    Link,
    Promise,
)


class SalesDocument(DeliverySteps):
    TOPIC = "counterparty.document.SalesDocument"

    doc_type: DocType
    terms: DocumentTerms
    lines: dict[UUID, Line]
    remaining: dict[UUID, Decimal]
    status: DocStatus
    number: str | None
    issue_date: date | None
    due_date: date | None
    links: list[Link]
    billed_net: Decimal
    in_dispute: bool
    promise: Promise | None
    grace_until: date | None
    conversions: dict[UUID, tuple[ConvertedLine, ...]]
    dunned: bool
    dunning_level: int
    reminders_sent: set[int]
    accepted: bool

    @classmethod
    def draft(
        cls,
        id: UUID,
        doc_type: DocType,
        terms: DocumentTerms,
        lines: list[Line],
        source: SalesDocument | None = None,
    ) -> SalesDocument:
        if not lines:
            raise conflict("lines_required", "a document needs at least one line")
        return cls._create(
            DocumentDrafted,
            id=id,
            doc_type=doc_type,
            terms=terms,
            lines=tuple(lines),
            source=source.id if source else None,
            source_type=source.doc_type if source else None,
        )

    @event(DocumentDrafted)
    def _drafted(
        self,
        doc_type: DocType,
        terms: DocumentTerms,
        lines: tuple[Line, ...],
        source: UUID | None,
        source_type: DocType | None,
    ) -> None:
        self.doc_type = doc_type
        self.terms = terms
        self.lines = {line.line_id: line for line in lines}
        self.remaining = {line.line_id: line.quantity for line in lines}
        self.status = DocStatus.DRAFT
        self.number = None
        self.issue_date = None
        self.due_date = None
        self.links = [Link(rel="source", document=source, type=source_type)] if source and source_type else []
        self.billed_net = ZERO
        self.in_dispute = False
        self.promise = None
        self.grace_until = None
        self.conversions = {}
        self.dunned = False
        self.dunning_level = 0
        self.reminders_sent = set()
        self.accepted = False
        self.delivered = {}
        self.allotments = {}
        self.shipped_on = None
        self.delivered_on = None

    # -- totals --------------------------------------------------------------------------------

    @property
    def net(self) -> Decimal:
        return sum((line.net for line in self.lines.values()), ZERO)

    @property
    def tax(self) -> Decimal:
        return sum((line.tax for line in self.lines.values()), ZERO)

    @property
    def total(self) -> Decimal:
        return self.net + self.tax

    @property
    def cost(self) -> Decimal:
        return sum((line.cost for line in self.lines.values()), ZERO)

    @property
    def billed(self) -> bool:
        return self.net > 0 and self.billed_net >= self.net

    def _require(self, *types: DocType) -> None:
        if self.doc_type not in types:
            names = " or ".join(t.value for t in types)
            raise conflict("wrong_document_type", f"this applies to a {names}, not a {self.doc_type.value}")

    # -- issuing -------------------------------------------------------------------------------

    def issue(self, number: str, issue_date: date, partner_group: str | None) -> None:
        if self.status is not DocStatus.DRAFT:
            raise conflict("not_a_draft", f"the document is {self.status.value}; only drafts are issued")
        if self.doc_type is DocType.DELIVERY:
            return self.plan(number, issue_date)
        if self.doc_type is DocType.QUOTE and self.terms.valid_until and self.terms.valid_until < issue_date:
            raise conflict("quote_expired", "the quote's valid_until is before its issue date")
        status = {
            DocType.QUOTE: DocStatus.SENT,
            DocType.ORDER: DocStatus.CONFIRMED,
        }.get(self.doc_type, DocStatus.ISSUED)
        due = None
        if self.doc_type is DocType.INVOICE:
            due = self.terms.due_date or issue_date + timedelta(days=self.terms.payment_terms_days or 0)
            if due < issue_date:
                raise conflict("due_before_issue", "the due date is before the issue date")
        self._issued(
            doc_type=self.doc_type,
            partner=self.terms.partner,
            number=number,
            issue_date=issue_date,
            due_date=due,
            status=status,
            partner_group=partner_group,
            total=self.total,
            currency=self.terms.currency,
        )

    @event(DocumentIssued)
    def _issued(self, number: str, issue_date: date, due_date: date | None, status: DocStatus) -> None:
        self.number = number
        self.issue_date = issue_date
        self.due_date = due_date
        self.status = status

    # -- quotes --------------------------------------------------------------------------------

    def accept(self, on: date, by: str | None) -> None:
        self._require(DocType.QUOTE)
        if self.status is DocStatus.EXPIRED:
            raise conflict("quote_expired", "the quote has expired")
        if self.status is not DocStatus.SENT:
            raise conflict("quote_not_open", f"the quote is {self.status.value}; only a sent quote is accepted")
        self._accepted(on=on, by=by)

    @event(QuoteAccepted)
    def _accepted(self, on: date, by: str | None) -> None:
        self.status = DocStatus.ACCEPTED
        self.accepted = True

    def refuse(self, reason: str, on: date) -> None:
        self._require(DocType.QUOTE)
        if any(link.rel == "derived" and link.type is DocType.ORDER for link in self.links):
            raise conflict("quote_ordered", "an order exists for this quote")
        if self.status not in (DocStatus.SENT, DocStatus.ACCEPTED, DocStatus.EXPIRED):
            raise conflict("quote_not_open", f"the quote is {self.status.value}")
        self._refused(reason=reason, on=on)

    @event(QuoteRefused)
    def _refused(self, reason: str, on: date) -> None:
        self.status = DocStatus.REFUSED

    def expire_if_due(self, today: date) -> None:
        """A sent quote whose valid_until has passed expires at the day start."""
        if (
            self.doc_type is DocType.QUOTE
            and self.status is DocStatus.SENT
            and self.terms.valid_until is not None
            and self.terms.valid_until < today
        ):
            self._expired(on=today)

    @event(QuoteExpired)
    def _expired(self, on: date) -> None:
        self.status = DocStatus.EXPIRED

    # -- conversion ----------------------------------------------------------------------------

    def convert_lines(self, target: UUID, target_type: DocType, wanted: list[ConvertedLine] | None) -> list[Line]:
        """Checks and records a conversion; returns the lines of the new draft."""
        if target_type not in CONVERSIONS.get(self.doc_type, set()):
            raise conflict("conversion_not_allowed", f"a {self.doc_type.value} cannot become a {target_type.value}")
        if self.status is DocStatus.EXPIRED:
            raise conflict("quote_expired", "the quote has expired; it cannot be converted")
        if self.status in (DocStatus.DRAFT, DocStatus.REFUSED, DocStatus.CANCELLED):
            raise conflict("document_not_open", f"a {self.status.value} document cannot be converted")
        consumes = target_type in CONSUMING and self.doc_type in (DocType.QUOTE, DocType.ORDER)
        if wanted is None:
            wanted = [
                ConvertedLine(line_id=lid, quantity=(self.remaining[lid] if consumes else line.quantity))
                for lid, line in self.lines.items()
                if not consumes or self.remaining[lid] > 0
            ]
        if not wanted or all(w.quantity <= 0 for w in wanted):
            raise conflict("quantity_exceeds_remaining", "nothing remains to convert")
        seen: set[UUID] = set()
        for i, w in enumerate(wanted):
            if w.line_id not in self.lines:
                raise Invalid(["body", "lines", i, "line_id"], f"line {w.line_id} is not on this document")
            if w.line_id in seen:
                raise conflict("duplicate_line", f"line {w.line_id} is listed twice")
            seen.add(w.line_id)
            if w.quantity <= 0:
                raise conflict("quantity_not_positive", "a converted quantity must be positive")
            if consumes and w.quantity > self.remaining[w.line_id]:
                raise conflict(
                    "quantity_exceeds_remaining",
                    f"line {w.line_id}: {w.quantity} asked, {self.remaining[w.line_id]} remaining",
                )
        wanted = [w for w in wanted if w.quantity > 0]
        status = self._status_after(wanted, consumes, sign=-1)
        self._lines_converted(
            target=target, target_type=target_type, lines=tuple(wanted), consumes=consumes, status=status
        )
        result = []
        for w in wanted:
            line = self.lines[w.line_id]
            fields = line.model_dump(exclude={"line_id", "net", "tax", "cost", "source_line"})
            result.append(
                Line.priced(
                    **{**fields, "quantity": w.quantity},
                    line_id=natural_id("document-line", target, w.line_id),
                    source_line=w.line_id,
                )
            )
        return result

    def _status_after(
        self, lines: list[ConvertedLine] | tuple[ConvertedLine, ...], consumes: bool, sign: int
    ) -> DocStatus:
        if not consumes:
            return self.status
        remaining = dict(self.remaining)
        for w in lines:
            remaining[w.line_id] += sign * w.quantity
        left = sum(remaining.values(), ZERO)
        everything = sum((line.quantity for line in self.lines.values()), ZERO)
        if self.doc_type is DocType.QUOTE:
            if left <= 0:
                return DocStatus.ORDERED
            return DocStatus.PARTIALLY_ORDERED if left < everything else self._open_quote_status()
        if left <= 0:
            return DocStatus.INVOICED
        return DocStatus.PARTIALLY_INVOICED if left < everything else DocStatus.CONFIRMED

    def _open_quote_status(self) -> DocStatus:
        # Whether the quote was accepted, not whether it was converted: a sent quote whose order
        # is reverted is sent again.
        return DocStatus.ACCEPTED if self.accepted else DocStatus.SENT

    @event(LinesConverted)
    def _lines_converted(
        self, target: UUID, target_type: DocType, lines: tuple[ConvertedLine, ...], consumes: bool, status: DocStatus
    ) -> None:
        if consumes:
            for w in lines:
                self.remaining[w.line_id] -= w.quantity
        self.links.append(Link(rel="derived", document=target, type=target_type))
        self.conversions[target] = lines if consumes else ()
        self.status = status

    def revert_conversion(self, target: UUID) -> None:
        lines = self.conversions.get(target)
        if lines is None:
            return
        status = self._status_after(lines, bool(lines), sign=+1)
        self._conversion_reverted(target=target, lines=lines, status=status)

    @event(ConversionReverted)
    def _conversion_reverted(self, target: UUID, lines: tuple[ConvertedLine, ...], status: DocStatus) -> None:
        for w in lines:
            self.remaining[w.line_id] += w.quantity
        self.links = [link for link in self.links if link.document != target]
        del self.conversions[target]
        self.status = status

    def add_billed(self, invoice: UUID, net: Decimal) -> None:
        total = self.billed_net + net
        self._billed(invoice=invoice, net=net, billed=self.net > 0 and total >= self.net)

    @event(DocumentBilled)
    def _billed(self, net: Decimal) -> None:
        self.billed_net += net

    # -- cancelling ----------------------------------------------------------------------------

    def cancel(self, reason: str, on: date, paid: bool) -> None:
        if self.doc_type is DocType.DELIVERY:
            return self.cancel_delivery(reason, on)
        if self.status is DocStatus.CANCELLED:
            return
        if self.status is not DocStatus.DRAFT:
            if self.doc_type is not DocType.INVOICE:
                raise conflict("not_cancellable", f"an issued {self.doc_type.value} cannot be cancelled")
            if self.dunned:
                raise conflict("invoice_dunned", "the invoice has had a collection message; issue a credit note")
            if paid:
                raise conflict("invoice_paid", "the invoice has payments; issue a credit note")
        self._cancelled(reason=reason, on=on)

    @event(DocumentCancelled)
    def _cancelled(self, reason: str, on: date) -> None:
        self.status = DocStatus.CANCELLED

    def record_dunning(self, level: int, messaged: bool, on: date) -> None:
        if level != self.dunning_level or (messaged and not self.dunned):
            self._dunned(level=level, messaged=messaged, on=on)

    @event(InvoiceDunned)
    def _dunned(self, level: int, messaged: bool) -> None:
        self.dunning_level = level
        self.dunned = self.dunned or messaged

    def note_reminder(self, level: int, on: date) -> None:
        if level not in self.reminders_sent:
            self._reminder_sent(level=level, on=on)

    @event(ReminderSent)
    def _reminder_sent(self, level: int) -> None:
        self.reminders_sent.add(level)

    # -- invoice collection facts --------------------------------------------------------------

    def _require_open_invoice(self) -> None:
        self._require(DocType.INVOICE)
        if self.status is not DocStatus.ISSUED:
            raise conflict("invoice_not_issued", f"the invoice is {self.status.value}")

    def dispute(self, reason: str, on: date) -> None:
        self._require_open_invoice()
        if not self.in_dispute:
            self._disputed(reason=reason, on=on)

    @event(InvoiceDisputed)
    def _disputed(self, reason: str, on: date) -> None:
        self.in_dispute = True

    def resolve_dispute(self, on: date) -> None:
        self._require_open_invoice()
        if not self.in_dispute:
            raise conflict("not_in_dispute", "the invoice is not in dispute")
        self._dispute_resolved(on=on)

    @event(DisputeResolved)
    def _dispute_resolved(self, on: date) -> None:
        self.in_dispute = False

    def promise_payment(self, amount: Decimal, promised_for: date, on: date) -> None:
        self._require_open_invoice()
        if amount <= 0:
            raise conflict("amount_not_positive", "a promise needs a positive amount")
        if promised_for < on:
            raise conflict("promise_in_past", "a promise is for today or a later date")
        self._promised(promise=Promise(amount=amount, date=promised_for), on=on)

    @event(PaymentPromised)
    def _promised(self, promise: Promise, on: date) -> None:
        self.promise = promise

    def grant_grace(self, until: date, on: date) -> None:
        self._require_open_invoice()
        self._grace_granted(until=until, on=on)

    @event(GraceGranted)
    def _grace_granted(self, until: date, on: date) -> None:
        self.grace_until = until
