"""Request-scoped dependencies: the container, who is asking (API keys and roles), how a command
is run (If-Match, Idempotency-Key, Prefer, read-your-writes) and how a query waits for
``X-Min-Position``."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from pydantic_core import to_jsonable_python

from aggregates.idempotency import IdempotencyRecord
from commands.context import CommandContext, Idempotency, IdempotencyReplay, Result
from queries.activities import ActivityQueries
from queries.audit import AuditQueries
from queries.balance_confirmations import BalanceConfirmationQueries
from queries.bank_lines import BankLineQueries
from queries.campaigns import CampaignQueries
from queries.collection import CollectionQueries
from queries.documents import DocumentQueries
from queries.interest_areas import InterestAreaQueries
from queries.interest_notes import InterestNoteQueries
from queries.mailings import MailingQueries
from queries.messages import MessageQueries
from queries.pages import MAX_LIMIT, PageRequest
from queries.partners import PartnerQueries
from queries.portal import PortalAccess, PortalQueries
from queries.receivables import ReceivableQueries
from queries.recurring_invoices import RecurringQueries
from queries.reports import ReportQueries
from queries.requests import RequestQueries
from queries.settings import SettingsQueries
from services.api.errors import ApiError
from services.api.idempotency import ResponseStore
from services.api.rate_limits import RateLimits
from services.api.waiting import PositionWaits
from services.bootstrap.container import Container
from services.workers.ports import Request as CommandRequest

C = TypeVar("C")


def container(request: Request) -> Container:
    return request.app.state.container  # type: ignore[no-any-return]


Cont = Annotated[Container, Depends(container)]


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Principal:
    name: str
    role: str
    # What a portal token opens (role ``portal``); None for API keys.
    portal: PortalAccess | None = None


def principal(
    request: Request,
    c: Cont,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Principal:
    limits: RateLimits = request.app.state.rate_limits
    if not authorization or not authorization.lower().startswith("bearer "):
        limits.address(request)
        raise ApiError(401, "unauthorized", "send Authorization: Bearer <api key>", {"WWW-Authenticate": "Bearer"})
    secret = authorization[7:].strip()
    admin_key = c.settings.admin_key
    if admin_key and hmac.compare_digest(hash_key(secret), hash_key(admin_key)):
        found: tuple[str, str] | None = ("admin", "admin")
    else:
        found = SettingsQueries(c.catalog).api_key_role(hash_key(secret))
    if found is None:
        # A portal token authenticates too, so that outside /v1/portal it meets a 403, not a 401.
        access = PortalQueries(c.catalog).access(hash_key(secret))
        if access is None:
            limits.address(request)
            raise ApiError(401, "unauthorized", "unknown or revoked key", {"WWW-Authenticate": "Bearer"})
        who = Principal(f"portal:{access.contact}", "portal", access)
    else:
        who = Principal(*found)
    limits.key(request, who.name)
    request.state.actor = who.name
    return who


def require(*roles: str) -> Callable[..., Principal]:
    def check(who: Annotated[Principal, Depends(principal)]) -> Principal:
        if who.role not in roles:
            raise ApiError(403, "forbidden", f"the role {who.role} may not do this")
        return who

    check.roles = roles  # type: ignore[attr-defined]  # read by the OpenAPI document
    return check


AnyRole = Annotated[Principal, Depends(require("admin", "clerk", "analyst", "auditor"))]
Writer = Annotated[Principal, Depends(require("admin", "clerk"))]
Admin = Annotated[Principal, Depends(require("admin"))]
AuditorRole = Annotated[Principal, Depends(require("admin", "auditor"))]
# Staff keys are refused on the portal's routes (403) just as portal tokens are on the staff's.
PortalUser = Annotated[Principal, Depends(require("portal"))]


def page_request(limit: int = 50, cursor: str | None = None) -> PageRequest:
    if limit < 1 or limit > MAX_LIMIT:
        from aggregates.errors import Invalid

        raise Invalid(["query", "limit"], f"limit is 1 to {MAX_LIMIT}")
    return PageRequest(limit=limit, cursor=cursor)


Paging = Annotated[PageRequest, Depends(page_request)]


# -- queries -------------------------------------------------------------------------------------


class Reads:
    def __init__(self, c: Container) -> None:
        self.container = c
        self.partners = PartnerQueries(c.catalog)
        self.documents = DocumentQueries(c.catalog)
        self.receivables = ReceivableQueries(c.catalog)
        self.bank_lines = BankLineQueries(c.catalog)
        self.reports = ReportQueries(c.catalog)
        self.recurring = RecurringQueries(c.catalog)
        self.collection = CollectionQueries(c.catalog)
        self.settings = SettingsQueries(c.catalog)
        self.audit = AuditQueries(c.catalog, c.store)
        self.messages = MessageQueries(c.catalog)
        self.requests = RequestQueries(c.catalog)
        self.activities = ActivityQueries(c.catalog)
        self.campaigns = CampaignQueries(c.catalog)
        self.portal = PortalQueries(c.catalog)
        self.interest_areas = InterestAreaQueries(c.catalog)
        self.interest_notes = InterestNoteQueries(c.catalog)
        self.balance_confirmations = BalanceConfirmationQueries(c.catalog)
        self.mailings = MailingQueries(c.catalog)


def _nul_at(value: Any, loc: list[Any]) -> list[Any] | None:
    """Where in a JSON value a string holds a NUL character, if anywhere."""
    if isinstance(value, str):
        return loc if "\x00" in value else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        if isinstance(key, str) and "\x00" in key:
            return [*loc, key]
        found = _nul_at(item, [*loc, key])
        if found is not None:
            return found
    return None


def refuse_nul(request: Request, body: Any = None) -> None:
    """PostgreSQL text cannot hold a NUL character: one that reached the log would stop every
    read model at that event, and one in a query fails the query. Refuse them up front."""
    found = ["path"] if "\x00" in request.url.path else None
    for key, value in request.query_params.multi_items():
        if found is None and ("\x00" in key or "\x00" in value):
            found = ["query", key]
    if found is None and body is not None:
        found = _nul_at(body, ["body"])
    if found is not None:
        from aggregates.errors import Invalid

        raise Invalid(found, "text may not contain NUL characters")


async def reads(request: Request, c: Cont, x_min_position: Annotated[str | None, Header()] = None) -> Reads:
    """The read models, once they have reached ``X-Min-Position``. The wait is a coroutine (see
    ``services.api.waiting``): it never holds a thread that other requests need."""
    refuse_nul(request)
    if x_min_position is not None:
        try:
            position = int(x_min_position)
        except ValueError:
            raise ApiError(400, "malformed_request", "X-Min-Position is a log position (an integer)") from None
        if position > await run_in_threadpool(c.store.head):
            # Nothing is written there yet: waiting could only end in a timeout.
            raise ApiError(400, "position_beyond_head", f"the log has not reached position {position}")
        waits: PositionWaits = request.app.state.waits
        if not await waits.wait(position, c.settings.consistency_timeout):
            raise ApiError(
                503, "read_model_lagging", f"the read models have not reached {position} yet", {"Retry-After": "1"}
            )
    return Reads(c)


ReadModels = Annotated[Reads, Depends(reads)]


# -- commands ------------------------------------------------------------------------------------


def jsonable(body: Any) -> Any:
    if isinstance(body, BaseModel):
        return body.model_dump(mode="json")
    return to_jsonable_python(body)


class Commands:
    """Runs one command for one HTTP request with the request's guards."""

    def __init__(
        self,
        c: Container,
        who: Principal,
        body_hash: str,
        if_match: str | None,
        idempotency_key: str | None,
        prefer: str | None,
    ) -> None:
        self.container = c
        self.who = who
        self.body_hash = body_hash
        self.expected_version = self._version(if_match)
        self.idempotency_key = idempotency_key
        self.respond_async = bool(prefer and "respond-async" in prefer.lower())
        self.responses = ResponseStore(c.engine)

    @staticmethod
    def _version(if_match: str | None) -> int | None:
        if if_match is None:
            return None
        value = if_match.strip().removeprefix("W/").strip('"')
        try:
            return int(value)
        except ValueError:
            raise ApiError(400, "malformed_request", "If-Match carries the version number") from None

    def run(
        self,
        handler: Callable[[C, CommandContext], Result],
        command: C,
        respond: Callable[[Result], Any],
        status: int = 200,
    ) -> Response:
        idempotency = None
        record_id = None
        if self.idempotency_key:
            if len(self.idempotency_key) > 200:
                raise ApiError(400, "malformed_request", "Idempotency-Key is at most 200 characters")
            record_id = IdempotencyRecord.id_for(self.who.name, self.idempotency_key)
            if self.container.store.stream_version(record_id):
                return self._replay(record_id)
            idempotency = Idempotency(self.idempotency_key, self.body_hash)
        try:
            result = self.container.execute(
                handler,
                command,
                CommandRequest(actor=self.who.name, expected_version=self.expected_version, idempotency=idempotency),
            )
        except IdempotencyReplay:
            assert record_id is not None
            return self._replay(record_id)
        headers = {"X-Position": str(result.position)}
        # Asked for, or forced by read models that did not catch up in time: the command is in
        # the log, so the answer says so (202 with its position) rather than reading a read model
        # that does not show it yet (a 404 for what was just recorded).
        if self.respond_async or not self.container.runner.wait(
            result.position, self.container.settings.consistency_timeout
        ):
            body = {"position": result.position, "id": str(result.id) if result.id else None}
            if record_id is not None:
                self.responses.put(record_id, 202, body, headers)
            return JSONResponse(body, status_code=202, headers=headers)
        if status == 204:
            if record_id is not None:
                self.responses.put(record_id, 204, None, headers)
            return Response(status_code=204, headers=headers)
        content = jsonable(respond(result))
        if record_id is not None:
            self.responses.put(record_id, status, content, headers)
        return JSONResponse(content, status_code=status, headers=headers)

    def _replay(self, record_id: Any) -> Response:
        record = self.container.store.get(record_id)
        if getattr(record, "request_hash", None) != self.body_hash:
            raise ApiError(409, "idempotency_key_reused", "this Idempotency-Key was used with a different request")
        deadline = time.monotonic() + self.container.settings.consistency_timeout
        while True:
            stored = self.responses.get(record_id)
            if stored is not None:
                status, content, headers = stored
                if status == 204:
                    return Response(status_code=204, headers=headers)
                return JSONResponse(content, status_code=status, headers=headers)
            if time.monotonic() > deadline:
                raise ApiError(409, "idempotency_key_in_progress", "the first request with this key is still running")
            time.sleep(0.05)


