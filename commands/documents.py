"""Sales document commands: draft, issue, accept, refuse, convert, cancel, and the invoice's
dispute, promise and grace."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID, uuid4

from pydantic import Field, StringConstraints

from aggregates.account import Account, ItemKind, OpenItem
from aggregates.credit import credit_status
from aggregates.custom_field import FieldEntity
from aggregates.errors import Invalid, conflict, not_found
from aggregates.partner import Partner
from aggregates.partner_group import PartnerGroup
from aggregates.sales_document import SalesDocument
from aggregates.sales_document_values import ConvertedLine, DocStatus, DocType, DocumentTerms, Line
from aggregates.sales_settings import SETTINGS_ID, SalesSettings
from commands.campaigns import load_campaign
from commands.context import CommandContext, Result
from commands.numbering import claim_owner, draw_unique
from commands.partners import custom_field_values, load_partner, parse_uuid
from commands.references import named_by, require_user
from commands.types import Currency, CustomFields, Money, Number, Ref, ShortText, Strict

DOCUMENT_NUMBERS = "document"
Day = date  # a field named ``date`` hides the type inside a model

Quantity = Annotated[Number, Field(gt=0, max_digits=18, decimal_places=4)]
Rate = Annotated[Number, Field(ge=0, le=100, max_digits=7, decimal_places=4)]


class LineIn(Strict):
    product: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
    description: Annotated[str, StringConstraints(max_length=2000)] = ""
    quantity: Quantity
    unit_price: Annotated[Money, Field(ge=0)]
    discount_percent: Rate = Decimal("0")
    tax_rate: Rate = Decimal("0")
    unit_cost: Annotated[Money, Field(ge=0)] = Decimal("0")


class DraftDocument(Strict):
    type: DocType
    partner: Ref
    contact: UUID | None = None
    billing_address: UUID | None = None
    shipping_address: UUID | None = None
    issue_date: date | None = None
    due_date: date | None = None
    payment_terms_days: Annotated[int, Field(ge=0, le=3650)] | None = None
    valid_until: date | None = None
    currency: Currency | None = None
    sales_rep: ShortText | None = None
    campaign: ShortText | None = None
    applies_to: Ref | None = None
    notes_public: Annotated[str, StringConstraints(max_length=20000)] = ""
    custom_fields: CustomFields = Field(default_factory=dict)
    lines: Annotated[list[LineIn], Field(min_length=1, max_length=1000)]


# -- references ----------------------------------------------------------------------------------


def load_document(ctx: CommandContext, ref: str) -> SalesDocument:
    """A document by id or by its number."""
    doc_id = parse_uuid(ref) or claim_owner(ctx, DOCUMENT_NUMBERS, ref.strip())
    document = ctx.find(SalesDocument, doc_id) if doc_id else None
    if document is None:
        raise not_found("document", ref)
    return document


def load_document_for_update(ctx: CommandContext, ref: str) -> SalesDocument:
    return ctx.load_for_update(SalesDocument, load_document(ctx, ref).id)


def load_account(ctx: CommandContext, partner: UUID) -> Account:
    return ctx.find(Account, Account.id_for(partner)) or ctx.track(Account.open_for(partner))


def not_after_today(ctx: CommandContext, value: date | None, field: str) -> None:
    if value is not None and value > ctx.today:
        raise Invalid(["body", field], f"{field} may not be after today ({ctx.today.isoformat()})")


# -- drafting ------------------------------------------------------------------------------------


def _terms(ctx: CommandContext, cmd: DraftDocument, partner: Partner) -> DocumentTerms:
    if cmd.contact is not None and cmd.contact not in partner.contacts:
        raise Invalid(["body", "contact"], "the contact is not one of the partner's")
    for field in ("billing_address", "shipping_address"):
        value = getattr(cmd, field)
        if value is not None and value not in partner.addresses:
            raise Invalid(["body", field], "the address is not one of the partner's")
    not_after_today(ctx, cmd.issue_date, "issue_date")
    if cmd.sales_rep is not None:
        require_user(ctx, cmd.sales_rep, ["body", "sales_rep"])
    if cmd.campaign is not None:
        with named_by("body", "campaign"):
            load_campaign(ctx, cmd.campaign)
    applies_to = None
    if cmd.applies_to is not None:
        if cmd.type is not DocType.CREDIT_NOTE:
            raise Invalid(["body", "applies_to"], "only a credit note applies to an invoice")
        with named_by("body", "applies_to"):
            invoice = load_document(ctx, cmd.applies_to)
        if invoice.doc_type is not DocType.INVOICE or invoice.status is not DocStatus.ISSUED:
            raise conflict("not_an_issued_invoice", "a credit note applies to an issued invoice")
        if invoice.terms.partner != partner.id:
            raise conflict("other_partner", "the invoice belongs to another partner")
        applies_to = invoice.id
    return DocumentTerms(
        partner=partner.id,
        contact=cmd.contact,
        billing_address=cmd.billing_address or default_address(partner, "billing"),
        shipping_address=cmd.shipping_address or default_address(partner, "shipping"),
        issue_date=cmd.issue_date,
        due_date=cmd.due_date,
        payment_terms_days=cmd.payment_terms_days
        if cmd.payment_terms_days is not None
        else partner.details.payment_terms_days,
        valid_until=cmd.valid_until,
        currency=cmd.currency or partner.details.currency or ctx.currency,
        sales_rep=cmd.sales_rep or (partner.details.sales_reps[0] if partner.details.sales_reps else None),
        campaign=cmd.campaign,
        applies_to=applies_to,
        notes_public=cmd.notes_public,
        custom_fields=custom_field_values(ctx, FieldEntity.DOCUMENT, cmd.custom_fields, ["body", "custom_fields"]),
    )


def default_address(partner: Partner, usage: str) -> UUID | None:
    candidates = [a for a in partner.addresses.values() if usage in a.usage]
    default = next((a for a in candidates if a.is_default), None) or (candidates[0] if candidates else None)
    return default.id if default else None


def draft_document(cmd: DraftDocument, ctx: CommandContext) -> Result:
    if cmd.type is DocType.DELIVERY:
        raise Invalid(["body", "lines"], "a delivery is drafted from an order: lines [{source_line, quantity}]")
    with named_by("body", "partner"):
        partner = load_partner(ctx, cmd.partner)
    terms = _terms(ctx, cmd, partner)
    lines = [Line.priced(line_id=uuid4(), **line.model_dump()) for line in cmd.lines]
    document = SalesDocument.draft(uuid4(), cmd.type, terms, lines)
    return Result(ctx.save(document), document.id)


# -- issuing -------------------------------------------------------------------------------------


class IssueDocument(Strict):
    document: str
    issue_date: date | None = None


def _credit_check(ctx: CommandContext, partner: Partner, account: Account, amount: Decimal) -> None:
    group = ctx.find(PartnerGroup, PartnerGroup.id_for(partner.details.group)) if partner.details.group else None
    watch = group.settings.credit_watch_percent if group else Decimal("90")
    status = credit_status(
        account.balance, partner.details.credit_limit, partner.details.credit_check, watch, partner.is_stopped
    )
    if status == "stop":
        raise conflict("credit_stop", "sales to this partner are stopped")
    if status != "no_check" and account.balance + amount > partner.details.credit_limit:
        raise conflict(
            "credit_limit",
            f"balance {account.balance} + {amount} would pass the credit limit {partner.details.credit_limit}",
        )


def issue_document(cmd: IssueDocument, ctx: CommandContext) -> Result:
    document = load_document_for_update(ctx, cmd.document)
    issue_date = cmd.issue_date or document.terms.issue_date or ctx.today
    not_after_today(ctx, issue_date, "issue_date")
    return Result(ctx.save(*issue(ctx, document, issue_date)), document.id)


def issue(ctx: CommandContext, document: SalesDocument, issue_date: date) -> list[Any]:
    """Numbers and issues the document and books its effect; returns everything it touched."""
    partner = load_partner(ctx, str(document.terms.partner))
    touched: list[Any] = [document]
    if document.doc_type is DocType.ORDER:
        _credit_check(ctx, partner, load_account(ctx, partner.id), document.total)
    number, claimed = draw_unique(ctx, document.doc_type.value, issue_date, DOCUMENT_NUMBERS, document.id)
    document.issue(number, issue_date, partner.details.group)
    touched += claimed
    if document.doc_type is DocType.INVOICE:
        account = load_account(ctx, partner.id)
        book_invoice(account, document, number, issue_date)
        touched += [account, *_bill_sources(ctx, document)]
    elif document.doc_type is DocType.CREDIT_NOTE:
        account = load_account(ctx, partner.id)
        account.apply_credit_note(document.id, document.total, document.terms.applies_to, on=issue_date)
        touched.append(account)
    return touched


def book_invoice(account: Account, invoice: SalesDocument, number: str, on: date) -> None:
    """The issued invoice as an open item of the partner's account, due on its due date."""
    assert invoice.due_date is not None
    item = OpenItem(
        item_id=invoice.id,
        kind=ItemKind.INVOICE,
        document=invoice.id,
        number=number,
        due_date=invoice.due_date,
        amount=invoice.total,
        currency=invoice.terms.currency,
        booked_on=on,
    )
    account.book(item, on=on)


