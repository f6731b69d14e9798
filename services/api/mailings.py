"""/v1/mailings: send a mailing, follow its progress and its recipients; and the two routes a
recipient's e-mail links to, which need no key: ``/u/{token}`` (unsubscribe) and
``/t/{token}.gif`` (the read-tracking image)."""

from __future__ import annotations

import html
import logging
import threading
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID, uuid4

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from aggregates.errors import DomainError
from aggregates.mailing import SkipReason
from commands.context import Result
from commands.mailings import (
    MailingSpec,
    ResubscribeRecipient,
    StartMailing,
    UnsubscribeRecipient,
    first_recipient,
    prepare_mailing,
    resubscribe_recipient,
    start_mailing,
    token_hash,
    unsubscribe_recipient,
)
from commands.messages import MarkRead, mark_read
from queries.interest_areas import InterestAreaQueries
from queries.mailings import MailingQueries, MailingStatus, RecipientLinkRow, RecipientStatus
from services.api.deps import AnyRole, Cmd, Cont, Paging, ReadModels
from services.api.word_lists import word_list
from services.bootstrap.container import Container
from services.workers.mailer import prepare
from services.workers.ports import Request

log = logging.getLogger("counterparty.mailings")
router = APIRouter(prefix="/v1/mailings", tags=["mailings"])
links = APIRouter(tags=["mailing links"])


class MailingCreate(MailingSpec):
    pass


class SkippedPublic(BaseModel):
    contact: UUID
    reason: SkipReason


class TargetsPublic(BaseModel):
    interest_areas: list[str]
    groups: list[str]
    tags: list[str]
    partners: list[UUID]
    documents: list[UUID]
    campaign_targets: str | None = Field(None, description="a campaign's mailing: the code whose target list it mails")
    subscribers_of: list[str] = Field(
        default_factory=list, description="consent: only contacts subscribed to one of these areas are mailed"
    )


class CountsPublic(BaseModel):
    queued: int = Field(description="recipients whose message waits for the sender")
    sent: int
    read: int
    unsubscribed: int
    error: int = Field(description="bounced, failed, or no message could be made")


class MailingSummaryPublic(BaseModel):
    id: UUID
    template: str
    campaign: str | None
    targets: TargetsPublic
    status: MailingStatus
    recipients: int = Field(description="contacts the mailing goes to, once each")
    sent: int = Field(description="messages accepted for delivery (queued for the sender)")
    skipped_count: int
    counts: CountsPublic = Field(description="the recipients by their status now")
    started_at: datetime
    prepared_at: datetime | None
    version: int


class MailingPublic(MailingSummaryPublic):
    skipped: list[SkippedPublic]


class MailingList(BaseModel):
    items: list[MailingSummaryPublic]
    next_cursor: str | None


class RecipientPublic(BaseModel):
    contact: UUID
    email: str
    status: RecipientStatus


class RecipientList(BaseModel):
    items: list[RecipientPublic]
    next_cursor: str | None


def _run(c: Container, actor: str) -> Any:
    def run(handler: Any, command: Any) -> Result:
        return c.execute(handler, command, Request(actor=actor))

    return run


@router.post("", status_code=201, response_model=MailingPublic, summary="Send a mailing")
def create_mailing(body: MailingCreate, cmd: Cmd, reads: ReadModels, c: Cont) -> Response:
    """Answers once every message is queued (``sent`` counts them); the sender delivers them in
    the background. With ``Prefer: respond-async`` it answers 202 at once and queues meanwhile."""
    audience = reads.mailings
    spec = MailingSpec.model_validate(body.model_dump())
    targets = audience.targets(spec)
    candidates = audience.candidates(targets)
    start = StartMailing(
        id=uuid4(),
        template=spec.template,
        targets=targets,
        campaign=spec.campaign,
        links=c.settings.public_url,
        sample=first_recipient(candidates),
    )
    run = _run(c, cmd.who.name)

    def respond(result: Result) -> dict[str, Any]:
        prepare_mailing(run, audience, result.detail, candidates)
        c.runner.wait(c.store.head(), c.settings.consistency_timeout)
        return audience.get(str(result.id))

    response = cmd.run(start_mailing, start, respond, status=201)
    # (A 202 replayed for a repeated Idempotency-Key names an earlier mailing: nothing to start.)
    if response.status_code == 202 and c.store.stream_version(start.id):

        def queue_all() -> None:
            try:
                prepare(c.ports, start.id, cmd.who.name, candidates)
            except Exception:  # the preparer resumes it after its lease
                log.exception("mailing preparation failed", extra={"mailing": str(start.id)})

        threading.Thread(target=queue_all, name="mailing-preparation", daemon=True).start()
    return response


@router.get("", response_model=MailingList, summary="Mailings, newest first")
def list_mailings(_who: AnyRole, reads: ReadModels, paging: Paging, campaign: str | None = None) -> dict[str, Any]:
    """Newest first, without the ``skipped`` list; ``campaign`` (a campaign's code) filters."""
    return reads.mailings.mailings(paging, campaign)


@router.get("/{mailing}", response_model=MailingPublic, summary="One mailing with its progress")
def get_mailing(mailing: str, _who: AnyRole, reads: ReadModels) -> dict[str, Any]:
    """With ``skipped`` (contact and reason), the recipients' ``counts`` by their status now, and ``status``
    ``preparing``, ``sending`` or ``done``."""
    return reads.mailings.get(mailing)


