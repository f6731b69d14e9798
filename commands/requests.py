"""Request commands: request types and routing rules; opening a request (numbered from the
``request`` series, priority raised by the partner group's boost, routed, its service level fixed);
comments, assignment and status; and what the requests process manager issues: the
acknowledgement, the e-mail of a public comment to the contact, and the service-level check with
its overdue alerts and escalation.

Messages get ids derived from what they are for (the request's acknowledgement, its alert of one
day), so a repeated reaction queues nothing new."""

from __future__ import annotations

import re
from datetime import datetime, tzinfo
from typing import Annotated, Any
from uuid import UUID, uuid4

from pydantic import Field, StringConstraints

from aggregates.base import Aggregate, natural_id
from aggregates.custom_field import FieldEntity
from aggregates.errors import DomainError, Invalid, not_found
from aggregates.message import Message
from aggregates.partner import Partner
from aggregates.partner_group import PartnerGroup
from aggregates.request import (
    Confidentiality,
    Priority,
    Request,
    RequestDetails,
    RequestStatus,
    Source,
    Visibility,
)
from aggregates.request_routing import ROUTING_ID, Routing
from aggregates.template import Channel, Purpose
from aggregates.user import User
from commands.context import CommandContext, Result
from commands.documents import load_document
from commands.messages import MessageText, QueueMessage, compose_message, default_template
from commands.numbering import claim_owner, draw_unique
from commands.partners import custom_field_values, load_partner, parse_uuid
from commands.references import named_by, require_user
from commands.request_types import load_request_type, service_level
from commands.types import Code, CustomFields, ShortText, Strict, Text, Username

REQUEST_NUMBERS = "request"
Subject = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
CommentText = Annotated[str, StringConstraints(min_length=1, max_length=20000)]
Resolution = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
# A request number in brackets in an e-mail subject: "Re: [REQ-00001] Broken shelf".
TAG = re.compile(r"\[([^\[\]\s]{1,60})\]")

ACKNOWLEDGEMENT = MessageText(
    subject="{{ request.subject }}",
    body=(
        "Dear {{ contact.name if contact else partner.name }},\n\n"
        "thank you for your message. We have registered it as request {{ request.number }} "
        "and will get back to you by {{ request.due_date }}.\n\n"
        "Please keep {{ request.tag }} in the subject when you reply.\n"
    ),
)
COMMENT_MAIL = MessageText(
    subject="{{ request.subject }}",
    body=(
        "Dear {{ contact.name if contact else partner.name }},\n\n"
        "there is news on your request {{ request.number }}:\n\n{{ comment.text }}\n\n"
        "Please keep {{ request.tag }} in the subject when you reply.\n"
    ),
)
OVERDUE_ALERT = MessageText(
    subject="Overdue: {{ request.subject }}",
    body=(
        "Request {{ request.number }} of {{ partner.name }} ({{ request.type }}, priority "
        "{{ request.priority }}) was due at {{ request.due_at }} and is overdue.\n\n{{ request.description }}\n"
    ),
)
ESCALATION = MessageText(
    subject="Escalated to you: {{ request.subject }}",
    body=(
        "Request {{ request.number }} of {{ partner.name }} ({{ request.type }}, priority "
        "{{ request.priority }}) was due at {{ request.due_at }} and has been escalated to you"
        "{{ ' from ' + request.previous_assignee if request.previous_assignee else '' }}.\n\n"
        "{{ request.description }}\n"
    ),
)


def load_request(ctx: CommandContext, ref: str) -> Request:
    """A request by id or by its number."""
    request_id = parse_uuid(ref) or claim_owner(ctx, REQUEST_NUMBERS, ref.strip())
    request = ctx.find(Request, request_id) if request_id else None
    if request is None:
        raise not_found("request", ref)
    return request


def load_request_for_update(ctx: CommandContext, ref: str) -> Request:
    return ctx.load_for_update(Request, load_request(ctx, ref).id)


# -- opening a request -----------------------------------------------------------------------------


class RequestFields(Strict):
    """What a client sends to open a request."""

    type: Code
    partner: ShortText
    contact: UUID | None = None
    subject: Subject
    description: Text = ""
    priority: Priority = Priority.MEDIUM
    document: ShortText | None = None
    confidentiality: Confidentiality = Confidentiality.PUBLIC
    custom_fields: CustomFields = Field(default_factory=dict)


class OpenRequest(RequestFields):
    # Where it came from: the API (a clerk), the portal or an e-mail; never from a request body.
    source: Source = Source.API


def open_request(cmd: OpenRequest, ctx: CommandContext) -> Result:
    touched = start_request(ctx, cmd)
    return Result(ctx.save(*touched), touched[0].id)


