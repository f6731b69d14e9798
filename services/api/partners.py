"""/v1/partners: master data, addresses, contacts, notes, attachments, merge, credit hold, and the
partner's read views (balance, profile, timeline, CSV export)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import FileResponse, Response, StreamingResponse
from pydantic import BaseModel, Field, StringConstraints

from aggregates.account import ItemKind
from aggregates.credit import CreditStatus
from aggregates.errors import conflict, not_found
from aggregates.partner_details import PartnerKind, PartnerStatus, Role
from commands.partners import (
    AddAddress,
    AddAttachment,
    AddContact,
    AddNote,
    AddressFields,
    AddressUsage,
    ChangeAddress,
    ChangeContact,
    ChangePartner,
    ContactFields,
    LiftCreditHold,
    MergePartners,
    PartnerFields,
    PlaceCreditHold,
    RegisterPartner,
    RemoveAddress,
    RemoveContact,
    Responsibility,
    add_address,
    add_attachment,
    add_contact,
    add_note,
    change_address,
    change_contact,
    change_partner,
    lift_credit_hold,
    merge_partners,
    place_credit_hold,
    register_partner,
    remove_address,
    remove_contact,
)
from commands.types import Name, Ref, Text
from projections.timeline.entries import TimelineKind
from queries.partners import PartnerFilters
from services.adapters.blobs import BlobStore, TooLarge
from services.api.as_of import AsOfParam
from services.api.deps import AnyRole, Cmd, Cont, Paging, ReadModels
from services.api.errors import ApiError
from services.api.word_lists import word_list

# A column, descending with a leading ``-``.
PartnerSort = Literal["name", "-name", "created_on", "-created_on", "code", "-code"]

router = APIRouter(prefix="/v1/partners", tags=["partners"])


# -- schemas -------------------------------------------------------------------------------------


class PartnerCreate(RegisterPartner):
    pass


class PartnerUpdate(PartnerFields):
    pass


class AddressCreate(AddressFields):
    pass


class ContactCreate(ContactFields):
    name: Name


class AddressPublic(BaseModel):
    id: UUID
    usage: list[AddressUsage]
    label: str
    street: str
    city: str
    postal_code: str
    region: str
    country: str
    is_default: bool


class AvailabilityPublic(BaseModel):
    weekday: int
    from_: str = Field(alias="from")
    to: str


class ContactPublic(BaseModel):
    id: UUID
    name: str
    title: str
    email: str | None
    mobile: str | None
    phone: str | None
    responsibilities: list[Responsibility]
    availability: list[AvailabilityPublic]
    active: bool
    portal_access: bool
    custom_fields: dict[str, Any]
    opted_out_on: date | None = Field(
        None,
        exclude_if=lambda v: v is None,
        description="the day the contact opted out of every mailing (only on a contact that did)",
    )


class AttachmentPublic(BaseModel):
    id: UUID
    filename: str
    size: int
    sha256: str
    content_type: str


class PartnerPublic(BaseModel):
    id: UUID
    code: str
    version: int
    status: PartnerStatus = Field(description="active or merged")
    merged_into: UUID | None
    name: str
    kind: PartnerKind
    roles: list[Role]
    group: str | None
    tags: list[str]
    tax_id: str | None
    email: str | None
    phone: str | None
    website: str | None
    language: str
    currency: str
    credit_limit: str = Field(examples=["10000.00"])
    credit_check: bool
    payment_terms_days: int
    sales_reps: list[str]
    collection_scheme: str | None
    dunning_grace_until: date | None
    notes_public: str
    notes_private: str
    parent: UUID | None
    custom_fields: dict[str, Any]
    addresses: list[AddressPublic]
    contacts: list[ContactPublic]
    attachments: list[AttachmentPublic]
    balance: str = Field(examples=["1230.00"])
    credit_status: CreditStatus = Field(description="no_check, ok, watch, hold or stop")
    credit_hold: str | None = Field(description="the reason of a manual credit hold")
    created_on: date


class PartnerList(BaseModel):
    items: list[PartnerPublic]
    next_cursor: str | None


class OpenItemPublic(BaseModel):
    id: str
    kind: ItemKind
    document: str | None
    number: str | None
    due_date: date | None
    amount: str
    open_amount: str


class BalancePublic(BaseModel):
    partner: UUID
    balance: str
    currency: str
    credit_limit: str
    credit_status: CreditStatus
    open_items: list[OpenItemPublic]
    unapplied_credit: str


class NoteCreate(BaseModel):
    text: Text
    visibility: Literal["public", "private"] = "private"


class NotePublic(BaseModel):
    partner: UUID
    text: str
    visibility: Literal["public", "private"]
    date: date


class MergeRequest(BaseModel):
    absorb: Annotated[list[Ref], Field(max_length=3)]


class CreditHoldCreate(BaseModel):
    reason: Annotated[str, StringConstraints(max_length=500)]


class TimelineEntry(BaseModel):
    at: datetime | None
    date: date | None
    kind: TimelineKind
    summary: str
    ref: str | None
    position: int


class Timeline(BaseModel):
    items: list[TimelineEntry]
    next_cursor: str | None


class ProfilePublic(BaseModel):
    partner: PartnerPublic
    balance: BalancePublic
    open_items: list[OpenItemPublic]
    counts: dict[str, int]
    totals: dict[str, str]
    turnover: dict[str, str]
    last_activities: list[dict[str, Any]]
    next_activities: list[dict[str, Any]]
    open_requests: list[dict[str, Any]]
    open_collection_cases: list[dict[str, Any]]
    blocked: bool = Field(description="sales stopped by a collection level")
    interest_areas: list[dict[str, Any]]
    deliveries: list[dict[str, Any]] = Field(
        default_factory=list, description="planned and shipped deliveries with their dates and addresses"
    )
    recent: list[TimelineEntry]


# -- the partner -----------------------------------------------------------------------------------


def _filters(
    request: Request,
    q: str | None,
    role: Role | None,
    group: str | None,
    tag: str | None,
    sales_rep: str | None,
    credit_status: CreditStatus | None,
    kind: PartnerKind | None,
    parent: str | None,
    sort: PartnerSort,
) -> PartnerFilters:
    custom = {k[3:]: v for k, v in request.query_params.items() if k.startswith("cf.") and len(k) > 3}
    return PartnerFilters(
        q=q,
        role=role.value if role else None,
        group=group,
        tag=tag,
        sales_rep=sales_rep,
        credit_status=credit_status,
        kind=kind.value if kind else None,
        parent=parent,
        sort=sort,
        custom_fields=custom,
    )


@router.post("", status_code=201, response_model=PartnerPublic, summary="Register a partner")
def create_partner(body: PartnerCreate, cmd: Cmd, reads: ReadModels) -> Response:
    """Without `code` one is drawn from the `partner` series at the creation date; a typed code is trimmed and
    upper-cased, and one already used (also by a merged-away partner) is 409 `code_taken`. Every reference
    (`group`, `sales_reps`, `parent`, `collection_scheme`) must exist, else 422 at its field; records
    `PartnerRegistered`."""
    command = RegisterPartner.model_validate(body.model_dump(exclude_unset=True))
    return cmd.run(register_partner, command, lambda r: reads.partners.get(str(r.id)), status=201)


@router.get("", response_model=PartnerList, summary="List and filter partners")
def list_partners(
    request: Request,
    _who: AnyRole,
    reads: ReadModels,
    paging: Paging,
    q: str | None = None,
    role: Role | None = None,
    group: str | None = None,
    tag: str | None = None,
    sales_rep: str | None = None,
    credit_status: CreditStatus | None = None,
    kind: PartnerKind | None = None,
    parent: str | None = None,
    sort: PartnerSort = "name",
) -> dict[str, Any]:
    """Active partners only (merged tombstones by id or code); `q` matches every word in name, code, e-mail, tax id
    and contact names; `cf.<code>=` matches a custom field. `sort`: `name` (default), `created_on`, `code`, `-`
    for descending."""
    filters = _filters(request, q, role, group, tag, sales_rep, credit_status, kind, parent, sort)
    return reads.partners.directory(filters, paging)


@router.get(
    "/export.csv",
    response_class=StreamingResponse,
    summary="Export the filtered partners as CSV",
    responses={200: {"content": {"text/csv": {}}}},
)
def export_partners(
    request: Request,
    _who: AnyRole,
    reads: ReadModels,
    q: str | None = None,
    role: Role | None = None,
    group: str | None = None,
    tag: str | None = None,
    sales_rep: str | None = None,
    credit_status: CreditStatus | None = None,
    kind: PartnerKind | None = None,
    parent: str | None = None,
    sort: PartnerSort = "name",
) -> StreamingResponse:
    """Streams the partners of the same filters as the list as CSV. A text cell starting with `=`, `+`, `-`, `@`, tab
    or carriage return gets a leading apostrophe (plain numbers such as `-40.00` stay numbers)."""
    filters = _filters(request, q, role, group, tag, sales_rep, credit_status, kind, parent, sort)
    rows = reads.partners.export_csv(filters)
    return StreamingResponse(
        rows,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="partners.csv"'},
    )


@router.get("/{partner}", response_model=PartnerPublic, summary="One partner, now or as it was then")
def get_partner(partner: str, _who: AnyRole, reads: ReadModels, c: Cont, as_of: AsOfParam) -> dict[str, Any]:
    """An absorbed partner's id or code answers the survivor. `as_of` (a business date or a moment) replays the
    partner from its events as it was then, with its balance and credit status then."""
    if as_of is not None:
        return reads.partners.as_of(partner, as_of, c.store.stream)
    return reads.partners.get(partner)


@router.patch("/{partner}", response_model=PartnerPublic, summary="Change a partner's master data")
def patch_partner(partner: str, body: PartnerUpdate, cmd: Cmd, reads: ReadModels) -> Response:
    """Changes only the fields sent (`PartnerDetailsChanged`); `null` clears an optional field; `roles`, `tags` and
    `sales_reps` replace the set; `custom_fields` merges (`null` removes one). A new `code` is 409
    `code_immutable`; the partner itself or a descendant as `parent` is 409 `parent_self` / `parent_cycle`."""
    command = ChangePartner(partner=partner, **body.model_dump(exclude_unset=True))
    return cmd.run(change_partner, command, lambda r: reads.partners.get(str(r.id)))


# -- addresses and contacts ----------------------------------------------------------------------


def _item(reads: Any, partner_id: Any, collection: str, item_id: Any) -> dict[str, Any]:
    partner = reads.partners.get(str(partner_id))
    return next(i for i in partner[collection] if i["id"] == str(item_id))


@router.post("/{partner}/addresses", status_code=201, response_model=AddressPublic, summary="Add an address")
def create_address(partner: str, body: AddressCreate, cmd: Cmd, reads: ReadModels) -> Response:
    """Records `AddressAdded`; `is_default` takes the default from the partner's other addresses sharing a usage."""
    command = AddAddress(partner=partner, **body.model_dump(exclude_unset=True))
    pid = reads.partners.partner_id(partner)
    return cmd.run(add_address, command, lambda r: _item(reads, pid, "addresses", r.id), status=201)


