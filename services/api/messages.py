"""/v1/templates and /v1/messages: message templates, every outgoing message, and letters' PDFs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field, StringConstraints

from aggregates.errors import not_found
from aggregates.message import MessageStatus
from aggregates.template import Channel, Purpose
from commands.messages import (
    ChangeTemplate,
    CreateTemplate,
    Language,
    SendMessage,
    TemplateFields,
    change_template,
    create_template,
    send_message,
)
from commands.types import Ref
from services.api.deps import AnyRole, Cmd, Cont, Paging, ReadModels
from services.api.word_lists import word_list

router = APIRouter(prefix="/v1", tags=["messages"])


# -- templates -------------------------------------------------------------------------------------


class TemplateCreate(CreateTemplate):
    pass


class TemplateUpdate(TemplateFields):
    pass


class TemplatePublic(BaseModel):
    code: str
    channel: Channel
    purpose: Purpose
    language: str
    subject: str
    body: str
    is_default: bool
    version: int = Field(description="counts the template's revisions; a message names the one it was rendered from")
    created_at: datetime | None
    updated_at: datetime | None


class TemplateList(BaseModel):
    items: list[TemplatePublic]
    next_cursor: str | None


@router.post("/templates", status_code=201, response_model=TemplatePublic, summary="Create a message template")
def create(body: TemplateCreate, cmd: Cmd, reads: ReadModels) -> Response:
    """A Jinja2 template rendered in a sandbox; one that does not compile, or always goes over a rendering bound, is
    422. An e-mail needs a subject. `is_default` takes the default of its channel, purpose and language. 409
    `template_exists`."""
    command = CreateTemplate.model_validate(body.model_dump(exclude_unset=True))
    return cmd.run(create_template, command, lambda r: reads.messages.template(command.code), status=201)


@router.get("/templates", response_model=TemplateList, summary="List message templates")
def list_templates(
    _who: AnyRole,
    reads: ReadModels,
    paging: Paging,
    channel: Channel | None = None,
    purpose: Purpose | None = None,
    language: str | None = None,
    is_default: bool | None = None,
) -> dict[str, Any]:
    """By code; filter by `channel`, `purpose`, `language`, `is_default`."""
    return reads.messages.templates(
        paging, channel.value if channel else None, purpose.value if purpose else None, language, is_default
    )


@router.get("/templates/{code}", response_model=TemplatePublic, summary="One message template")
def get_template(code: str, _who: AnyRole, reads: ReadModels) -> dict[str, Any]:
    """The template with its `version` (its revisions)."""
    return reads.messages.template(code)


@router.patch("/templates/{code}", response_model=TemplatePublic, summary="Change a message template")
def patch_template(code: str, body: TemplateUpdate, cmd: Cmd, reads: ReadModels) -> Response:
    """Changes the fields sent; a content change is a new `version`. The same compile and bound checks as on create
    (422); `is_default: false` leaves its key without a default."""
    command = ChangeTemplate.model_validate({**body.model_dump(exclude_unset=True), "code": code})
    return cmd.run(change_template, command, lambda r: reads.messages.template(code))


# -- messages --------------------------------------------------------------------------------------


class MessageCreate(BaseModel):
    """A message to one partner, rendered from a template (the default one when none is named)."""

    model_config = {"extra": "forbid"}

    channel: Channel
    purpose: Purpose = Purpose.GENERAL
    partner: Ref = Field(description="id or code")
    contact: UUID | None = None
    to: Annotated[str, StringConstraints(max_length=1000)] | None = None
    template: Ref | None = None
    language: Language = "en"
    variables: Annotated[dict[str, Any], Field(max_length=100)] = Field(default_factory=dict)
    documents: Annotated[list[UUID], Field(max_length=50)] = Field(default_factory=list)
    attach_letter: Ref | None = None


class MessagePublic(BaseModel):
    id: UUID
    channel: Channel
    purpose: Purpose
    partner: UUID
    contact: UUID | None
    to: str
    language: str
    template: str | None
    template_version: int | None
    subject: str
    body: str = Field(description="the exact text rendered (for a letter, its HTML)")
    documents: list[UUID]
    cases: list[UUID]
    request: UUID | None
    campaign: str | None
    attach_letter: str | None
    fallback_from: Channel | None = Field(description="email: a letter sent for want of an e-mail address")
    status: MessageStatus = Field(description="queued | sending | sent | failed | read | bounced")
    attempts: int
    last_error: str | None
    queued_at: datetime
    next_attempt_at: datetime | None
    sent_at: datetime | None
    read_at: datetime | None
    pdf: str | None = Field(description="where the PDF of a letter (or of an attached letter) is, once rendered")
    version: int


class MessageList(BaseModel):
    items: list[MessagePublic]
    next_cursor: str | None


@router.post("/messages", status_code=201, response_model=MessagePublic, summary="Queue a message to a partner")
def create_message(body: MessageCreate, cmd: Cmd, reads: ReadModels) -> Response:
    """Renders the template (the channel's default for purpose and language if none is named) and queues the message;
    the sender delivers it with retries. 409 `template_missing`, `template_render_failed`,
    `template_channel_mismatch`, `no_email`, `no_mobile`, `subject_erased`."""
    command = SendMessage.model_validate(body.model_dump())
    return cmd.run(send_message, command, lambda r: reads.messages.get(str(r.id)), status=201)


@router.get("/messages", response_model=MessageList, summary="List messages")
def list_messages(
    _who: AnyRole,
    reads: ReadModels,
    paging: Paging,
    partner: str | None = None,
    channel: Annotated[str | None, word_list(Channel)] = None,
    purpose: Annotated[str | None, word_list(Purpose)] = None,
    case: UUID | None = None,
    request: UUID | None = None,
    campaign: str | None = None,
    status: Annotated[str | None, word_list(MessageStatus)] = None,
) -> dict[str, Any]:
    """Newest first; `channel`, `purpose` and `status` take comma-separated lists; `partner` includes partners merged
    into it."""
    partners = reads.partners.merged_ids(reads.partners.partner_id(partner)) if partner else None
    return reads.messages.search(
        paging,
        partners,
        channel,
        purpose,
        str(case) if case else None,
        str(request) if request else None,
        campaign,
        status,
    )


@router.get("/messages/{message}", response_model=MessagePublic, summary="One message")
def get_message(message: str, _who: AnyRole, reads: ReadModels) -> dict[str, Any]:
    """The exact text rendered, its status, attempts and last error."""
    return reads.messages.get(message)


@router.get(
    "/messages/{message}/pdf",
    response_class=Response,
    summary="The PDF of a letter, or of the letter attached to an e-mail",
    responses={200: {"content": {"application/pdf": {}}}, 404: {"description": "no PDF (yet)"}},
)
def get_message_pdf(message: str, _who: AnyRole, reads: ReadModels, c: Cont) -> Response:
    """404 until the letter has been rendered by the sender. Once the recipient's personal data is erased, the
    letter is rendered anew with its recipient and text `"[erased]"` (its stored PDF was deleted)."""
    pdf = c.letters.pdf(UUID(reads.messages.row(message)["id"]))
    if pdf is None:
        raise not_found("PDF of message", message)
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{message}.pdf"'}
    )