def start_request(ctx: CommandContext, cmd: OpenRequest) -> list[Aggregate]:
    """The new request (first) and everything it touched, unsaved, for a handler that saves them
    with its own aggregates in one transaction."""
    request_type = load_request_type(ctx, cmd.type, ["body", "type"])
    with named_by("body", "partner"):
        partner = load_partner(ctx, cmd.partner)
    if cmd.contact is not None and cmd.contact not in partner.contacts:
        raise Invalid(["body", "contact"], "the contact is not one of the partner's")
    document = None
    if cmd.document is not None:
        with named_by("body", "document"):
            document = load_document(ctx, cmd.document)
        if load_partner(ctx, str(document.terms.partner)).id != partner.id:
            raise Invalid(["body", "document"], "the document is not the partner's")
    details = RequestDetails(
        type=request_type.code,
        partner=partner.id,
        contact=cmd.contact,
        subject=cmd.subject,
        description=cmd.description,
        requested_priority=cmd.priority,
        document=document.id if document else None,
        confidentiality=cmd.confidentiality,
        custom_fields=custom_field_values(ctx, FieldEntity.REQUEST, cmd.custom_fields, ["body", "custom_fields"]),
        source=cmd.source,
    )
    request_id = uuid4()
    number, claimed = draw_unique(ctx, "request", ctx.today, REQUEST_NUMBERS, request_id)
    request = ctx.track(
        Request.open(
            request_id,
            number,
            details,
            _priority_boost(ctx, partner),
            ctx.now,
            service_level(request_type.definition, ctx.now, ctx.zone),
        )
    )
    routing = ctx.find(Routing, ROUTING_ID)
    routed = routing.route(request_type.code, f"{cmd.subject}\n{cmd.description}") if routing else None
    assignee = routed or request_type.definition.assign_to
    if assignee is not None:
        request.assign(assignee, reason="routing")
    return [request, *claimed, *apply_service_level(ctx, request, ctx.now)]


def _priority_boost(ctx: CommandContext, partner: Partner) -> int:
    group = partner.details.group
    found = ctx.find(PartnerGroup, PartnerGroup.id_for(group)) if group else None
    return found.settings.request_priority_boost if found else 0


# -- comments, assignment, status ------------------------------------------------------------------


class CommentOnRequest(Strict):
    request: str
    text: CommentText
    visibility: Visibility = Visibility.PUBLIC
    # Who wrote it (the API key's name when None); the portal gives the contact, e-mail the sender.
    author: ShortText | None = None
    # The contact whose name ``author`` is (the portal's): the author is its personal data.
    author_contact: UUID | None = None
    source: Source = Source.API


def comment_on_request(cmd: CommentOnRequest, ctx: CommandContext) -> Result:
    request = load_request_for_update(ctx, cmd.request)
    author_of = (request.details.partner if cmd.author_contact else None, cmd.author_contact)
    add_comment(ctx, request, cmd.text, cmd.visibility, cmd.author or ctx.actor, cmd.source, author_of)
    return Result(ctx.save(request), request.id)


def add_comment(
    ctx: CommandContext,
    request: Request,
    text: str,
    visibility: Visibility,
    author: str,
    source: Source,
    author_of: tuple[UUID | None, UUID | None] = (None, None),
) -> None:
    """Adds the comment; the customer's own comment (portal, e-mail) reopens a closed request.
    ``author_of``: the partner and contact whose personal data the author is."""
    if source is not Source.API and visibility is Visibility.INTERNAL:
        raise Invalid(["body", "visibility"], "a customer's comment is public")
    request.comment(uuid4(), author, text, visibility, source, ctx.now, author_of)
    if source is not Source.API and request.status is RequestStatus.CLOSED:
        request.change_status(RequestStatus.OPEN, None, ctx.now)
        apply_service_level(ctx, request, ctx.now)


class AssignRequest(Strict):
    request: str
    to: Username | None


def assign_request(cmd: AssignRequest, ctx: CommandContext) -> Result:
    request = load_request_for_update(ctx, cmd.request)
    if cmd.to is not None:
        require_user(ctx, cmd.to, ["body", "to"])
    request.assign(cmd.to)
    return Result(ctx.save(request), request.id)


class ChangeRequestStatus(Strict):
    request: str
    status: RequestStatus
    resolution: Resolution | None = None


def change_request_status(cmd: ChangeRequestStatus, ctx: CommandContext) -> Result:
    request = load_request_for_update(ctx, cmd.request)
    request.change_status(cmd.status, cmd.resolution, ctx.now)
    touched: list[Aggregate] = [request, *apply_service_level(ctx, request, ctx.now)]
    return Result(ctx.save(*touched), request.id)


# -- what the requests process manager issues -------------------------------------------------------


def request_values(request: Request, zone: tzinfo, **extra: Any) -> dict[str, Any]:
    """What a request message's template sees as ``request``."""
    due_at = request.service_level.due_at.astimezone(zone)
    return {
        "id": str(request.id),
        "number": request.number,
        "tag": f"[{request.number}]",
        "type": request.details.type,
        "subject": request.details.subject,
        "description": request.details.description,
        "priority": request.priority.value,
        "status": request.status.value,
        "assignee": request.assignee,
        "due_at": due_at.strftime("%Y-%m-%d %H:%M %Z"),
        "due_date": due_at.date().isoformat(),
        **extra,
    }