@router.patch("/{partner}/addresses/{address}", response_model=AddressPublic, summary="Change an address")
def patch_address(partner: str, address: UUID, body: AddressCreate, cmd: Cmd, reads: ReadModels) -> Response:
    """Changes the fields sent (`AddressChanged`); `is_default` takes the default from the partner's other addresses
    sharing a usage."""
    command = ChangeAddress(partner=partner, address=address, **body.model_dump(exclude_unset=True))
    pid = reads.partners.partner_id(partner)
    return cmd.run(change_address, command, lambda r: _item(reads, pid, "addresses", r.id))


@router.delete("/{partner}/addresses/{address}", status_code=204, summary="Remove an address")
def delete_address(partner: str, address: UUID, cmd: Cmd) -> Response:
    """Removes the address from the partner (`AddressRemoved`)."""
    return cmd.run(remove_address, RemoveAddress(partner=partner, address=address), lambda r: None, status=204)


@router.post("/{partner}/contacts", status_code=201, response_model=ContactPublic, summary="Add a contact")
def create_contact(partner: str, body: ContactCreate, cmd: Cmd, reads: ReadModels) -> Response:
    """The billing contact (first active one with responsibility `billing`, else the first active one) receives
    collection messages. `portal_access: true` also records `PortalAccessGranted`."""
    command = AddContact(partner=partner, **body.model_dump(exclude_unset=True, by_alias=True))
    pid = reads.partners.partner_id(partner)
    return cmd.run(add_contact, command, lambda r: _item(reads, pid, "contacts", r.id), status=201)