def _bill_sources(ctx: CommandContext, invoice: SalesDocument, sign: int = 1) -> list[SalesDocument]:
    """Adds (or, cancelling, takes back) the invoice's net on every document up its chain."""
    billed: list[SalesDocument] = []
    source_id = invoice.source
    while source_id is not None and len(billed) < 5:
        source = ctx.load(SalesDocument, source_id)
        if source.doc_type in (DocType.QUOTE, DocType.ORDER):
            source.add_billed(invoice.id, sign * invoice.net)
            billed.append(source)
        source_id = source.source
    return billed


# -- quotes ----------------------------------------------------------------------------------------


class AcceptQuote(Strict):
    document: str
    date: Day | None = None
    by: ShortText | None = None


def accept_quote(cmd: AcceptQuote, ctx: CommandContext) -> Result:
    quote = load_document_for_update(ctx, cmd.document)
    on = cmd.date or ctx.today
    not_after_today(ctx, on, "date")
    if cmd.by is not None:
        require_user(ctx, cmd.by, ["body", "by"])
    quote.accept(on, cmd.by)
    touched: list[Any] = [quote]
    settings = ctx.find(SalesSettings, SETTINGS_ID)
    if settings and settings.order_on_accept:
        touched.append(_derive(quote, DocType.ORDER, None))
    return Result(ctx.save(*touched), quote.id)


