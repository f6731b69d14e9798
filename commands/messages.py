"""Messages and templates: create and change templates, queue a message (rendered from a template
for a partner and contact), and the commands the sender records a delivery with."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID, uuid4

from pydantic import Field, StringConstraints
from pydantic_core import to_jsonable_python

from aggregates.errors import Invalid, conflict, not_found
from aggregates.message import Composition, Message, RenderedLetter
from aggregates.partner import Partner
from aggregates.partner_addresses import Address
from aggregates.partner_contacts import Contact
from aggregates.sales_document import SalesDocument
from aggregates.template import (
    CONTENT_FIELDS,
    DEFAULTS_ID,
    Channel,
    DefaultKey,
    Purpose,
    Template,
    TemplateContent,
    TemplateDefaults,
)
from commands import templating
from commands.context import CommandContext, Result
from commands.locales import Formats
from commands.partners import load_partner
from commands.references import named_by
from commands.types import Code, Language, ShortText, Strict

Subject = Annotated[str, StringConstraints(max_length=1000)]
Body = Annotated[str, StringConstraints(min_length=1, max_length=100_000)]
FALLBACK_LANGUAGE = "en"
# Names the renderer provides itself; the caller's variables may not hide them.
RESERVED = frozenset({"partner", "contact", "today", "message", "unsubscribe_url", "fmt"})
CONTACT_FIELDS = ("id", "name", "title", "email", "mobile", "phone")


# -- templates -------------------------------------------------------------------------------------


class TemplateFields(Strict):
    channel: Channel | None = None
    purpose: Purpose | None = None
    language: Language | None = None
    subject: Subject | None = None
    body: Body | None = None
    is_default: bool | None = None


class CreateTemplate(TemplateFields):
    code: Code
    channel: Channel
    purpose: Purpose
    language: Language = FALLBACK_LANGUAGE
    subject: Subject = ""
    body: Body
    is_default: bool = False


class ChangeTemplate(TemplateFields):
    code: str = Field(exclude=True)


def _check_sources(content: TemplateContent) -> None:
    if content.channel is Channel.EMAIL and not content.subject.strip():
        raise Invalid(["body", "subject"], "an e-mail template needs a subject")
    templating.check(content.subject, "subject")
    templating.check(content.body, "body", html=content.channel is Channel.LETTER)


def _defaults(ctx: CommandContext) -> TemplateDefaults:
    return ctx.find(TemplateDefaults, DEFAULTS_ID) or ctx.track(TemplateDefaults.open())


def load_template(ctx: CommandContext, code: str) -> Template:
    template = ctx.find(Template, Template.id_for(code.strip()))
    if template is None:
        raise not_found("template", code)
    return template


def create_template(cmd: CreateTemplate, ctx: CommandContext) -> Result:
    if ctx.find(Template, Template.id_for(cmd.code)) is not None:
        raise conflict("template_exists", f"a template {cmd.code} already exists")
    content = TemplateContent(
        channel=cmd.channel, purpose=cmd.purpose, language=cmd.language, subject=cmd.subject, body=cmd.body
    )
    _check_sources(content)
    template = Template.create(cmd.code, content)
    touched: list[Any] = [template]
    if cmd.is_default:
        defaults = _defaults(ctx)
        defaults.make_default(template.code, template.default_key)
        touched.append(defaults)
    return Result(ctx.save(*touched), template.id)


def change_template(cmd: ChangeTemplate, ctx: CommandContext) -> Result:
    """Changes the fields sent. A default template moved to another channel, purpose or language
    stops being the default of its old one; it becomes the new one's default only when asked."""
    template = ctx.load_for_update(Template, load_template(ctx, cmd.code).id)
    changes = {k: getattr(cmd, k) for k in cmd.model_fields_set & set(CONTENT_FIELDS) if getattr(cmd, k) is not None}
    content = template.content.model_copy(update=changes)
    if content != template.content:
        _check_sources(content)
    old_key = template.default_key
    template.change(content)
    touched: list[Any] = [template]
    defaults = ctx.find(TemplateDefaults, DEFAULTS_ID)
    if defaults is not None and (cmd.is_default is False or old_key != template.default_key):
        defaults.clear(template.code, old_key)
        touched.append(defaults)
    if cmd.is_default:
        defaults = defaults or _defaults(ctx)
        defaults.make_default(template.code, template.default_key)
        touched.append(defaults)
    return Result(ctx.save(*touched), template.id)


# -- queueing a message ----------------------------------------------------------------------------