@router.patch("/{partner}/contacts/{contact}", response_model=ContactPublic, summary="Change a contact")
def patch_contact(partner: str, contact: UUID, body: ContactFields, cmd: Cmd, reads: ReadModels) -> Response:
    """Changes the fields sent (`ContactChanged`); setting or clearing `portal_access` records `PortalAccessGranted`
    or `PortalAccessRevoked`. An erased contact's personal data cannot be set again (409 `subject_erased`)."""
    command = ChangeContact(partner=partner, contact=contact, **body.model_dump(exclude_unset=True, by_alias=True))
    pid = reads.partners.partner_id(partner)
    return cmd.run(change_contact, command, lambda r: _item(reads, pid, "contacts", r.id))


@router.delete("/{partner}/contacts/{contact}", status_code=204, summary="Remove a contact")
def delete_contact(partner: str, contact: UUID, cmd: Cmd) -> Response:
    """Removes the contact from the partner (`ContactRemoved`)."""
    return cmd.run(remove_contact, RemoveContact(partner=partner, contact=contact), lambda r: None, status=204)


# -- notes and attachments -----------------------------------------------------------------------


@router.post("/{partner}/notes", status_code=201, response_model=NotePublic, summary="Add a public or private note")
def create_note(partner: str, body: NoteCreate, cmd: Cmd, c: Cont) -> Response:
    """Appends the text to `notes_public` or `notes_private` (newline-separated); the note appears in the timeline."""
    command = AddNote(partner=partner, text=body.text, visibility=body.visibility)  # type: ignore[arg-type]
    return cmd.run(
        add_note,
        command,
        lambda r: {"partner": r.id, "text": command.text, "visibility": command.visibility, "date": c.today()},
        status=201,
    )