class RefuseQuote(Strict):
    document: str
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""


def refuse_quote(cmd: RefuseQuote, ctx: CommandContext) -> Result:
    quote = load_document_for_update(ctx, cmd.document)
    quote.refuse(cmd.reason, ctx.today)
    return Result(ctx.save(quote), quote.id)


class ExpireQuote(Strict):
    document: UUID


def expire_quote(cmd: ExpireQuote, ctx: CommandContext) -> Result:
    quote = ctx.load(SalesDocument, cmd.document)
    quote.expire_if_due(ctx.today)
    return Result(ctx.save(quote), quote.id)


class QuoteSettings(Strict):
    order_on_accept: bool


def set_quote_settings(cmd: QuoteSettings, ctx: CommandContext) -> Result:
    settings = ctx.find(SalesSettings, SETTINGS_ID) or SalesSettings.open()
    settings.set_quotes(cmd.order_on_accept)
    return Result(ctx.save(settings), settings.id)


# -- conversion ------------------------------------------------------------------------------------


class LineQuantity(Strict):
    line_id: UUID
    quantity: Quantity


class ConvertDocument(Strict):
    document: str
    to: Literal["order", "proforma", "invoice"]
    lines: list[LineQuantity] | None = None


def _derive(source: SalesDocument, to: DocType, wanted: list[ConvertedLine] | None) -> SalesDocument:
    target_id = uuid4()
    lines = source.convert_lines(target_id, to, wanted)
    terms = source.terms.model_copy(
        update={"issue_date": None, "due_date": None, "applies_to": None, "valid_until": None}
    )
    return SalesDocument.draft(target_id, to, terms, lines, source=source)