@router.get("/{mailing}/recipients", response_model=RecipientList, summary="A mailing's recipients")
def list_recipients(
    mailing: str,
    _who: AnyRole,
    reads: ReadModels,
    paging: Paging,
    status: Annotated[str | None, word_list(RecipientStatus)] = None,
) -> dict[str, Any]:
    """In the plan's order; ``status`` filters. ``error`` wins over ``unsubscribed``, which wins over the
    delivery state."""
    return reads.mailings.recipients(mailing, paging, status)


# -- the links in the e-mails (no key) -----------------------------------------------------------------

# A transparent 1x1 GIF.
PIXEL = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<meta name="robots" content="noindex"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#222}}
button{{font-size:1rem;padding:.5rem 1rem;margin:.25rem 0}}</style></head>
<body><h1>{title}</h1>{content}</body></html>
"""


def _page(title: str, content: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(PAGE.format(title=html.escape(title), content=content), status_code=status)


def _button(action: str, label: str) -> str:
    return (
        f'<form method="post"><input type="hidden" name="action" value="{action}">'
        f"<button>{html.escape(label)}</button></form>"
    )


def _recipient(c: Container, token: str) -> RecipientLinkRow | None:
    return MailingQueries(c.catalog).by_unsubscribe_token(token_hash(token))


def _execute(c: Container, actor: str, handler: Any, command: Any) -> None:
    result = c.execute(handler, command, Request(actor=actor))
    c.runner.wait(result.position, c.settings.consistency_timeout)


def _unsubscribe(c: Container, link: RecipientLinkRow, everything: bool) -> HTMLResponse:
    command = UnsubscribeRecipient(
        mailing=link.mailing, contact=link.contact, partner=link.partner, areas=link.areas, everything=everything
    )
    _execute(c, "link:unsubscribe", unsubscribe_recipient, command)
    areas = InterestAreaQueries(c.catalog).self_service(link.areas)
    if everything or not link.areas:
        text = "<p>You will receive no more mailings from us.</p>"
    else:
        names = ", ".join(html.escape(areas.get(a, (a, False))[0]) for a in link.areas)
        text = f"<p>You will receive no more e-mails about: {names}.</p>"
        text += _button("everything", "Unsubscribe from all mailings")
    if everything or any(self_service for _, self_service in areas.values()):
        text += _button("resubscribe", "I clicked by mistake: subscribe me again")
    return _page("You are unsubscribed", text)


GONE = "<p>This link is not valid (any more). If you keep receiving e-mails you do not want, reply to one.</p>"


@links.get("/u/{token}", response_class=HTMLResponse, summary="Unsubscribe through a mailing's link")
def unsubscribe_link(token: str, c: Cont) -> HTMLResponse:
    """Opts the recipient out of the interest areas the mailing reached them through (or, reached
    through none, out of every mailing) and shows a page that offers to leave every mailing."""
    link = _recipient(c, token)
    if link is None:
        return _page("Link not valid", GONE, 404)
    return _unsubscribe(c, link, everything=False)


@links.post("/u/{token}", response_class=HTMLResponse, summary="The unsubscribe page's buttons, and one-click")
def unsubscribe_action(
    token: str,
    c: Cont,
    action: Annotated[Literal["everything", "resubscribe"] | None, Form()] = None,
    one_click: Annotated[
        str | None,
        Form(alias="List-Unsubscribe", description="One-Click (RFC 8058)", max_length=20, examples=["One-Click"]),
    ] = None,
) -> HTMLResponse:
    """``action=everything`` opts the recipient out of every mailing; ``action=resubscribe`` undoes what the
    link did (self-service areas only); ``List-Unsubscribe=One-Click`` (RFC 8058) does what the GET does.
    Using a link again records nothing new; an unknown token is a 404 page."""
    link = _recipient(c, token)
    if link is None:
        return _page("Link not valid", GONE, 404)
    if action != "resubscribe":
        return _unsubscribe(c, link, everything=action == "everything")
    areas = InterestAreaQueries(c.catalog).self_service(link.areas)
    command = ResubscribeRecipient(
        mailing=link.mailing,
        contact=link.contact,
        partner=link.partner,
        areas=[a for a in link.areas if areas.get(a, ("", False))[1]],
    )
    _execute(c, "link:resubscribe", resubscribe_recipient, command)
    return _page("You are subscribed again", "<p>Thank you: you will receive these e-mails again.</p>")


@links.get(
    "/t/{token}.gif",
    response_class=Response,
    responses={200: {"content": {"image/gif": {}}, "description": "a 1×1 transparent GIF"}},
    summary="The read-tracking image of a mailing's e-mail",
)
def tracking_pixel(token: str, c: Cont) -> Response:
    """Marks the recipient's message read the first time it is fetched; always the same image."""
    link = MailingQueries(c.catalog).by_pixel_token(token_hash(token))
    if link is not None and link.message is not None and link.delivery in ("queued", "sent"):
        try:
            _execute(c, "link:pixel", mark_read, MarkRead(message=link.message))
        except DomainError as refusal:  # not delivered (yet): nothing to mark
            log.info("tracking image of an undelivered message", extra={"code": refusal.code})
    return Response(PIXEL, media_type="image/gif", headers={"Cache-Control": "no-store, max-age=0"})