class MessageText(Strict):
    """A caller's own wording, Jinja sources rendered like a template's (a built-in notice)."""

    subject: Subject = ""
    body: Body


class QueueMessage(Strict):
    """A message to render and queue for the sender. ``id`` is the caller's, derived from what the
    message is for, so that queueing it again does nothing.

    ``template`` None takes the default template of the channel, purpose and language (then of
    the channel, purpose and English); ``text`` instead renders the caller's own wording and
    looks for no template. ``to`` None takes the contact's (else the partner's) e-mail, the
    contact's mobile, or for a letter the partner's billing address. ``attach_letter`` names a
    letter template rendered with the same values and attached to the e-mail as PDF.
    ``subject_tag`` (a request's ``[REQ-00001]``) starts the subject unless the rendered subject
    carries it already, so that replies can be threaded whatever the template says.
    ``unsubscribe_url`` (a mailing's link) is the template variable of that name (None for other
    messages) and the e-mail's List-Unsubscribe; a body that does not show it gets it appended.
    ``tracking_pixel`` is the image whose fetching marks the e-mail read."""

    id: UUID
    channel: Channel
    purpose: Purpose
    partner: UUID
    contact: UUID | None = None
    to: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None = None
    template: str | None = None
    text: MessageText | None = None
    subject_tag: Annotated[str, StringConstraints(max_length=100)] | None = None
    language: Language = FALLBACK_LANGUAGE
    variables: dict[str, Any] = Field(default_factory=dict)
    documents: list[UUID] = Field(default_factory=list)
    cases: list[UUID] = Field(default_factory=list)
    request: UUID | None = None
    campaign: ShortText | None = None
    attach_letter: str | None = None
    fallback_from: ShortText | None = None
    unsubscribe_url: str | None = None
    tracking_pixel: str | None = None


def _address(partner: Partner) -> Address | None:
    addresses = list(partner.addresses.values())
    billing = [a for a in addresses if "billing" in a.usage]
    for candidates in (billing, addresses):
        found = next((a for a in candidates if a.is_default), None) or (candidates[0] if candidates else None)
        if found is not None:
            return found
    return None


def postal_lines(partner: Partner, contact: Contact | None) -> str:
    """The letter's recipient block: name, attention line, street, town, country."""
    address = _address(partner)
    lines = [partner.details.name]
    if contact is not None:
        lines.append(f"Attn. {contact.name}")
    if address is not None:
        lines += [address.street, f"{address.postal_code} {address.city}".strip(), address.region, address.country]
    return "\n".join(line for line in lines if line.strip())


def _recipient(cmd: QueueMessage, partner: Partner, contact: Contact | None) -> str:
    if cmd.to:
        return cmd.to
    if cmd.channel is Channel.EMAIL:
        email = (contact.email if contact else None) or partner.details.email
        if not email:
            raise conflict("no_email", "neither the contact nor the partner has an e-mail address")
        return email
    if cmd.channel is Channel.SMS:
        if contact is None or not contact.mobile:
            raise conflict("no_mobile", "the contact has no mobile number")
        return contact.mobile
    return postal_lines(partner, contact)


def default_template(ctx: CommandContext, channel: Channel, purpose: Purpose, language: str) -> str | None:
    """The code of the default template of the channel, purpose and language (else English)."""
    defaults = ctx.find(TemplateDefaults, DEFAULTS_ID)
    if defaults is None:
        return None
    for lang in dict.fromkeys([language, FALLBACK_LANGUAGE]):
        code = defaults.default_for(DefaultKey(channel=channel, purpose=purpose, language=lang))
        if code is not None:
            return code
    return None


def _resolve_template(ctx: CommandContext, cmd: QueueMessage, code: str | None, channel: Channel) -> Template:
    if code is None:
        code = default_template(ctx, channel, cmd.purpose, cmd.language)
        if code is None:
            raise conflict(
                "template_missing", f"no default {channel.value} template for {cmd.purpose.value} in {cmd.language}"
            )
    template = ctx.find(Template, Template.id_for(code.strip()))
    if template is None:
        raise conflict("template_missing", f"there is no template {code}")
    if template.content.channel is not channel:
        raise conflict(
            "template_channel_mismatch", f"template {code} is for {template.content.channel.value}, not {channel.value}"
        )
    return template