ALLOWED_TYPES = {
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "text/plain",
    "text/csv",
    "application/json",
    "application/xml",
    "text/xml",
    "message/rfc822",
    "application/zip",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/octet-stream",
}


@router.post("/{partner}/attachments", status_code=201, response_model=AttachmentPublic, summary="Attach a file")
def create_attachment(
    partner: str, cmd: Cmd, c: Cont, reads: ReadModels, file: Annotated[UploadFile, File(description="at most 25 MB")]
) -> Response:
    """Multipart `file`: PDF, images, text, CSV, JSON, XML, e-mail, ZIP, office documents or
    `application/octet-stream` (else 415); above `CPTY_MAX_ATTACHMENT_BYTES` (25 MB) 413, nothing recorded. The
    content is stored by its sha256; the log records its name, size and hash."""
    content_type = (file.content_type or "application/octet-stream").split(";")[0].strip().lower()
    if content_type not in ALLOWED_TYPES:
        raise ApiError(415, "unsupported_media_type", f"files of type {content_type} are not accepted")
    pid = reads.partners.partner_id(partner)  # 404 before storing anything
    if c.store.keys.is_erased(pid):  # 409 before storing a file the erasure would have to delete
        raise conflict("subject_erased", f"the personal data of {pid} was erased")
    try:
        sha, size = BlobStore(c.settings.blob_dir).put_stream(file.file, c.settings.max_attachment_bytes)
    except TooLarge:
        raise ApiError(
            413, "payload_too_large", f"attachments are at most {c.settings.max_attachment_bytes} bytes"
        ) from None
    filename = (file.filename or "file").replace("/", "_").replace("\\", "_").replace("\x00", "")[:255] or "file"
    command = AddAttachment(partner=partner, filename=filename, size=size, sha256=sha, content_type=content_type)
    return cmd.run(add_attachment, command, lambda r: _item(reads, pid, "attachments", r.id), status=201)


