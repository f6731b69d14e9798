"""/v1/settings, /v1/custom-fields, /v1/partner-groups, /v1/users."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel

from aggregates.custom_field import FieldEntity
from aggregates.errors import not_found
from aggregates.number_series import SERIES
from commands.custom_fields import DefineCustomField, define_custom_field
from commands.documents import QuoteSettings, set_quote_settings
from commands.numbering import SetNumberingMask, set_numbering_mask
from commands.partner_groups import (
    ChangePartnerGroup,
    CreatePartnerGroup,
    GroupFields,
    change_partner_group,
    create_partner_group,
)
from commands.users import RegisterUser, register_user
from services.api.deps import AnyRole, Cmd, Cont, Paging, ReadModels

router = APIRouter(prefix="/v1", tags=["settings"])


class NumberingMask(BaseModel):
    mask: str


class NumberingPublic(BaseModel):
    series: str
    mask: str


@router.put("/settings/numbering/{series}", response_model=NumberingPublic, summary="Set a number series' mask")
def put_numbering(series: str, body: NumberingMask, cmd: Cmd) -> Response:
    if series not in SERIES:
        raise not_found("number series", series)
    command = SetNumberingMask(series=series, mask=body.mask)
    return cmd.run(set_numbering_mask, command, lambda r: {"series": series, "mask": body.mask})


@router.get("/settings/numbering/{series}", response_model=NumberingPublic, summary="A number series' mask")
def get_numbering(series: str, _who: AnyRole, c: Cont) -> dict[str, Any]:
    from aggregates.number_series import DEFAULT_MASKS, NumberSeries

    if series not in SERIES:
        raise not_found("number series", series)
    version = c.store.stream_version(NumberSeries.id_for(series))
    mask = c.store.get(NumberSeries.id_for(series)).mask if version else DEFAULT_MASKS[series]  # type: ignore[attr-defined]
    return {"series": series, "mask": mask}


class CustomFieldCreate(DefineCustomField):
    pass


class CustomFieldPublic(BaseModel):
    entity: str
    code: str
    label: str
    type: str
    options: list[str]
    required: bool


class CustomFieldList(BaseModel):
    items: list[CustomFieldPublic]
    next_cursor: str | None


@router.post("/custom-fields", status_code=201, response_model=CustomFieldPublic, summary="Define a custom field")
def create_custom_field(body: CustomFieldCreate, cmd: Cmd, reads: ReadModels) -> Response:
    command = DefineCustomField.model_validate(body.model_dump())
    return cmd.run(
        define_custom_field,
        command,
        lambda r: reads.settings.custom_field(command.entity.value, command.code),
        status=201,
    )


@router.get("/custom-fields", response_model=CustomFieldList, summary="Custom field definitions")
def list_custom_fields(
    _who: AnyRole, reads: ReadModels, paging: Paging, entity: FieldEntity | None = None
) -> dict[str, Any]:
    return reads.settings.custom_fields(entity.value if entity else None, paging)


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


@router.post("/partner-groups", status_code=201, response_model=GroupPublic, summary="Create a partner group")
def create_group(body: GroupCreate, cmd: Cmd, reads: ReadModels) -> Response:
    command = CreatePartnerGroup.model_validate(body.model_dump(exclude_unset=True))
    return cmd.run(create_partner_group, command, lambda r: reads.settings.group(command.code), status=201)


@router.get("/partner-groups", response_model=GroupList, summary="Partner groups")
def list_groups(_who: AnyRole, reads: ReadModels, paging: Paging) -> dict[str, Any]:
    return reads.settings.groups(paging)


@router.get("/partner-groups/{code}", response_model=GroupPublic, summary="One partner group")
def get_group(code: str, _who: AnyRole, reads: ReadModels) -> dict[str, Any]:
    return reads.settings.group(code)


@router.patch("/partner-groups/{code}", response_model=GroupPublic, summary="Change a partner group")
def patch_group(code: str, body: GroupUpdate, cmd: Cmd, reads: ReadModels) -> Response:
    command = ChangePartnerGroup(code=code, **body.model_dump(exclude_unset=True))
    return cmd.run(change_partner_group, command, lambda r: reads.settings.group(code))


class UserCreate(RegisterUser):
    pass


class UserPublic(BaseModel):
    username: str
    name: str
    email: str | None
    mobile: str | None
    supervisor: str | None
    teams: list[str]
    version: int


class UserList(BaseModel):
    items: list[UserPublic]
    next_cursor: str | None


@router.post("/users", status_code=201, response_model=UserPublic, summary="Create a user")
def create_user(body: UserCreate, cmd: Cmd, reads: ReadModels) -> Response:
    command = RegisterUser.model_validate(body.model_dump())
    return cmd.run(register_user, command, lambda r: reads.settings.user(command.username), status=201)


@router.get("/users", response_model=UserList, summary="Users")
def list_users(_who: AnyRole, reads: ReadModels, paging: Paging, team: str | None = None) -> dict[str, Any]:
    return reads.settings.users(paging, team)


@router.get("/users/{username}", response_model=UserPublic, summary="One user")
def get_user(username: str, _who: AnyRole, reads: ReadModels) -> dict[str, Any]:
    return reads.settings.user(username)


class QuoteSettingsPublic(BaseModel):
    order_on_accept: bool


@router.put("/settings/quotes", response_model=QuoteSettingsPublic, summary="Quote settings")
def put_quote_settings(body: QuoteSettingsPublic, cmd: Cmd) -> Response:
    command = QuoteSettings(order_on_accept=body.order_on_accept)
    return cmd.run(set_quote_settings, command, lambda r: {"order_on_accept": body.order_on_accept})