def convert_document(cmd: ConvertDocument, ctx: CommandContext) -> Result:
    source = load_document_for_update(ctx, cmd.document)
    wanted = [ConvertedLine(line_id=w.line_id, quantity=w.quantity) for w in cmd.lines] if cmd.lines else None
    target = _derive(source, DocType(cmd.to), wanted)
    return Result(ctx.save(source, target), target.id)


# -- cancelling ------------------------------------------------------------------------------------


class CancelDocument(Strict):
    document: str
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""


def cancel_document(cmd: CancelDocument, ctx: CommandContext) -> Result:
    """A cancelled draft or unpaid invoice gives its quantities back to the document it came
    from, and a cancelled invoice no longer counts as billing it; a cancelled delivery gives its
    quantities back to its order's deliveries."""
    document = load_document_for_update(ctx, cmd.document)
    touched: list[Any] = [document]
    was_draft = document.status is DocStatus.DRAFT
    issued_invoice = document.doc_type is DocType.INVOICE and document.status is DocStatus.ISSUED
    if issued_invoice:
        account = load_account(ctx, load_partner(ctx, str(document.terms.partner)).id)
        document.cancel(cmd.reason, ctx.today, paid=account.has_payments(document.id))
        account.cancel_item(document.id, ctx.today)
        touched += [account, *_bill_sources(ctx, document, sign=-1)]
    else:
        document.cancel(cmd.reason, ctx.today, paid=False)
    if document.doc_type is DocType.DELIVERY and document.source is not None:
        order = ctx.load(SalesDocument, document.source)
        order.release_delivery(document.id)
        touched.append(order)
    elif (was_draft or issued_invoice) and document.source is not None:
        source = ctx.load(SalesDocument, document.source)
        source.revert_conversion(document.id)
        touched.append(source)
    return Result(ctx.save(*touched), document.id)


# -- invoice facts for collection ------------------------------------------------------------------


class DisputeInvoice(Strict):
    document: str
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


def dispute_invoice(cmd: DisputeInvoice, ctx: CommandContext) -> Result:
    invoice = load_document_for_update(ctx, cmd.document)
    invoice.dispute(cmd.reason, ctx.today)
    return Result(ctx.save(invoice), invoice.id)


class ResolveDispute(Strict):
    document: str


def resolve_dispute(cmd: ResolveDispute, ctx: CommandContext) -> Result:
    invoice = load_document_for_update(ctx, cmd.document)
    invoice.resolve_dispute(ctx.today)
    return Result(ctx.save(invoice), invoice.id)


class PromisePayment(Strict):
    document: str
    amount: Annotated[Money, Field(gt=0)]
    date: Day


def promise_payment(cmd: PromisePayment, ctx: CommandContext) -> Result:
    invoice = load_document_for_update(ctx, cmd.document)
    invoice.promise_payment(cmd.amount, cmd.date, ctx.today)
    return Result(ctx.save(invoice), invoice.id)


class GrantGrace(Strict):
    document: str
    until: date


def grant_grace(cmd: GrantGrace, ctx: CommandContext) -> Result:
    invoice = load_document_for_update(ctx, cmd.document)
    invoice.grant_grace(cmd.until, ctx.today)
    return Result(ctx.save(invoice), invoice.id)
