"""The size limit of request bodies (docs/api.md, Limits): a body over the limit answers 413
``payload_too_large`` before anything parses it. A stated ``Content-Length`` is refused before the
application runs; a body sent in chunks is counted as it arrives and refused when it passes the
limit, so no more than the limit is ever held. Multipart uploads (attachments) have a limit of
their own, the attachment limit plus room for the form's other parts."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.api.errors import problem

# Room for a multipart form's boundaries, headers and small fields besides the file.
FORM_OVERHEAD = 64 * 1024


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` while the application reads the body: FastAPI passes an
    ``HTTPException`` from there on to the error handlers (413 problem+json)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes")


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int, max_form_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_form_bytes = max_form_bytes + FORM_OVERHEAD

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        form = headers.get("content-type", "").lower().startswith("multipart/form-data")
        limit = self.max_form_bytes if form else self.max_bytes
        stated = headers.get("content-length", "")
        if stated.isdigit() and int(stated) > limit:
            response = problem(413, "payload_too_large", f"the request body is larger than {limit} bytes")
            await response(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, counted, send)
