"""/v1/portal: clerks issue and revoke portal tokens; a customer's contact, with a token, reads the
partner's own profile, balance, documents and payments, accepts quotes, and files requests.

Every customer route is scoped to the token's partner: anything else answers 404, exactly like an
unknown id, so a customer learns nothing about other partners. The page at /portal/ (static files
in services/portal/) uses these routes."""

from __future__ import annotations

import secrets
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, FastAPI
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field

from aggregates.partner_details import PartnerKind
from aggregates.portal_token import PortalToken
from aggregates.request import Priority, RequestStatus, Source, Visibility
from aggregates.sales_document_values import DocType
from commands.balance_confirmations import ReplyToConfirmation, reply_to_confirmation
from commands.documents import AcceptQuote, accept_quote
from commands.portal import (
    IssuePortalToken,
    OpenPortalRequest,
    RevokePortalToken,
    issue_portal_token,
    open_portal_request,
    revoke_portal_token,
)
from commands.requests import CommentOnRequest, CommentText, Subject, comment_on_request
from commands.types import Code, Ref, Text
from queries.portal import PortalAccess
from services.api.balance_confirmations import (
    BalanceConfirmationList,
    BalanceConfirmationPublic,
    ConfirmationStatus,
    ReplyCreate,
)
from services.api.deps import Cmd, Cont, Paging, PortalCmd, PortalUser, Principal, ReadModels, Writer, hash_key
from services.api.documents import DocumentStatus, PromisePublic, pdf_response
from services.api.partners import AddressPublic, BalancePublic
from services.api.payments import PaymentList
from services.api.word_lists import word_list

router = APIRouter(prefix="/v1/portal", tags=["portal"])
PAGE = Path(__file__).resolve().parent.parent / "portal"


def new_token() -> str:
    return "portal_" + secrets.token_urlsafe(32)


def mount_page(app: FastAPI) -> None:
    """The customer's page: static HTML, CSS and JavaScript that call the routes below."""
    app.mount("/portal", StaticFiles(directory=PAGE, html=True), name="portal")


def access(who: Principal) -> PortalAccess:
    assert who.portal is not None  # the role ``portal`` is only ever given with its access
    return who.portal


# -- tokens (staff) ------------------------------------------------------------------------------


class PortalTokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    partner: Ref
    contact: UUID


class PortalTokenIssuedPublic(BaseModel):
    token: str
    id: UUID
    partner: UUID
    contact: UUID


class PortalTokenPublic(BaseModel):
    id: UUID
    partner: UUID
    contact: UUID
    issued_on: date
    revoked_on: date | None


class PortalTokenList(BaseModel):
    items: list[PortalTokenPublic]
    next_cursor: str | None


@router.post(
    "/tokens", status_code=201, response_model=PortalTokenIssuedPublic, summary="Issue a portal token (shown once)"
)
def create_token(body: PortalTokenCreate, cmd: Cmd, reads: ReadModels) -> Response:
    """The contact must be one of the partner's (else 422) and active (409 ``contact_inactive``). Issuing the
    token is the grant; the secret ``portal_…`` is answered once and only its SHA-256 is stored. A contact may
    hold several tokens (one per device)."""
    secret = new_token()
    command = IssuePortalToken(partner=body.partner, contact=body.contact, token_hash=hash_key(secret))

    def respond(result: Any) -> dict[str, Any]:
        partner = reads.partners.partner_id(body.partner)
        return {"token": secret, "id": result.id, "partner": partner, "contact": body.contact}

    return cmd.run(issue_portal_token, command, respond, status=201)


@router.get("/tokens", response_model=PortalTokenList, summary="Portal tokens (never the secrets)")
def list_tokens(_who: Writer, reads: ReadModels, paging: Paging, partner: str | None = None) -> dict[str, Any]:
    """Newest first; ``partner`` (id or code) includes the partners merged into it."""
    partners = reads.partners.merged_ids(reads.partners.partner_id(partner)) if partner else None
    return reads.portal.tokens(paging, partners)


@router.delete("/tokens/{token}", status_code=204, summary="Revoke a portal token (the token itself or its id)")
def revoke_token(token: str, cmd: Cmd) -> Response:
    """Takes the token itself or its id and answers 204, also when it was revoked already (an unknown one is
    404). The token answers 401 from then on."""
    try:
        token_id = UUID(token)
    except ValueError:
        token_id = PortalToken.id_for(hash_key(token))
    return cmd.run(revoke_portal_token, RevokePortalToken(token=token_id), lambda r: None, status=204)


# -- the customer's own data ---------------------------------------------------------------------


class PortalPartner(BaseModel):
    id: UUID
    code: str
    name: str
    kind: PartnerKind
    tax_id: str | None
    email: str | None
    phone: str | None
    website: str | None
    language: str
    currency: str
    payment_terms_days: int
    notes_public: str
    addresses: list[AddressPublic]


