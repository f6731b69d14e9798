"""/v1/documents: quotes, orders, pro-formas, invoices, credit notes and delivery notes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field, ModelWrapValidatorHandler, PrivateAttr, StringConstraints, model_validator

from aggregates.sales_document_values import DocType
from commands.deliveries import (
    DeliverDelivery,
    DraftDelivery,
    ShipDelivery,
    deliver_delivery,
    draft_delivery,
    ship_delivery,
)
from commands.documents import (
    AcceptQuote,
    CancelDocument,
    ConvertDocument,
    DisputeInvoice,
    DraftDocument,
    GrantGrace,
    IssueDocument,
    LineQuantity,
    PromisePayment,
    RefuseQuote,
    ResolveDispute,
    accept_quote,
    cancel_document,
    convert_document,
    dispute_invoice,
    draft_document,
    grant_grace,
    issue_document,
    promise_payment,
    refuse_quote,
    resolve_dispute,
)
from commands.types import Money, Ref
from queries.company import company_profile
from services.adapters.blobs import BlobStore
from services.adapters.pdf import document_pdf, seller_block
from services.api.as_of import AsOfParam
from services.api.deps import AnyRole, Cmd, Cont, Paging, ReadModels, Reads
from services.api.word_lists import word_list
from services.bootstrap.container import Container

router = APIRouter(prefix="/v1/documents", tags=["documents"])
Day = date  # a field named ``date`` hides the type inside a model


class DocumentCreate(DraftDocument):
    """A draft sales document; with ``"type": "delivery"`` a delivery note from an order instead,
    whose body (``partner``, ``source``, ``shipping_address``, ``planned_date``, ``lines`` of
    ``{"source_line", "quantity"}``) ``DraftDelivery`` validates in the route."""

    source: Ref | None = Field(None, description="deliveries: the order")
    planned_date: date | None = Field(None, description="deliveries")
    _delivery: dict[str, Any] | None = PrivateAttr(None)

    @model_validator(mode="wrap")
    @classmethod
    def _delivery_body(cls, data: Any, handler: ModelWrapValidatorHandler[DocumentCreate]) -> DocumentCreate:
        if isinstance(data, dict) and data.get("type") == DocType.DELIVERY.value:
            created = cls.model_construct(type=DocType.DELIVERY)
            created._delivery = data
            return created
        return handler(data)


class LinePublic(BaseModel):
    line_id: UUID
    product: str
    description: str
    quantity: str
    unit_price: str
    discount_percent: str
    tax_rate: str
    unit_cost: str
    net: str
    tax: str
    cost: str
    source_line: UUID | None
    remaining_quantity: str | None = Field(None, description="quotes and orders")
    delivered_quantity: str | None = Field(None, description="orders: on deliveries not cancelled")
    remaining_to_deliver: str | None = Field(None, description="orders")


class LinkPublic(BaseModel):
    rel: str
    document: UUID
    type: DocType


class PromisePublic(BaseModel):
    amount: str
    date: date


# What a reader sees: the aggregate's statuses plus `paid`, which the read model derives from an
# issued invoice's open amount reaching zero.
DocumentStatus = Literal[
    "draft", "sent", "accepted", "refused", "expired", "partially_ordered", "ordered", "confirmed",
    "partially_invoiced", "invoiced", "issued", "paid", "planned", "shipped", "delivered", "cancelled",
]


class DocumentPublic(BaseModel):
    id: UUID
    number: str | None
    type: DocType
    status: DocumentStatus
    version: int
    partner: UUID
    contact: UUID | None
    billing_address: UUID | None
    shipping_address: UUID | None
    issue_date: date | None
    due_date: date | None
    payment_terms_days: int | None
    valid_until: date | None
    currency: str
    sales_rep: str | None
    campaign: str | None
    applies_to: UUID | None
    notes_public: str
    custom_fields: dict[str, Any]
    lines: list[LinePublic]
    net: str
    tax: str
    total: str
    cost: str
    links: list[LinkPublic]
    billed: bool | None = Field(None, description="quotes and orders")
    open_amount: str | None = Field(None, description="invoices")
    dunning_level: int | None = Field(None, description="invoices")
    in_dispute: bool | None = Field(None, description="invoices")
    promise: PromisePublic | None = Field(None, description="invoices")
    grace_until: date | None = Field(None, description="invoices")
    planned_date: date | None = Field(None, description="deliveries")
    shipped_date: date | None = Field(None, description="deliveries")
    delivered_date: date | None = Field(None, description="deliveries")


class DocumentList(BaseModel):
    items: list[DocumentPublic]
    next_cursor: str | None


class IssueRequest(BaseModel):
    issue_date: date | None = None


class AcceptRequest(BaseModel):
    date: Annotated[Day | None, Field(description="defaults to today")] = None
    by: Ref | None = None


class ReasonRequest(BaseModel):
    reason: Annotated[str, StringConstraints(max_length=2000)] = ""


class ConvertRequest(BaseModel):
    to: Literal["order", "proforma", "invoice"]
    lines: Annotated[list[LineQuantity], Field(max_length=1000)] | None = None


class PromiseRequest(BaseModel):
    amount: Money
    date: date


class GraceRequest(BaseModel):
    until: date


def _document(reads: ReadModels, doc_id: Any) -> dict[str, Any]:
    # Through the model, so a command's answer has the same fields (nulls included) as GET's.
    return DocumentPublic.model_validate(reads.documents.get(str(doc_id))).model_dump(mode="json")


@router.post("", status_code=201, response_model=DocumentPublic, summary="Create a draft document")
def create_document(body: DocumentCreate, cmd: Cmd, reads: ReadModels) -> Response:
    """A draft takes the partner's currency, terms, first sales rep and default addresses unless named; contact and
    addresses must be the partner's (422). Line net = qty × price × (1 − discount), tax per line, both half-up to
    cents. A `delivery` drafts from a confirmed order (409 `order_not_confirmed`, `over_delivery`)."""
    if body._delivery is not None:
        delivery = DraftDelivery.model_validate(body._delivery)
        return cmd.run(draft_delivery, delivery, lambda r: _document(reads, r.id), status=201)
    command = DraftDocument.model_validate(body.model_dump(exclude_unset=True))
    return cmd.run(draft_document, command, lambda r: _document(reads, r.id), status=201)


@router.get("", response_model=DocumentList, summary="List documents")
def list_documents(
    _who: AnyRole,
    reads: ReadModels,
    paging: Paging,
    partner: str | None = None,
    type: DocType | None = None,
    status: Annotated[str | None, word_list(DocumentStatus)] = None,
    campaign: str | None = None,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: date | None = None,
) -> dict[str, Any]:
    """Newest first; `partner` includes partners merged into it; `status` takes a comma-separated list."""
    partners = reads.partners.merged_ids(reads.partners.partner_id(partner)) if partner else None
    return reads.documents.search(paging, partners, type.value if type else None, status, campaign, from_, to)


@router.get("/{document}", response_model=DocumentPublic, summary="One document by id or number, now or then")
def get_document(document: str, _who: AnyRole, reads: ReadModels, c: Cont, as_of: AsOfParam) -> dict[str, Any]:
    """By id or number; `as_of` replays the document as it was then."""
    if as_of is not None:
        return reads.documents.as_of(document, as_of, c.store.stream)
    return reads.documents.get(document)


@router.get(
    "/{document}/pdf",
    response_class=Response,
    summary="The document as PDF",
    responses={200: {"content": {"application/pdf": {}}}},
)
def get_pdf(document: str, _who: AnyRole, reads: ReadModels, c: Cont) -> Response:
    """Renders the document (WeasyPrint) in the partner's language, with the company's seller block, bank details and
    the number as payment reference (a draft has none)."""
    return pdf_response(reads.documents.get(document), reads, c)


def pdf_response(doc: dict[str, Any], reads: Reads, c: Container) -> Response:
    """The document rendered as PDF (the portal serves its customers the same file)."""
    partner = reads.partners.get(doc["partner"])
    seller = seller_block(company_profile(c.store), BlobStore(c.settings.blob_dir))
    pdf = document_pdf(doc, partner, seller, reads.settings.full_name(doc["sales_rep"]))
    filename = f"{doc['number'] or doc['id']}.pdf"
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{filename}"'}
    )


def _act(cmd: Cmd, reads: ReadModels, handler: Any, command: Any) -> Response:
    return cmd.run(handler, command, lambda r: _document(reads, r.id))


@router.post("/{document}/issue", response_model=DocumentPublic, summary="Number the document and make it effective")
def issue(document: str, cmd: Cmd, reads: ReadModels, body: IssueRequest | None = None) -> Response:
    """Draws a number from the type's series at the issue date: a quote becomes `sent`, an order `confirmed`, an
    invoice `issued` (a receivable), a credit note `issued` (reducing `applies_to`), a delivery `planned`.
    Confirming an order is 409 `credit_stop` or `credit_limit`; issuing twice `not_a_draft`. A prospect with an
    order or invoice becomes a customer."""
    command = IssueDocument(document=document, issue_date=body.issue_date if body else None)
    return _act(cmd, reads, issue_document, command)


@router.post("/{document}/accept", response_model=DocumentPublic, summary="Record the customer's acceptance of a quote")
def accept(document: str, cmd: Cmd, reads: ReadModels, body: AcceptRequest | None = None) -> Response:
    """The quote becomes `accepted` and a prospect gains `customer` (`PartnerPromotedToCustomer`); `by` names a user.
    With `order_on_accept` a draft order with the same lines is created and linked. 409 `quote_not_open`."""
    command = AcceptQuote(document=document, date=body.date if body else None, by=body.by if body else None)
    return _act(cmd, reads, accept_quote, command)


@router.post("/{document}/refuse", response_model=DocumentPublic, summary="Record the refusal of a quote")
def refuse(document: str, cmd: Cmd, reads: ReadModels, body: ReasonRequest | None = None) -> Response:
    """The quote becomes `refused`; a quote from which an order exists is 409 `quote_ordered`."""
    return _act(cmd, reads, refuse_quote, RefuseQuote(document=document, reason=body.reason if body else ""))


@router.post(
    "/{document}/convert",
    status_code=201,
    response_model=DocumentPublic,
    summary="Create the next document of the chain as a draft",
)
def convert(document: str, body: ConvertRequest, cmd: Cmd, reads: ReadModels) -> Response:
    """Quote → order, pro-forma or invoice; order → pro-forma or invoice; pro-forma → invoice. Copies party, terms,
    lines and links both ways; `lines` converts part. 409 `document_not_open` (unissued source), `quote_expired`,
    `quantity_exceeds_remaining`, `conversion_not_allowed`."""
    command = ConvertDocument(document=document, to=body.to, lines=body.lines)
    return cmd.run(convert_document, command, lambda r: _document(reads, r.id), status=201)


@router.post(
    "/{document}/cancel", response_model=DocumentPublic, summary="Cancel a draft or an undunned unpaid invoice"
)
def cancel(document: str, cmd: Cmd, reads: ReadModels, body: ReasonRequest | None = None) -> Response:
    """Drafts, unpaid invoices never dunned, and draft or planned delivery notes (their quantities go back to the
    order). 409 `invoice_dunned` (issue a credit note), `invoice_paid`, `not_cancellable`."""
    return _act(cmd, reads, cancel_document, CancelDocument(document=document, reason=body.reason if body else ""))


class StepRequest(BaseModel):
    date: Annotated[Day | None, Field(description="defaults to today")] = None


@router.post("/{document}/ship", response_model=DocumentPublic, summary="Record a planned delivery as shipped")
def ship(document: str, cmd: Cmd, reads: ReadModels, body: StepRequest | None = None) -> Response:
    """A `planned` delivery note becomes `shipped` (`DeliveryShipped`); `date` defaults to today, not before the
    issue date. 409 `delivery_not_planned`."""
    return _act(cmd, reads, ship_delivery, ShipDelivery(document=document, date=body.date if body else None))


@router.post("/{document}/deliver", response_model=DocumentPublic, summary="Record a shipped delivery as delivered")
def deliver(document: str, cmd: Cmd, reads: ReadModels, body: StepRequest | None = None) -> Response:
    """A `shipped` delivery note becomes `delivered` (`DeliveryDelivered`); `date` defaults to today, not before
    shipping. 409 `delivery_not_shipped`."""
    return _act(cmd, reads, deliver_delivery, DeliverDelivery(document=document, date=body.date if body else None))


@router.post("/{document}/dispute", response_model=DocumentPublic, summary="Put an invoice in dispute")
def dispute(document: str, body: ReasonRequest, cmd: Cmd, reads: ReadModels) -> Response:
    """An issued invoice in dispute is skipped by collection (`in_dispute`) until resolved; 409 `invoice_not_issued`."""
    return _act(cmd, reads, dispute_invoice, DisputeInvoice(document=document, reason=body.reason or "disputed"))


@router.post("/{document}/dispute/resolve", response_model=DocumentPublic, summary="Resolve an invoice's dispute")
def resolve(document: str, cmd: Cmd, reads: ReadModels) -> Response:
    """Ends the invoice's dispute; collection resumes at the next run. 409 `not_in_dispute`."""
    return _act(cmd, reads, resolve_dispute, ResolveDispute(document=document))


@router.post("/{document}/promise", response_model=DocumentPublic, summary="Record a promise to pay")
def promise(document: str, body: PromiseRequest, cmd: Cmd, reads: ReadModels) -> Response:
    """Collection waits until the promise date + the scheme's grace days; unpaid by then, the promise is broken at
    the next run and dunning resumes. 409 `promise_in_past`, `invoice_not_issued`."""
    command = PromisePayment(document=document, amount=Decimal(body.amount), date=body.date)
    return _act(cmd, reads, promise_payment, command)


@router.post("/{document}/grace", response_model=DocumentPublic, summary="Pause collection until a date")
def grace(document: str, body: GraceRequest, cmd: Cmd, reads: ReadModels) -> Response:
    """No collection level fires on the invoice while the grace date is on or after the run date."""
    return _act(cmd, reads, grant_grace, GrantGrace(document=document, until=body.until))