async def _digest_form(request: Request, digest: Any) -> None:
    form = await request.form()
    for name, value in sorted(form.multi_items(), key=lambda item: item[0]):
        digest.update(f"\n{name}=".encode())
        if isinstance(value, str):
            digest.update(value.encode())
            continue
        digest.update(f"{value.filename}|{value.content_type}|".encode())
        await value.seek(0)
        while chunk := await value.read(1024 * 1024):
            digest.update(chunk)
        await value.seek(0)


async def commands(
    request: Request,
    c: Cont,
    who: Writer,
    if_match: Annotated[str | None, Header()] = None,
    idempotency_key: Annotated[str | None, Header()] = None,
    prefer: Annotated[str | None, Header()] = None,
) -> Commands:
    return await _commands(request, c, who, if_match, idempotency_key, prefer)


async def portal_commands(
    request: Request,
    c: Cont,
    who: PortalUser,
    if_match: Annotated[str | None, Header()] = None,
    idempotency_key: Annotated[str | None, Header()] = None,
    prefer: Annotated[str | None, Header()] = None,
) -> Commands:
    return await _commands(request, c, who, if_match, idempotency_key, prefer)


async def _commands(
    request: Request,
    c: Container,
    who: Principal,
    if_match: str | None,
    idempotency_key: str | None,
    prefer: str | None,
) -> Commands:
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.url.path}\n".encode())
    try:
        body = await request.body()
    except RuntimeError:
        # A route with form fields (an upload) has parsed the form already and consumed the
        # stream: hash the form's parts instead.
        refuse_nul(request)
        await _digest_form(request, digest)
        return Commands(c, who, digest.hexdigest(), if_match, idempotency_key, prefer)
    parsed = None
    if request.headers.get("content-type", "").startswith("application/json") and body:
        # The same JSON document with other white space or key order is the same request.
        with contextlib.suppress(ValueError):
            parsed = json.loads(body)
            body = json.dumps(parsed, sort_keys=True, separators=(",", ":")).encode()
    refuse_nul(request, parsed)
    digest.update(body)
    return Commands(c, who, digest.hexdigest(), if_match, idempotency_key, prefer)


Cmd = Annotated[Commands, Depends(commands)]
PortalCmd = Annotated[Commands, Depends(portal_commands)]
