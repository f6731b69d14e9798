"""/v1/partner-groups."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel

from commands.partner_groups import (
    ChangePartnerGroup,
    CreatePartnerGroup,
    GroupFields,
    change_partner_group,
    create_partner_group,
)
from services.api.deps import AnyRole, Cmd, Paging, ReadModels

router = APIRouter(prefix="/v1/partner-groups", tags=["partner groups"])


class GroupCreate(CreatePartnerGroup):
    pass


class GroupUpdate(GroupFields):
    pass


class GroupPublic(BaseModel):
    code: str
    name: str
    credit_watch_percent: str
    collection_scheme: str | None
    request_priority_boost: int
    version: int


class GroupList(BaseModel):
    items: list[GroupPublic]
    next_cursor: str | None


@router.post("", status_code=201, response_model=GroupPublic, summary="Create a partner group")
def create_group(body: GroupCreate, cmd: Cmd, reads: ReadModels) -> Response:
    """The code is upper-cased like partner codes; a second group with it is 409 ``group_exists``.
    ``request_priority_boost`` is 0–4 steps on the priority scale; a ``collection_scheme`` must exist (422)."""
    command = CreatePartnerGroup.model_validate(body.model_dump(exclude_unset=True))
    return cmd.run(create_partner_group, command, lambda r: reads.settings.group(command.code), status=201)


@router.get("", response_model=GroupList, summary="Partner groups")
def list_groups(_who: AnyRole, reads: ReadModels, paging: Paging) -> dict[str, Any]:
    """Every group with its credit watch percent, collection scheme and request priority boost."""
    return reads.settings.groups(paging)


@router.get("/{code}", response_model=GroupPublic, summary="One partner group")
def get_group(code: str, _who: AnyRole, reads: ReadModels) -> dict[str, Any]:
    """By code, with its credit watch percent, collection scheme and request priority boost."""
    return reads.settings.group(code)


@router.patch("/{code}", response_model=GroupPublic, summary="Change a partner group")
def patch_group(code: str, body: GroupUpdate, cmd: Cmd, reads: ReadModels) -> Response:
    """Changes the fields sent (``null`` for ``name``, ``credit_watch_percent`` or
    ``request_priority_boost`` changes nothing); a ``collection_scheme`` must exist (422)."""
    command = ChangePartnerGroup(code=code, **body.model_dump(exclude_unset=True))
    return cmd.run(change_partner_group, command, lambda r: reads.settings.group(code))