@router.get("/{partner}/attachments/{attachment}", response_class=FileResponse, summary="Download an attachment")
def download_attachment(partner: str, attachment: UUID, _who: AnyRole, reads: ReadModels, c: Cont) -> FileResponse:
    """Answers the stored file with its content type and file name; 404 when the attachment is unknown, and when its
    partner, a person, was erased (its files were deleted)."""
    owner = reads.partners.get(partner)
    found = [a for a in owner["attachments"] if a["id"] == str(attachment)]
    if not found:
        raise not_found("attachment", attachment)
    a = found[0]
    blobs = BlobStore(c.settings.blob_dir)
    if c.store.keys.is_erased(owner["id"]) or not blobs.exists(a["sha256"]):
        raise not_found("attachment content", attachment)
    return FileResponse(blobs.path(a["sha256"]), media_type=a["content_type"], filename=a["filename"])


# -- merge and credit ------------------------------------------------------------------------------


@router.post("/{partner}/merge", response_model=PartnerPublic, summary="Absorb up to three partners into this one")
def merge(partner: str, body: MergeRequest, cmd: Cmd, reads: ReadModels) -> Response:
    """The survivor keeps its non-empty fields and fills blanks from the absorbed ones; roles OR-ed, tags and reps
    united; contacts, addresses, documents, payments, cases, balances and the rest move to it; the absorbed become
    tombstones (`status: merged`). 409 `merge_self` (into itself), `merge_related` (its own parent or child)."""
    command = MergePartners(partner=partner, absorb=body.absorb)
    return cmd.run(merge_partners, command, lambda r: reads.partners.get(str(r.id)))


@router.post("/{partner}/credit-hold", response_model=BalancePublic, summary="Stop sales to the partner by hand")
def place_hold(partner: str, body: CreditHoldCreate, cmd: Cmd, reads: ReadModels) -> Response:
    """Sets the credit status to `stop` until the hold is lifted; confirming orders is then refused (409
    `credit_stop`)."""
    command = PlaceCreditHold(partner=partner, reason=body.reason)
    return cmd.run(place_credit_hold, command, lambda r: reads.partners.balance(str(r.id)))


@router.delete("/{partner}/credit-hold", response_model=BalancePublic, summary="Lift the manual credit hold")
def lift_hold(partner: str, cmd: Cmd, reads: ReadModels) -> Response:
    """Lifts the manual stop (nothing is recorded without one); a stop set by a collection level stays until its
    cases close."""
    return cmd.run(lift_credit_hold, LiftCreditHold(partner=partner), lambda r: reads.partners.balance(str(r.id)))


@router.get("/{partner}/balance", response_model=BalancePublic, summary="Balance, open items and credit status")
def balance(partner: str, _who: AnyRole, reads: ReadModels, c: Cont, as_of: AsOfParam) -> dict[str, Any]:
    """Balance = open receivables (issued invoices, fees, interest) minus unapplied payments and credits;
    `credit_status` is `no_check`, `ok`, `watch`, `hold` or `stop`. `as_of` answers it as it was then."""
    return reads.partners.balance(partner, as_of, c.store.stream)


@router.get("/{partner}/profile", response_model=ProfilePublic, summary="The 360° view of a partner")
def profile(partner: str, _who: AnyRole, reads: ReadModels, c: Cont) -> dict[str, Any]:
    """Master data, balance and open items, document counts and totals, turnover this year and last, last and next
    activities, open requests and collection cases, interest areas and the ten newest timeline entries."""
    return reads.partners.profile(partner, c.today(), c.clock.now())


@router.get("/{partner}/timeline", response_model=Timeline, summary="Every recorded fact about the partner, in order")
def timeline(
    partner: str,
    _who: AnyRole,
    reads: ReadModels,
    paging: Paging,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: date | None = None,
    kind: Annotated[str | None, word_list(TimelineKind)] = None,
) -> dict[str, Any]:
    """Every recorded fact in order (`at` on the business clock, `date` the business date); `from`/`to` filter on the
    business date, `kind` takes a comma-separated list. An absorbed partner's history is part of the survivor's."""
    return reads.partners.timeline(partner, from_, to, kind, paging)