class PortalContact(BaseModel):
    id: UUID
    name: str
    title: str
    email: str | None
    mobile: str | None
    phone: str | None


class PortalProfile(BaseModel):
    partner: PortalPartner
    contact: PortalContact
    balance: BalancePublic
    counts: dict[str, int]


class PortalLine(BaseModel):
    line_id: UUID
    product: str
    description: str
    quantity: str
    unit_price: str
    discount_percent: str
    tax_rate: str
    net: str
    tax: str


class PortalDocument(BaseModel):
    id: UUID
    number: str
    type: DocType
    status: DocumentStatus
    version: int
    issue_date: date | None
    due_date: date | None
    valid_until: date | None
    currency: str
    notes_public: str
    lines: list[PortalLine]
    net: str
    tax: str
    total: str
    open_amount: str | None
    in_dispute: bool | None
    promise: PromisePublic | None
    pdf: str


class PortalDocumentList(BaseModel):
    items: list[PortalDocument]
    next_cursor: str | None


class PortalDeliveryLine(BaseModel):
    product: str
    description: str
    quantity: str


class PortalDelivery(BaseModel):
    id: UUID
    number: str
    status: DocumentStatus
    issue_date: date | None
    planned_date: date | None
    shipped_date: date | None
    delivered_date: date | None
    address: dict[str, Any] | None
    lines: list[PortalDeliveryLine]
    pdf: str


class PortalDeliveryList(BaseModel):
    items: list[PortalDelivery]
    next_cursor: str | None


@router.get("/profile", response_model=PortalProfile, summary="The customer's partner, contact, balance and counts")
def profile(who: PortalUser, reads: ReadModels, c: Cont) -> dict[str, Any]:
    """The token's partner (no private notes, credit settings, sales reps or custom fields), its contact, the
    balance with the open items and the counts of issued documents per type."""
    return reads.portal.profile(access(who), c.today())


@router.get("/balance", response_model=BalancePublic, summary="The customer's balance and open items")
def balance(who: PortalUser, reads: ReadModels) -> dict[str, Any]:
    """What ``GET /v1/partners/{partner}/balance`` answers for the token's partner."""
    return reads.partners.balance(access(who).partner)


@router.get("/documents", response_model=PortalDocumentList, summary="The customer's issued documents")
def list_documents(
    who: PortalUser,
    reads: ReadModels,
    paging: Paging,
    type: DocType | None = None,
    status: Annotated[str | None, word_list(DocumentStatus)] = None,
) -> dict[str, Any]:
    """Every issued document (quotes, orders, pro-formas, invoices and credit notes), newest first; drafts
    never. ``type`` and ``status`` filter. No costs, sales rep, campaign or custom fields."""
    return reads.portal.document_list(access(who), paging, type.value if type else None, status)


@router.get("/deliveries", response_model=PortalDeliveryList, summary="The customer's deliveries, newest first")
def list_deliveries(who: PortalUser, reads: ReadModels, paging: Paging) -> dict[str, Any]:
    """The partner's numbered delivery notes, newest first, with the address the goods go to, the lines
    (no prices) and the PDF's URL."""
    return reads.portal.delivery_list(access(who), paging)


@router.get("/documents/{document}", response_model=PortalDocument, summary="One of the customer's documents")
def get_document(document: str, who: PortalUser, reads: ReadModels) -> dict[str, Any]:
    """By id or number. Another partner's document, or a draft, is 404 like an unknown one."""
    return reads.portal.document(access(who), document)


@router.get(
    "/documents/{document}/pdf",
    response_class=Response,
    summary="One of the customer's documents as PDF",
    responses={200: {"content": {"application/pdf": {}}}},
)
def get_pdf(document: str, who: PortalUser, reads: ReadModels, c: Cont) -> Response:
    """The same rendering as the staff route. Another partner's document, or a draft, is 404."""
    return pdf_response(reads.portal.own_document(access(who), document), reads, c)


@router.post("/documents/{document}/accept", response_model=PortalDocument, summary="Accept a quote")
def accept(document: str, who: PortalUser, cmd: PortalCmd, reads: ReadModels) -> Response:
    """Accepts a sent quote dated today with the rules of ``POST /v1/documents/{document}/accept`` (409
    ``quote_not_open``, ``quote_expired``, ``wrong_document_type``), recorded as ``portal:<contact>``.
    Another partner's document is 404."""
    doc = reads.portal.own_document(access(who), document)
    return cmd.run(
        accept_quote, AcceptQuote(document=doc["id"]), lambda r: reads.portal.document(access(who), doc["id"])
    )


@router.get("/payments", response_model=PaymentList, summary="The customer's payments")
def payments(who: PortalUser, reads: ReadModels, paging: Paging) -> dict[str, Any]:
    """The payments of the token's partner (and of the partners merged into it), as ``GET /v1/payments``
    shows them."""
    return reads.receivables.payments(paging, access(who).partners)


class PortalRequestCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: Subject
    description: Text = ""
    priority: Priority = Priority.MEDIUM
    type: Code | None = Field(None, description="a request type's code; the default type when null")
    document: Ref | None = Field(None, description="one of the customer's documents (id or number)")


class PortalCommentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: CommentText


class PortalComment(BaseModel):
    at: datetime
    author: str
    text: str


class PortalHistoryEntry(BaseModel):
    at: datetime | None
    field: str
    old: str | None
    new: str | None


class PortalRequest(BaseModel):
    id: UUID
    number: str
    type: str
    subject: str
    description: str
    status: RequestStatus
    priority: Priority
    document: UUID | None
    created_at: datetime
    closed_at: datetime | None
    resolution: str | None


class PortalRequestDetail(PortalRequest):
    comments: list[PortalComment]
    history: list[PortalHistoryEntry]


class PortalRequestList(BaseModel):
    items: list[PortalRequest]
    next_cursor: str | None


@router.get("/requests", response_model=PortalRequestList, summary="The customer's requests, newest first")
def list_requests(
    who: PortalUser,
    reads: ReadModels,
    paging: Paging,
    c: Cont,
    status: Annotated[str | None, word_list(RequestStatus)] = None,
) -> dict[str, Any]:
    """The partner's requests except confidential ones, newest first; ``status`` filters."""
    return reads.portal.request_list(access(who), paging, c.clock.now(), status)


@router.get(
    "/requests/{request}",
    response_model=PortalRequestDetail,
    summary="One of the customer's requests (public comments)",
)
def get_request(request: str, who: PortalUser, reads: ReadModels, c: Cont) -> dict[str, Any]:
    """By id or number, with the public comments only and the status and resolution history. Another
    partner's request, or a confidential one, is 404."""
    return reads.portal.request(access(who), request, c.clock.now())


@router.post("/requests", status_code=201, response_model=PortalRequestDetail, summary="File a request")
def create_request(body: PortalRequestCreate, who: PortalUser, cmd: PortalCmd, reads: ReadModels, c: Cont) -> Response:
    """Opened for the token's partner and contact, ``public``, ``source: portal``; numbered, routed and
    acknowledged by e-mail like any request. Without ``type`` it gets the default request type (none
    defined: 409 ``no_request_type``); ``document`` must be one of the customer's (else 404)."""
    me = access(who)
    document = reads.portal.own_document(me, body.document)["id"] if body.document else None
    command = OpenPortalRequest(
        partner=UUID(me.partner),
        contact=UUID(me.contact),
        type=body.type,
        subject=body.subject,
        description=body.description,
        priority=body.priority,
        document=document,
    )
    return cmd.run(open_portal_request, command, lambda r: reads.portal.request(me, str(r.id), c.clock.now()), 201)


@router.post(
    "/requests/{request}/comments",
    status_code=201,
    response_model=PortalRequestDetail,
    summary="Comment on one of the customer's requests (always public)",
)
def comment(
    request: str, body: PortalCommentCreate, who: PortalUser, cmd: PortalCmd, reads: ReadModels, c: Cont
) -> Response:
    """Always public (a ``visibility`` field is a 422), authored by the contact's name, source ``portal``,
    not mailed back; it reopens a closed request. A ``final`` request is 409 ``request_final``."""
    me = access(who)
    found = reads.portal.request(me, request, c.clock.now())
    command = CommentOnRequest(
        request=str(found["id"]),
        text=body.text,
        visibility=Visibility.PUBLIC,
        author=me.contact_name,
        author_contact=UUID(me.contact),
        source=Source.PORTAL,
    )
    return cmd.run(comment_on_request, command, lambda r: reads.portal.request(me, str(r.id), c.clock.now()), 201)


@router.get(
    "/balance-confirmations",
    response_model=BalanceConfirmationList,
    summary="The customer's balance confirmations, newest first",
)
def list_balance_confirmations(
    who: PortalUser, reads: ReadModels, paging: Paging, status: ConfirmationStatus | None = None
) -> dict[str, Any]:
    """The partner's confirmations, newest first; ``status`` filters."""
    return reads.balance_confirmations.list(paging, status=status, partner_id=access(who).partner)


@router.post(
    "/balance-confirmations/{confirmation}/reply",
    response_model=BalanceConfirmationPublic,
    summary="Confirm or dispute one of the customer's balance confirmations (once)",
)
def reply_to_balance_confirmation(
    confirmation: UUID, body: ReplyCreate, who: PortalUser, cmd: PortalCmd, reads: ReadModels
) -> Response:
    """``confirmed`` or ``disputed`` with a comment, recorded with ``answered_by: portal``. One answer only:
    a second is 409 ``already_answered``. Another partner's confirmation is 404."""
    me = access(who)
    command = ReplyToConfirmation.model_validate(
        {"confirmation": confirmation, "portal_partner": me.partner, **body.model_dump()}
    )
    return cmd.run(reply_to_confirmation, command, lambda r: reads.balance_confirmations.get(str(r.id), me.partner))