def _language(ctx: CommandContext, request: Request) -> str:
    return load_partner(ctx, str(request.details.partner)).details.language or "en"


class AcknowledgeRequest(Strict):
    request: UUID


def acknowledge_request(cmd: AcknowledgeRequest, ctx: CommandContext) -> Result:
    """E-mails the contact (else the partner) that the request is registered, its number in the
    subject: the default e-mail template of purpose ``request`` when there is one, else a
    built-in text."""
    request = load_request(ctx, str(cmd.request))
    language = _language(ctx, request)
    template = default_template(ctx, Channel.EMAIL, Purpose.REQUEST, language)
    message = compose_message(
        QueueMessage(
            id=natural_id("request-acknowledgement", request.id),
            channel=Channel.EMAIL,
            purpose=Purpose.REQUEST,
            partner=request.details.partner,
            contact=request.details.contact,
            template=template,
            text=None if template else ACKNOWLEDGEMENT,
            language=language,
            variables={"request": request_values(request, ctx.zone)},
            request=request.id,
            subject_tag=f"[{request.number}]",
        ),
        ctx,
    )
    return Result(ctx.save(message), message.id)


class MailComment(Strict):
    request: UUID
    comment: UUID
    text: str


def mail_comment(cmd: MailComment, ctx: CommandContext) -> Result:
    """E-mails a clerk's public comment to the request's contact (else the partner)."""
    request = load_request(ctx, str(cmd.request))
    message = compose_message(
        QueueMessage(
            id=natural_id("request-comment", request.id, cmd.comment),
            channel=Channel.EMAIL,
            purpose=Purpose.REQUEST,
            partner=request.details.partner,
            contact=request.details.contact,
            text=COMMENT_MAIL,
            language=_language(ctx, request),
            variables={"request": request_values(request, ctx.zone), "comment": {"text": cmd.text}},
            request=request.id,
            subject_tag=f"[{request.number}]",
        ),
        ctx,
    )
    return Result(ctx.save(message), message.id)


class CheckServiceLevels(Strict):
    """A batch of requests checked in one transaction: a check is idempotent, so a batch that
    loses a race with a clerk is simply checked again."""

    requests: Annotated[list[UUID], Field(max_length=1000)]
    at: datetime


def check_service_levels(cmd: CheckServiceLevels, ctx: CommandContext) -> Result:
    touched: list[Aggregate] = []
    for request_id in cmd.requests:
        request = load_request(ctx, str(request_id))
        messages = apply_service_level(ctx, request, cmd.at)
        if request.pending_events:
            touched += [request, *messages]
    return Result(ctx.save(*touched) if touched else 0)


def apply_service_level(ctx: CommandContext, request: Request, at: datetime) -> list[Aggregate]:
    """Brings an open request's service level up to ``at``: its due state; past due + the
    escalation days, escalation to the assignee's supervisor (who is assigned and told); and,
    while overdue, the day's alert to the assignee. Answers the messages it queued."""
    messages: list[Aggregate] = []
    request.update_due_state(at)
    if request.escalation_due(at):
        previous = request.assignee
        supervisor = _supervisor(ctx, previous)
        request.escalate(supervisor, at)
        if supervisor is not None:
            extra = {"previous_assignee": previous}
            message = _notify(ctx, request, supervisor, ESCALATION, natural_id("request-escalation", request.id), extra)
            messages += [message] if message else []
    day = at.astimezone(ctx.zone).date()
    if request.alert_due(day):
        to = request.assignee
        message = _notify(ctx, request, to, OVERDUE_ALERT, natural_id("request-alert", request.id, day.isoformat()))
        request.record_alert(day, to, message.id if message else None)
        messages += [message] if message else []
    return messages


def _supervisor(ctx: CommandContext, username: str | None) -> str | None:
    user = ctx.find(User, User.id_for(username)) if username else None
    return user.profile.supervisor if user else None


def _notify(
    ctx: CommandContext,
    request: Request,
    username: str | None,
    text: MessageText,
    message_id: UUID,
    extra: dict[str, Any] | None = None,
) -> Message | None:
    """An e-mail to a user about the request (None when the user has no e-mail address)."""
    user = ctx.find(User, User.id_for(username)) if username else None
    if user is None or not user.profile.email:
        return None
    try:
        return compose_message(
            QueueMessage(
                id=message_id,
                channel=Channel.EMAIL,
                purpose=Purpose.REQUEST,
                partner=request.details.partner,
                to=user.profile.email,
                text=text,
                variables={"request": request_values(request, ctx.zone, **(extra or {}))},
                request=request.id,
                subject_tag=f"[{request.number}]",
            ),
            ctx,
        )
    except DomainError:
        # A notice that cannot be rendered must not hold up the service level itself.
        return None