def render_values(cmd: QueueMessage, ctx: CommandContext, partner: Partner, contact: Contact | None) -> dict[str, Any]:
    """What a template sees: the caller's variables (as JSON values, so money is a string with
    two decimals), the partner, the contact (or None), today and the message's id."""
    reserved = RESERVED & cmd.variables.keys()
    if reserved:
        raise Invalid(["body", "variables", sorted(reserved)[0]], "this name is provided by the renderer")
    address = _address(partner)
    details = partner.details
    partner_values = {
        "id": str(partner.id),
        "code": partner.code,
        "name": details.name,
        "email": details.email,
        "phone": details.phone,
        "website": details.website,
        "tax_id": details.tax_id,
        "language": details.language,
        "currency": details.currency,
        "group": details.group,
        "tags": list(details.tags),
        "custom_fields": dict(details.custom_fields),
        "address": address.model_dump(mode="json") if address else None,
    }
    contact_values = None
    if contact is not None:
        contact_values = {k: v for k, v in contact.model_dump(mode="json").items() if k in CONTACT_FIELDS}
    values: dict[str, Any] = to_jsonable_python(cmd.variables)
    return {
        **values,
        "partner": partner_values,
        "contact": contact_values,
        "today": ctx.today.isoformat(),
        "message": {"id": str(cmd.id)},
        "unsubscribe_url": cmd.unsubscribe_url,
    }


def _one_line(text: str) -> str:
    """A subject is one line (a line break in a header would start another header)."""
    return " ".join(text.split())


def queue_message(cmd: QueueMessage, ctx: CommandContext) -> Result:
    """Renders and queues the message; if a message with this id exists, does nothing."""
    message = compose_message(cmd, ctx)
    return Result(ctx.save(message), message.id)


class SendMessage(Strict):
    """A clerk's message to one partner (POST /v1/messages), its partner by id or code; without a
    template, the default one of the channel, purpose and language."""

    channel: Channel
    purpose: Purpose = Purpose.GENERAL
    partner: str
    contact: UUID | None = None
    to: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None = None
    template: str | None = None
    language: Language = FALLBACK_LANGUAGE
    variables: dict[str, Any] = Field(default_factory=dict)
    documents: list[UUID] = Field(default_factory=list)
    attach_letter: str | None = None


def send_message(cmd: SendMessage, ctx: CommandContext) -> Result:
    """Queues the message once the partner, templates and documents it names are found (the
    documents must be the partner's)."""
    with named_by("body", "partner"):
        partner = load_partner(ctx, cmd.partner)
    for field in ("template", "attach_letter"):
        code = getattr(cmd, field)
        if code is not None:
            with named_by("body", field):
                load_template(ctx, code)
    for i, document_id in enumerate(cmd.documents):
        document = ctx.find(SalesDocument, document_id)
        if document is None or load_partner(ctx, str(document.terms.partner)).id != partner.id:
            raise Invalid(["body", "documents", i], f"document {document_id} is not one of the partner's")
    fields = cmd.model_dump(exclude={"partner"})
    return queue_message(QueueMessage(id=uuid4(), partner=partner.id, **fields), ctx)


def compose_message(cmd: QueueMessage, ctx: CommandContext) -> Message:
    """The message rendered and queued but not saved (tracked in ``ctx``), or the existing one with
    this id: for a handler that saves it together with its own aggregates in one transaction."""
    existing = ctx.find(Message, cmd.id)
    if existing is not None:
        return existing
    partner = load_partner(ctx, str(cmd.partner))
    contact = None
    if cmd.contact is not None:
        contact = partner.contacts.get(cmd.contact)
        if contact is None:
            raise Invalid(["body", "contact"], "the contact is not one of the partner's")
    data_subject = contact.id if contact is not None else partner.id
    if data_subject in partner.erased:  # its recipient and body would be new personal data of it
        raise conflict("subject_erased", f"the personal data of {data_subject} was erased")
    if cmd.attach_letter is not None and cmd.channel is not Channel.EMAIL:
        raise Invalid(["body", "attach_letter"], "only an e-mail carries an attached letter")
    to = _recipient(cmd, partner, contact)
    values = render_values(cmd, ctx, partner, contact)
    html = cmd.channel is Channel.LETTER
    if cmd.text is not None:
        if cmd.template is not None:
            raise Invalid(["body", "text"], "a message has a template or its own text, not both")
        code, revision, language = None, None, cmd.language
        subject_source, body_source, what = cmd.text.subject, cmd.text.body, "the message text"
    else:
        template = _resolve_template(ctx, cmd, cmd.template, cmd.channel)
        code, revision, language = template.code, template.revision, template.content.language
        subject_source, body_source, what = template.content.subject, template.content.body, f"template {code}"
    values["fmt"] = Formats(language)  # amounts and dates as the text's language writes them
    subject = _one_line(templating.render(subject_source, values, what=f"{what} subject"))
    if cmd.subject_tag and cmd.subject_tag not in subject:
        subject = f"{cmd.subject_tag} {subject}".strip()
    body = templating.render(body_source, values, html=html, what=what)
    if cmd.unsubscribe_url and cmd.unsubscribe_url not in body:
        body = f"{body.rstrip()}\n\n--\nTo receive no more of these e-mails: {cmd.unsubscribe_url}\n"
    letter = None
    if cmd.attach_letter is not None:
        attached = _resolve_template(ctx, cmd, cmd.attach_letter, Channel.LETTER)
        what = f"template {attached.code}"
        letter = RenderedLetter(
            template=attached.code,
            template_version=attached.revision,
            recipient=postal_lines(partner, contact),
            subject=_one_line(templating.render(attached.content.subject, values, what=f"{what} subject")),
            body=templating.render(attached.content.body, values, html=True, what=what),
        )
    composition = Composition(
        channel=cmd.channel,
        purpose=cmd.purpose,
        partner=partner.id,
        contact=cmd.contact,
        to=to,
        language=language,
        template=code,
        template_version=revision,
        subject=subject,
        body=body,
        documents=tuple(cmd.documents),
        cases=tuple(cmd.cases),
        request=cmd.request,
        campaign=cmd.campaign,
        attach_letter=letter,
        fallback_from=cmd.fallback_from,
        list_unsubscribe=cmd.unsubscribe_url,
        tracking_pixel=cmd.tracking_pixel,
    )
    return ctx.track(Message.queue(cmd.id, composition, ctx.now))


