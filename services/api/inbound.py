"""/v1/inbound/email: the mail gateway posts each received mail here (see commands/inbound_email.py
for who handles it)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel

from commands.context import Result
from commands.inbound_email import EmailFields, InboundAction, KnownSender, Received, ReceiveEmail, receive_email
from services.api.deps import Cmd, ReadModels, Reads
from services.api.requests import RequestDetail, request_view

router = APIRouter(prefix="/v1/inbound", tags=["inbound e-mail"])


class InboundEmail(EmailFields):
    pass


class InboundResult(BaseModel):
    message_id: str
    action: InboundAction
    ref: UUID | None
    duplicate: bool
    request: RequestDetail | None


def _answer(reads: Reads, message_id: str, result: Result) -> dict[str, Any]:
    received: Received = result.detail
    request = None
    if received.action in ("commented", "opened") and received.ref is not None:
        request = request_view(reads, str(received.ref))
    return {
        "message_id": message_id,
        "action": received.action,
        "ref": received.ref,
        "duplicate": received.duplicate,
        "request": request,
    }


@router.post(
    "/email",
    response_model=InboundResult,
    summary="Receive an e-mail: a reply tagged [REQ-…] comments on its request; a known sender's mail opens one",
)
def receive(body: InboundEmail, cmd: Cmd, reads: ReadModels) -> Response:
    """A bounce for one of our messages marks it `bounced`; a `[NUMBER]` tag of the sender's open request adds a
    comment (a closed request reopens); otherwise it opens a request of the default type. An unknown sender is 422
    `unknown_sender`; the same `message_id` again answers the first outcome with `duplicate: true` and records
    nothing."""
    found = reads.partners.sender(body.sender)
    known = KnownSender(partner=UUID(found[0]), contact=UUID(found[1]) if found[1] else None) if found else None
    command = ReceiveEmail(**body.model_dump(), known_sender=known)
    return cmd.run(receive_email, command, lambda r: _answer(reads, command.message_id, r))