# -- delivery (the sender's commands) ----------------------------------------------------------------


class MessageCommand(Strict):
    message: UUID


def _message(ctx: CommandContext, message_id: UUID) -> Message:
    message = ctx.find(Message, message_id)
    if message is None:
        raise not_found("message", message_id)
    return message


class StartDelivery(MessageCommand):
    pass


def start_delivery(cmd: StartDelivery, ctx: CommandContext) -> Result:
    """Marks the message as being sent, before the transport is called (409 unless queued and due)."""
    message = _message(ctx, cmd.message)
    message.start_delivery(ctx.now)
    return Result(ctx.save(message), message.id)


class ResumeDelivery(MessageCommand):
    # The version the sender saw the message ``sending`` at: if anything happened since (the
    # first sender finished after all), there is nothing to resume.
    version: int


def resume_delivery(cmd: ResumeDelivery, ctx: CommandContext) -> Result:
    message = _message(ctx, cmd.message)
    if message.version != cmd.version:
        raise conflict("message_changed", "the message changed since it was seen in delivery")
    message.resume_delivery(ctx.now)
    return Result(ctx.save(message), message.id)


class RecordSent(MessageCommand):
    attempt: int
    transport: str
    transport_id: str | None = None


def record_sent(cmd: RecordSent, ctx: CommandContext) -> Result:
    message = _message(ctx, cmd.message)
    message.record_sent(cmd.attempt, ctx.now, cmd.transport, cmd.transport_id)
    return Result(ctx.save(message), message.id)


class RecordFailed(MessageCommand):
    attempt: int
    error: str
    permanent: bool = False


def record_failed(cmd: RecordFailed, ctx: CommandContext) -> Result:
    message = _message(ctx, cmd.message)
    message.record_failed(cmd.attempt, ctx.now, cmd.error, cmd.permanent)
    return Result(ctx.save(message), message.id)


class RecordLetterRendered(MessageCommand):
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    size: Annotated[int, Field(ge=0)]


def record_letter_rendered(cmd: RecordLetterRendered, ctx: CommandContext) -> Result:
    message = _message(ctx, cmd.message)
    message.record_letter(cmd.sha256, cmd.size)
    return Result(ctx.save(message), message.id)


class MarkRead(MessageCommand):
    at: datetime | None = None


def mark_read(cmd: MarkRead, ctx: CommandContext) -> Result:
    message = _message(ctx, cmd.message)
    message.mark_read(cmd.at or ctx.now)
    return Result(ctx.save(message), message.id)


class MarkBounced(MessageCommand):
    reason: Annotated[str, StringConstraints(max_length=1000)] = "bounced"
    at: datetime | None = None


def mark_bounced(cmd: MarkBounced, ctx: CommandContext) -> Result:
    message = _message(ctx, cmd.message)
    message.mark_bounced(cmd.at or ctx.now, cmd.reason)
    return Result(ctx.save(message), message.id)
